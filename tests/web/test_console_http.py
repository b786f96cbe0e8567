"""The mediator console, in-process: the real web app (Starlette's TestClient) on a real database
(SQLite and PostgreSQL); no Rasa server, no port."""

from __future__ import annotations

import html
import re
import threading
import uuid
from datetime import date, datetime, timedelta, timezone

import icalendar
from sqlalchemy import select, update

from bot.store import accounts, db, dossiers, scheduling
from bot.store.tables import Dossier, DossierAudit, Mediator
from tests.support import rasa_events
from tests.support.clock import AT
from tests.support.console_client import Console, make_account

CONSOLE_PAGES = ["/file", "/dossiers/1", "/agenda", "/equipe", "/export.csv", "/rendez-vous/ABC.ics"]
CONSOLE_POSTS = [
    "/dossiers/1/prendre",
    "/dossiers/1/liberer",
    "/dossiers/1/note",
    "/dossiers/1/statut",
    "/dossiers/1/clore",
    "/dossiers/1/effacer",
    "/equipe",
    "/equipe/1/activation",
    "/equipe/1/creneaux",
    "/rendez-vous/ABC/annuler",
]


def new_dossier(settings, need="presence_en_ligne", deadline: date | None = None, name=None) -> int:
    conversation = f"console-{uuid.uuid4().hex}"
    with db.session(settings.database_url) as session:
        dossiers.record_need(session, conversation, need, 0.8, now=AT)
        dossiers.confirm_latest_need(session, conversation, True, now=AT)
        if name:
            dossiers.record_contact(session, conversation, name, None, "06 11 22 33 44", datetime.now(timezone.utc), now=AT)
        scheduling.request_callback(session, conversation, "le matin", deadline, now=AT)
        session.commit()
        return session.execute(select(Dossier.id).where(Dossier.conversation_id == conversation)).scalar_one()


def test_every_page_and_form_needs_a_login(web):
    anonymous = web.new_client()
    base = "/mediateurs"
    for path in CONSOLE_PAGES:
        response = anonymous.get(base + path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].endswith("/mediateurs/connexion"), path
    for path in CONSOLE_POSTS:
        response = anonymous.post(base + path, data={"x": "1"}, follow_redirects=False)
        assert response.status_code == 303, path


def test_login_cookie_lock_out_and_logout(web):
    email = make_account(web)
    console = Console(web)
    response = console.login(email, "pas le bon mot de passe")
    assert response.status_code == 401 and "E-mail ou mot de passe incorrect" in response.text
    response = console.login("personne@example.org", "pas le bon mot de passe")
    assert response.status_code == 401 and "E-mail ou mot de passe incorrect" in response.text  # same answer
    for _ in range(4):
        response = console.login(email, "toujours pas")
    locked = console.login(email)  # even the right password, while locked
    assert locked.status_code == 401 and "bloqué 15 minutes" in locked.text
    # the lock-out says nothing more than a wrong password or an address without an account
    unknown = [console.login("personne@example.org", "essai") for _ in range(6)][-1]
    message = re.compile(r'<p class="[^"]*erreur[^"]*"[^>]*>(.*?)</p>', re.S)
    assert message.findall(locked.text) == message.findall(unknown.text) == message.findall(response.text)
    assert message.findall(locked.text)

    other = make_account(web)
    console = Console(web)
    response = console.login(other)
    assert response.status_code == 200 and str(response.url).endswith("/mediateurs/file")
    cookie = console.cookie("mediation_console")
    attributes = {key.lower(): value for key, value in cookie._rest.items()}
    assert "httponly" in attributes and attributes["samesite"].lower() == "lax"
    console.post("/deconnexion")
    assert console.get("/file", follow_redirects=False).status_code == 303


