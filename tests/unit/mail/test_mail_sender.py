"""Queued e-mails sent through a real SMTP server (aiosmtpd), on SQLite and PostgreSQL: what the
person and the mediators receive, retries with back-off, never twice (racing senders), reminders
at the configured time with an injected clock, nothing for an erased dossier."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import icalendar
import pytest
from sqlalchemy import select

from bot.jobs import mail_sender
from bot.mail.transport import DirectoryTransport, SmtpTransport
from bot.store import accounts, db, dossiers, outbox, scheduling
from bot.store.tables import Dossier, OutgoingMail
from tests.support.clock import AT
from tests.support.mail import BEFORE, CONSENT, CONTEXT, START, book, mediator, send
from tests.support.smtp_server import body, subject


# A Tuesday in January 2030, 10:00 in Paris; the tests never look at today's date.
def statuses(url) -> dict[str, str]:
    with db.session(url) as session:
        return {m.dedupe_key.split(":")[0]: m.status for m in session.execute(select(OutgoingMail)).scalars()}


def test_a_booking_sends_the_person_a_confirmation_with_the_invitation_and_the_team_an_alert(url, smtp):
    reference = book(url, mode="sur_place", place="12 rue des Lilas, 69003 Lyon")
    report = send(url, smtp, BEFORE)
    assert report.sent == 2 and report.refused == 0

    [confirmation] = smtp.to("marie.dupont@example.org")
    assert reference in subject(confirmation) and "mardi 8 janvier 2030 à 10 h" in subject(confirmation)
    assert confirmation["From"] == "Médiation TPE <mediation@example.org>"
    text = body(confirmation)
    html = body(confirmation, "html")
    for expected in (
        reference,
        "mardi 8 janvier 2030 à 10 h",
        "Camille",
        "sur place, à l'adresse : 12 rue des Lilas",
        "Bonjour Marie,",  # greeted by a first name only (what a person types is never copied whole)
        "Service de médiation numérique des TPE",
        "01 00 00 00 00",
    ):
        assert expected in text and expected in html.replace("&#39;", "'"), expected
    link = re.search(r"https://mediation\.example\.org/rendez-vous/\S+", text).group(0)
    assert link in html
    assert "<img" not in html and "http" not in html.replace(link, "")  # no tracking, no remote resource
    [invitation] = [part for part in confirmation.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert invitation.get_param("method") == "REQUEST"
    calendar = icalendar.Calendar.from_ical(invitation.get_content())
    assert calendar["method"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert event["uid"] == f"{reference}@mediation-tpe" and event["sequence"] == 0
    assert event.decoded("dtstart") == START and str(event["dtstart"].params["TZID"]) == "Europe/Paris"
    assert str(event["organizer"]) == "mailto:mediation@example.org"
    assert str(event["attendee"]) == "mailto:marie.dupont@example.org"
    assert "12 rue des Lilas" in str(event["location"])

    [alert] = smtp.to("camille@example.org")
    alert_text = body(alert)
    assert "Marie a pris rendez-vous avec Camille pour : Être plus visible en ligne." in alert_text
    assert "(sur place)" in alert_text
    assert "Dupont" not in alert_text and "marie.dupont" not in alert_text  # the first name and the need, nothing more
    # the dossier's synthesis in words, as the console says it (bot/domain/synthesis.py): labels, never ids
    assert "– Besoin : Être plus visible en ligne" in alert_text
    assert "Rendez-vous : mardi 8 janvier à 10 h avec Camille Martin, sur place" in alert_text.replace("\u00a0", " ")
    assert "presence_en_ligne" not in alert_text and "UTC" not in alert_text
    with db.session(url) as session:
        dossier_id = session.execute(select(Dossier.id)).scalar_one()
    assert f"https://mediation.example.org/mediateurs/dossiers/{dossier_id}" in alert_text

    assert send(url, smtp, BEFORE + timedelta(minutes=5)).sent == 0  # never twice
    assert len(smtp.messages) == 2


def test_no_consent_or_no_address_means_no_mail_for_the_person(url, smtp):
    book(url, consent=False)
    send(url, smtp, BEFORE)
    assert [m["To"] for m in smtp.messages] == ["Camille Martin <camille@example.org>"]


def test_a_mediator_chooses_the_alerts_they_get(url, smtp):
    with db.session(url) as session:
        mediator(session, "Karim Benali", "karim@example.org", alerts=["rappel"])
        mediator(session, "Inès Roy", "ines@example.org", alerts=[])
        camille = mediator(session)
        accounts.set_alerts(session, camille.id, ["rendez_vous", "inconnue"])
        assert camille.alerts == ["rendez_vous"]
        dossiers.record_contact(session, "conv-cb", "Paul Martin", "paul@example.org", None, CONSENT, now=AT)
        scheduling.request_callback(session, "conv-cb", "le matin", date(2030, 1, 15), now=AT)
        session.commit()
    book(url)
    send(url, smtp, BEFORE)
    assert [subject(m) for m in smtp.to("karim@example.org")] == ["Demande de rappel : demande"]
    assert smtp.to("ines@example.org") == []
    assert [subject(m).split(":")[0] for m in smtp.to("camille@example.org")] == ["Nouveau rendez-vous "]
    [ack] = smtp.to("paul@example.org")
    assert "Bonjour Paul," in body(ack)
    text = body(ack)
    assert "Le moment que vous avez indiqué : le matin." in text and "recontacterons avant le 15/01/2030." in text


def test_an_urgent_call_back_says_so_first_in_the_mediators_alert(url, smtp):
    with db.session(url) as session:
        mediator(session, "Karim Benali", "karim@example.org", alerts=["rappel"])
        dossiers.record_contact(session, "conv-urgent", "Paul Martin", "paul@example.org", None, CONSENT, now=AT)
        scheduling.request_callback(session, "conv-urgent", "le matin", date(2030, 1, 9), now=AT)  # 3 days after BEFORE
        session.commit()
    send(url, smtp, BEFORE)
    [alert] = smtp.to("karim@example.org")
    assert subject(alert) == "URGENT — Demande de rappel : demande"
    assert "– URGENT : échéance dans 3 jours, le mercredi 9 janvier" in body(alert)


def test_a_refusing_or_absent_server_delays_the_mail_and_it_is_sent_once_when_back(url, smtp):
    book(url, consent=True)
    smtp.stop()  # the mail server is down
    report = send(url, smtp, BEFORE)
    assert report.refused == 2 and smtp.messages == []
    with db.session(url) as session:
        rows = list(session.execute(select(OutgoingMail)).scalars())
        assert {r.status for r in rows} == {"pending"} and {r.attempts for r in rows} == {1}
        assert all(r.next_attempt_at == BEFORE + timedelta(minutes=1) for r in rows)
        assert all("ConnectionRefused" in r.last_error for r in rows)
    assert send(url, smtp, BEFORE + timedelta(seconds=30)).refused == 0  # not due yet: back-off

    smtp.start()
    smtp.collector.refuse_with = "451 4.3.0 Try again later"
    assert send(url, smtp, BEFORE + timedelta(minutes=1)).refused == 2
    with db.session(url) as session:
        assert {r.next_attempt_at for r in session.execute(select(OutgoingMail)).scalars()} == {
            BEFORE + timedelta(minutes=3)
        }  # 1 then 2 minutes: the wait doubles

    smtp.collector.refuse_with = None
    assert send(url, smtp, BEFORE + timedelta(minutes=3)).sent == 2
    assert send(url, smtp, BEFORE + timedelta(hours=2)).sent == 0
    assert len(smtp.messages) == 2 and len({m["Message-ID"] for m in smtp.messages}) == 2
    assert set(statuses(url).values()) == {"sent"}


def test_done_messages_are_forgotten_after_ninety_days(url, smtp):
    book(url, consent=False)
    send(url, smtp, BEFORE)
    send(url, smtp, BEFORE + timedelta(days=outbox.KEEP_DONE_DAYS - 1))
    assert statuses(url) == {"alerte_rendez_vous": "sent"}
    send(url, smtp, BEFORE + timedelta(days=outbox.KEEP_DONE_DAYS, minutes=1))
    assert statuses(url) == {}


def test_a_permanent_refusal_gives_up(url, smtp):
    book(url)
    smtp.collector.refuse_with = "550 5.1.1 No such user"
    send(url, smtp, BEFORE)
    assert set(statuses(url).values()) == {"failed"}
    smtp.collector.refuse_with = None
    assert send(url, smtp, BEFORE + timedelta(hours=6)).sent == 0


def test_a_sender_that_died_mid_send_is_taken_over_after_its_claim_lapses(url, smtp):
    """Kept across restarts: the queue is in the database; a claim of a dead process lapses."""
    book(url, consent=False)
    with db.session(url) as session:
        [mail_id] = outbox.due_ids(session, now=BEFORE)
        assert outbox.claim(session, mail_id, now=BEFORE) is not None
        session.commit()  # claimed (as the sender commits it), then the process is killed
    db.engine_for(url).dispose()  # a new process: new connections
    assert send(url, smtp, BEFORE + timedelta(seconds=60)).sent == 0  # the claim still holds
    assert send(url, smtp, BEFORE + timedelta(seconds=outbox.CLAIM_SECONDS + 1)).sent == 1
    assert len(smtp.messages) == 1


def test_senders_racing_on_the_same_queue_send_each_message_once(url, smtp):
    """Four senders (as four web workers) start together on 30 queued messages."""
    with db.session(url) as session:
        for i in range(6):
            mediator(session, f"Médiateur {i}", f"m{i}@example.org")
        session.commit()
    with db.session(url) as session:
        for i in range(6):
            dossiers.record_contact(session, f"conv-{i}", f"P{i}", f"p{i}@example.org", None, CONSENT, now=AT)
            scheduling.request_callback(session, f"conv-{i}", "le soir", None, now=AT)
        session.commit()
        queued = len(outbox.due_ids(session, now=BEFORE, limit=100))
    assert queued == 6 * 6 + 6  # six acknowledgements, six alerts for each of six mediators
    barrier = threading.Barrier(4)
    reports, errors = [], []

    def sender():
        try:
            barrier.wait()
            reports.append(send(url, smtp, BEFORE))
        except Exception as exc:  # any error fails the test
            errors.append(repr(exc))

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sum(r.sent for r in reports) == queued
    assert len(smtp.messages) == queued
    assert len({m["Message-ID"] for m in smtp.messages}) == queued
    [ack] = smtp.to("p0@example.org")
    assert "avant le" not in body(ack)  # no deadline given: not mentioned
    assert len(reports) == 4


def test_the_reminder_goes_out_the_day_before_with_an_injected_clock(url, smtp):
    reference = book(url)
    send(url, smtp, BEFORE)  # the confirmation and the alert
    smtp.collector.messages.clear()
    assert send(url, smtp, START - timedelta(hours=24, minutes=1)).reminders == 0  # not yet
    report = send(url, smtp, START - timedelta(hours=23, minutes=59))
    assert report.reminders == 1 and report.sent == 1
    [reminder] = smtp.messages
    assert reminder["To"] == "marie.dupont@example.org" and subject(reminder).startswith("Rappel")
    assert reference in body(reminder)
    assert send(url, smtp, START - timedelta(hours=2)).reminders == 0  # once per appointment time

    # moved to the next slot: a new confirmation now, and a reminder for the new time later
    with db.session(url) as session:
        later = scheduling.free_slots(session, after=START, limit=1)[0]
        from bot.store import self_service

        self_service.move(session, reference, later.id, now=START - timedelta(hours=3))
        session.commit()
    report = send(url, smtp, START - timedelta(hours=3))
    assert report.sent == 2 and report.reminders == 1  # the new time is also within 24 hours
    kinds = sorted(subject(m).split(" ")[0] for m in smtp.messages[1:])
    assert kinds == ["Rappel", "Votre"]


def test_the_reminder_delay_is_configurable(url, smtp):
    book(url)
    assert send(url, smtp, START - timedelta(hours=3), hours=2).reminders == 0
    assert send(url, smtp, START - timedelta(hours=1, minutes=59), hours=2).reminders == 1


def test_an_erased_dossier_sends_nothing_more(url, smtp):
    book(url, consent=True)
    with db.session(url) as session:
        dossier = session.execute(select(Dossier)).scalar_one()
        dossier.contact_email, dossier.contact_name, dossier.anonymised_at = None, None, BEFORE
        session.commit()
    send(url, smtp, BEFORE)
    assert [m["To"] for m in smtp.messages] == ["Camille Martin <camille@example.org>"]
    assert statuses(url)["rdv_confirmation"] == "dropped"
    with db.session(url) as session:  # the queue keeps no personal data
        row = session.execute(select(OutgoingMail).where(OutgoingMail.kind == "rdv_confirmation")).scalar_one()
        assert "marie" not in repr(row.payload).lower()


def test_without_smtp_the_messages_are_written_as_eml_files(url, tmp_path):
    reference = book(url)
    outbox_dir = tmp_path / "outbox"
    report = mail_sender.run_pass(url, DirectoryTransport(outbox_dir), CONTEXT, now=BEFORE, reminder_hours=24)
    files = sorted(outbox_dir.glob("*.eml"))
    assert report.sent == 2 and len(files) == 2
    assert any(
        reference in f.read_text(errors="replace") or reference in f.read_bytes().decode("utf-8", "replace") for f in files
    )


def test_make_run_says_where_the_mail_goes(tmp_path):
    from dataclasses import replace

    from bot.ops.cli import mail_startup_line

    settings = settings_for(tmp_path)
    assert mail_startup_line(settings) == (
        f"E-mail: no SMTP_URL set, so nothing is sent; each message is written to {tmp_path / 'outbox'}/ "
        "as an .eml file instead."
    )
    with_smtp = replace(settings, smtp_url="smtps://robot:s%40cret@mail.example.org")
    assert mail_startup_line(with_smtp) == "E-mail: sent through smtps://mail.example.org:465 (SMTP_URL)."
    transport_ = SmtpTransport.from_url(with_smtp.smtp_url)
    assert (transport_.user, transport_.password, transport_.implicit_tls) == ("robot", "s@cret", True)
    with pytest.raises(ValueError, match="SMTP_URL must look like"):
        SmtpTransport.from_url("http://mail.example.org")


def test_the_mail_texts_are_schema_checked(tmp_path, monkeypatch):
    from bot import paths
    from bot.datafiles import DataFileError
    from bot.mail import texts

    broken = tmp_path / "mail.yml"
    broken.write_text((paths.DATA / "mail.yml").read_text().replace("  rdv_rappel:", "  rdv_rappel_typo:"))
    monkeypatch.setattr(paths, "DATA", tmp_path)
    monkeypatch.setattr(texts, "_cache", {})
    with pytest.raises(DataFileError, match="messages missing: rdv_rappel"):
        texts.data()


def settings_for(var_dir):
    from bot.settings import Settings

    return Settings(
        bind_host="127.0.0.1",
        rasa_port=1,
        action_port=2,
        web_port=3,
        rasa_token="t",
        conversation_secret="c",
        database_url="sqlite://",
        var_dir=var_dir,
        allowed_origins=(),
        public_socket_url="",
    )


def test_starttls_and_login_when_the_server_offers_it(tmp_path):
    """A server that requires STARTTLS and a login over TLS: the transport upgrades, then logs in."""
    import ssl
    import subprocess

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from bot.ops.supervisor import free_port
    from tests.support.smtp_server import Collector

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password, session.ssl is not None))
        # handled=False: aiosmtpd answers a refusal itself (535); by default it leaves that to the
        # authenticator and says nothing, and the client waited 30 s for its timeout
        return AuthResult(success=auth_data.login == b"robot" and auth_data.password == b"s@cret", handled=False)

    collector, port = Collector(), free_port()
    controller = Controller(
        collector,
        hostname="localhost",
        port=port,
        tls_context=server_context,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    )
    controller.start()
    try:
        client_context = ssl.create_default_context(cafile=str(cert))
        good = SmtpTransport.from_url(f"smtp://robot:s%40cret@localhost:{port}", ssl_context=client_context)
        bad = SmtpTransport.from_url(f"smtp://robot:wrong@localhost:{port}", ssl_context=client_context)
        from bot.mail import compose, texts

        rendered = texts.Rendered("Essai", ("Bonjour,",), None, ("Service",))
        message = compose.build(
            rendered, sender="mediation@example.org", recipient="x@example.org", message_id="<essai@mediation-tpe>", date=BEFORE
        )
        good.send(message)
        assert [subject(m) for m in collector.messages] == ["Essai"]
        assert logins == [(b"robot", b"s@cret", True)]  # the password went over TLS
        from bot.mail.transport import Refused

        with pytest.raises(Refused) as refused:
            bad.send(message)
        assert not refused.value.permanent  # a wrong password is fixed in the settings, the mail waits
        assert str(refused.value).startswith("535"), refused.value  # refused by the server, not by a timeout
    finally:
        controller.stop()


def test_every_mail_reads_well_once_rendered():
    """French typography (bot/language/french.py) and no inclusive form read badly aloud, in every message."""
    from string import Formatter

    from bot.language.french import faults
    from bot.mail import texts

    for kind, message in texts.data()["messages"].items():
        names = {n for t in [message["subject"], *message["paragraphs"]] for _, n, _, _ in Formatter().parse(t) if n}
        values = {n: "électricien" for n in names} | {"lien": "https://mediation.example.org/x?y=1"}
        rendered = texts.render(
            kind, values, footer_values={"service": "Service", "telephone": "01 00 00 00 00", "email": "mediation@example.org"}
        )
        for text in (rendered.subject, *rendered.paragraphs, *rendered.footer):
            assert faults(text) == [], (kind, text)
    for mode in ("telephone", "visio", "sur_place"):
        assert faults(texts.mode_sentence(mode, "Camille", "3 place Bellecour")) == []