def test_forms_without_a_valid_csrf_token_are_refused(web):
    console = Console(web)
    console.get("/connexion")
    response = console.post("/connexion", {"email": make_account(web), "password": "x"}, csrf=False)
    assert response.status_code == 403 and "CSRF" in response.text
    console.login(make_account(web))
    dossier_id = new_dossier(web)
    assert console.post(f"/dossiers/{dossier_id}/prendre", csrf=False).status_code == 403
    console.token = console.token[:-2] + "xx"
    assert console.post(f"/dossiers/{dossier_id}/prendre").status_code == 403
    with db.session(web.database_url) as session:
        assert session.get(Dossier, dossier_id).assigned_to is None  # nothing happened


def test_roles_each_sees_only_what_it_may(web):
    mediator, admin = Console(web), Console(web)
    mediator.login(make_account(web))
    admin.login(make_account(web, role="admin"))
    dossier_id = new_dossier(web, name="Camille Petit")
    for path in ["/equipe", "/export.csv?personnel=1"]:
        assert mediator.get(path).status_code == 403
        assert admin.get(path).status_code == 200
    assert "Camille Petit" not in mediator.get("/export.csv").text
    assert "Camille Petit" in admin.get("/export.csv?personnel=1").text
    mediator.get(f"/dossiers/{dossier_id}")
    assert mediator.post(f"/dossiers/{dossier_id}/effacer").status_code == 403
    admin.get(f"/dossiers/{dossier_id}")
    response = admin.post(f"/dossiers/{dossier_id}/effacer")
    assert "effacées" in Console.flash(response)
    with db.session(web.database_url) as session:
        assert session.get(Dossier, dossier_id).contact_name is None


def test_html_in_a_conversation_or_a_note_is_shown_escaped(web):
    """The person's words as the tracker store keeps them (tests/support/rasa_events.py stands in for Rasa's
    table); the dossier as the actions make it."""
    conversation = f"console-{uuid.uuid4().hex}"
    with db.session(web.database_url) as session:
        rasa_events.create_events_table(session)
        rasa_events.say(
            session, conversation, ("user", "<img src=x onerror=alert(1)> je veux un site internet pour ma boulangerie")
        )
        dossiers.record_need(session, conversation, "presence_en_ligne", 0.8, now=AT)
        session.commit()
        dossier_id = session.execute(select(Dossier.id).where(Dossier.conversation_id == conversation)).scalar_one()
    console = Console(web)
    console.login(make_account(web))
    page = console.get(f"/dossiers/{dossier_id}").text
    assert "&lt;img src=x onerror=alert(1)&gt; je veux un site" in page and "<img src=x" not in page
    console.post(f"/dossiers/{dossier_id}/prendre")
    page = console.post(f"/dossiers/{dossier_id}/note", {"note": "<script>alert('note')</script>"}).text
    assert "&lt;script&gt;alert(&#39;note&#39;)&lt;/script&gt;" in page and "<script>alert" not in page


def test_a_lapsed_claim_returns_the_dossier_to_the_queue(web):
    first, second = Console(web), Console(web)
    first.login(make_account(web))
    second.login(make_account(web))
    dossier_id = new_dossier(web)
    first.get(f"/dossiers/{dossier_id}")
    assert "pris en charge" in Console.flash(first.post(f"/dossiers/{dossier_id}/prendre"))
    second.get(f"/dossiers/{dossier_id}")
    assert "déjà pris" in Console.flash(second.post(f"/dossiers/{dossier_id}/prendre"))
    with db.session(web.database_url) as session:  # the holder did nothing for too long
        session.execute(
            update(Dossier).where(Dossier.id == dossier_id).values(lease_until=datetime.now(timezone.utc) - timedelta(minutes=1))
        )
        session.commit()
    assert "Nouveau" in second.get(f"/dossiers/{dossier_id}").text  # back in the queue
    assert "pris en charge" in Console.flash(second.post(f"/dossiers/{dossier_id}/prendre"))
    assert "Prenez d'abord" in Console.flash(first.post(f"/dossiers/{dossier_id}/note", {"note": "trop tard"}))
    with db.session(web.database_url) as session:
        actions = (
            session.execute(select(DossierAudit.action).where(DossierAudit.dossier_id == dossier_id).order_by(DossierAudit.id))
            .scalars()
            .all()
        )
    assert actions == ["prise_en_charge", "bail_expire", "prise_en_charge"]


def test_two_mediators_claiming_at_once_one_wins(web):
    consoles = [Console(web) for _ in range(6)]
    for console in consoles:
        console.login(make_account(web))
    dossier_id = new_dossier(web)
    for console in consoles:
        console.get(f"/dossiers/{dossier_id}")
    results, barrier = [], threading.Barrier(len(consoles))

    def claim(console):
        barrier.wait()
        results.append(Console.flash(console.post(f"/dossiers/{dossier_id}/prendre")))

    threads = [threading.Thread(target=claim, args=(c,)) for c in consoles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum("pris en charge pour" in r for r in results) == 1
    assert sum("déjà pris" in r for r in results) == len(consoles) - 1


def test_queue_is_sorted_by_urgency_and_filtered(web):
    console = Console(web)
    console.login(make_account(web))
    later = new_dossier(web, need="former_salaries", deadline=date.today() + timedelta(days=20))
    sooner = new_dossier(web, need="former_salaries", deadline=date.today() + timedelta(days=2))
    page = console.get("/file?besoin=former_salaries").text
    assert page.index(f'/dossiers/{sooner}"') < page.index(f'/dossiers/{later}"')
    assert f'/dossiers/{sooner}"' not in console.get("/file?besoin=demarches_en_ligne").text
    assert console.get("/file?statut=inconnu").status_code == 400
    assert "Nouveau : " in page


def test_closing_needs_an_outcome_and_the_right_need_when_the_triage_was_wrong(web):
    console = Console(web)
    console.login(make_account(web))
    dossier_id = new_dossier(web)
    console.get(f"/dossiers/{dossier_id}")
    console.post(f"/dossiers/{dossier_id}/prendre")
    assert "bon besoin" in Console.flash(console.post(f"/dossiers/{dossier_id}/clore", {"suite": "Rappelée", "tri_juste": "non"}))
    assert "suite donnée" in Console.flash(console.post(f"/dossiers/{dossier_id}/clore", {"suite": " ", "tri_juste": "oui"}))
    response = console.post(
        f"/dossiers/{dossier_id}/clore",
        {"suite": "Rappelée, formation Pix conseillée", "tri_juste": "non", "bon_besoin": "former_salaries"},
    )
    assert "Dossier clos" in Console.flash(response)
    with db.session(web.database_url) as session:
        dossier = session.get(Dossier, dossier_id)
        assert (dossier.status, dossier.triage_correct, dossier.corrected_need) == ("clos", False, "former_salaries")
        assert dossier.closed_at is not None and dossier.assigned_to is None


def test_appointment_calendar_files_and_the_private_feed(web):
    conversation = f"console-{uuid.uuid4().hex}"
    email = make_account(web)
    starts = datetime.now(timezone.utc).replace(microsecond=0, second=0) + timedelta(days=3)
    with db.session(web.database_url) as session:
        mediator = accounts.mediator_by_email(session, email)
        scheduling.open_slots(session, mediator, [starts], 45)
        slot_id = next(s.id for s in mediator.slots if s.starts_at == starts)
        dossiers.record_need(session, conversation, "demarches_en_ligne", 0.9, now=AT)
        reference = scheduling.book_slot(session, conversation, slot_id, now=starts - timedelta(days=3)).reference
        session.commit()
    owner, stranger = Console(web), Console(web)
    owner.login(email)
    stranger.login(make_account(web))
    response = owner.get(f"/rendez-vous/{reference}.ics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    event = next(c for c in icalendar.Calendar.from_ical(response.content).walk("VEVENT"))
    assert str(event["UID"]).startswith(reference) and event["DTSTART"].dt == starts
    assert stranger.get(f"/rendez-vous/{reference}.ics").status_code == 403
    agenda = owner.get("/agenda").text
    feed = agenda.split('class="feed">')[1].split("<")[0]
    calendar = icalendar.Calendar.from_ical(owner.fetch(feed).content)
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [str(event["UID"])]
    assert owner.fetch(feed.rsplit("/", 1)[0] + "/pas-le-bon-jeton.ics").status_code == 404
    later = starts + timedelta(days=1)
    with db.session(web.database_url) as session:
        scheduling.open_slots(session, accounts.mediator_by_email(session, email), [later], 45)
        session.commit()
        later_id = next(s.id for s in accounts.mediator_by_email(session, email).slots if s.starts_at == later)
    owner.get("/agenda")
    assert "déplacé" in Console.flash(owner.post(f"/rendez-vous/{reference}/deplacer", {"creneau": str(later_id)}))
    moved = next(e for e in icalendar.Calendar.from_ical(owner.fetch(feed).content).walk("VEVENT"))
    assert moved["UID"] == event["UID"] and moved.decoded("SEQUENCE") == 1 and moved["DTSTART"].dt == later
    assert stranger.post(f"/rendez-vous/{reference}/deplacer", {"creneau": str(slot_id)}).status_code == 403
    owner.post(f"/rendez-vous/{reference}/annuler")
    calendar = icalendar.Calendar.from_ical(owner.fetch(feed).content)
    assert [str(e["STATUS"]) for e in calendar.walk("VEVENT")] == ["CANCELLED"]
    with db.session(web.database_url) as session:
        assert {s.id for s in scheduling.free_slots(session, after=starts - timedelta(minutes=1), limit=1000)} >= {
            slot_id,
            later_id,
        }


def test_admin_manages_accounts_and_opens_slots(web):
    admin = Console(web)
    admin.login(make_account(web, role="admin"))
    admin.get("/equipe")
    response = admin.post(
        "/equipe", {"nom": "Inès <i>Roux</i>", "email": "ines.roux@example.org", "mot_de_passe": "court", "role": "mediateur"}
    )
    assert "au moins 10 caractères" in Console.flash(response)
    response = admin.post(
        "/equipe",
        {
            "nom": "Inès <i>Roux</i>",
            "email": "ines.roux@example.org",
            "mot_de_passe": "assez long mot de passe",
            "role": "mediateur",
        },
    )
    assert "Compte créé" in Console.flash(response) and "Inès &lt;i&gt;Roux&lt;/i&gt;" in response.text
    with db.session(web.database_url) as session:
        ines = session.execute(select(Mediator).where(Mediator.email == "ines.roux@example.org")).scalar_one()
    day = (date.today() + timedelta(days=10)).isoformat()
    response = admin.post(f"/equipe/{ines.id}/creneaux", {"jour": day, "debut": "14:00", "nombre": "3", "duree": "30"})
    assert "3 créneau(x) ouvert(s)" in Console.flash(response)
    assert "vérifiez" in Console.flash(admin.post(f"/equipe/{ines.id}/creneaux", {"jour": "demain", "debut": "x"}))
    admin.post(f"/equipe/{ines.id}/activation")
    assert "E-mail ou mot de passe incorrect" in Console(web).login("ines.roux@example.org", "assez long mot de passe").text


def test_the_activity_dashboard_and_its_csv(web):
    console = Console(web)
    console.login(make_account(web))
    new_dossier(web, need="naviguer_internet")
    page = console.get("/activite")
    assert page.status_code == 200 and "Besoins confirmés" in page.text and "<svg" in page.text
    assert "Naviguer sur internet en sécurité" in page.text
    from bot.store import activity

    shown = html.unescape(page.text)
    for what in [*activity.COUNTS.values(), *activity.OUTCOME_COUNTS.values()]:  # each figure says what it counts
        assert what in shown, what
    today = date.today().isoformat()
    export = console.get(f"/activite?du={today}&au={today}&format=csv")
    assert export.headers["content-type"].startswith("text/csv") and "Naviguer sur internet en sécurité" in export.text
    assert console.get("/activite?du=2030-01-02&au=2030-01-01").status_code == 400
    assert console.get("/activite?du=hier").status_code == 400
