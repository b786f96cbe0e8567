"""« Phrases à revoir » in the console, in-process (SQLite and PostgreSQL): the misread first
messages grouped and masked, a decision in one click with who and when, the weekly figures on the
activity page."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot import clock
from bot.domain import review
from bot.store import db, dossiers, review_inbox
from bot.store.tables import FirstMessage, FirstMessageDecision
from tests.support.console_client import Console, make_account, page_text

NOW = datetime(2030, 3, 5, 10, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def the_tests_moment(monkeypatch):
    """The console's pages read this test's moment (the inbox's « cette semaine »), never the real clock."""
    monkeypatch.setattr(clock, "now", lambda: NOW)


PERSONAL = "bjr c'est Paul Martin 06 12 34 56 78 paul.martin@example.fr le bidule de la boutique ne marche plus"


def fill(settings) -> None:
    with db.session(settings.database_url) as session:
        for conversation, text, reading, at in [
            ("a", "Le bidule clignote ROUGE !", review.MENU, NOW - timedelta(hours=3)),
            ("b", "le bidule <clignote> rouge", review.MENU, NOW - timedelta(hours=2)),
            ("c", PERSONAL, review.NOT_UNDERSTOOD, NOW - timedelta(hours=1)),
        ]:
            review_inbox.record_first_message(session, conversation, text, reading, None, 0.2, now=at)
        review_inbox.record_first_message(
            session, "d", "je veux un site", review.NEED_SAID_BACK, "presence_en_ligne", 0.95, now=NOW
        )
        dossiers.record_contact(session, "c", "Paul Martin", None, None, NOW, now=NOW)
        session.commit()


def phrases(response) -> list[str]:
    return [html.unescape(p) for p in re.findall(r'<blockquote class="said">(.*?)</blockquote>', response.text, re.S)]


def test_the_inbox_lists_misread_first_messages_masked_newest_first(web):
    fill(web)
    console = Console(web)
    console.login(make_account(web))
    page = console.get("/phrases")
    assert page.status_code == 200
    shown = phrases(page)
    assert len(shown) == 2  # the two spellings of the same words are one group; « je veux un site » was understood
    assert shown[1] == "le bidule <clignote> rouge"  # the newest spelling
    for leak in ("Paul", "Martin", "06 12", "paul.martin"):
        assert leak not in page.text
    assert shown[0].startswith("bjr c'est (nom) (téléphone) (e-mail)")
    assert "&lt;clignote&gt;" in page.text and "<clignote>" not in page.text  # shown as text, never markup
    text = page_text(page)
    assert "2 fois" in text and "À revoir (2)" in text
    assert 'href="/mediateurs/phrases"' in console.get("/file").text  # in the console's menu


def test_a_mediator_labels_a_group_in_one_click_and_it_is_audited(web):
    fill(web)
    email = make_account(web, name="Awa Diallo")
    console = Console(web)
    console.login(email)
    page = console.get("/phrases")
    entry_id = int(re.search(r'id="phrase-(\d+)"[^<]*<blockquote class="said">le bidule', page.text, re.S).group(1))
    done = console.post(f"/phrases/{entry_id}", {"decision": "outils_internes"})
    assert done.url.path == "/mediateurs/phrases"
    assert Console.flash(done) == "Phrase classée : « Améliorer nos outils de travail » (2 messages). Merci !"
    assert len(phrases(done)) == 1 and "À revoir (1)" in page_text(done)

    decided = console.get("/phrases?vue=decidees")
    text = page_text(decided)
    assert phrases(decided) == ["le bidule <clignote> rouge"]
    assert "par Awa Diallo" in text and "Classée :" in text
    with db.session(web.database_url) as session:
        rows = session.execute(select(FirstMessage).where(FirstMessage.conversation_id.in_(["a", "b"]))).scalars().all()
        assert {(r.decision, r.decided_by is not None) for r in rows} == {("outils_internes", True)}
        trail = session.execute(select(FirstMessageDecision)).scalars().all()
        assert len(trail) == 2 and {t.how for t in trail} == {"boite"}

    # changed from the « déjà classées » view: hors sujet
    again = console.post(f"/phrases/{entry_id}", {"decision": review.OUT_OF_SCOPE, "vue": "decidees"})
    assert str(again.url).endswith("/phrases?vue=decidees") and "Hors sujet" in Console.flash(again)

    refused = console.post(f"/phrases/{entry_id}", {"decision": "n_importe_quoi"})
    assert "Choisissez un besoin" in Console.flash(refused)
    assert console.post(f"/phrases/{entry_id}", {"decision": "outils_internes"}, csrf=False).status_code == 403


def test_the_inbox_needs_a_login(web):
    anonymous = web.new_client()
    assert anonymous.get("/mediateurs/phrases", follow_redirects=False).headers["location"].endswith("/mediateurs/connexion")
    assert anonymous.post("/mediateurs/phrases/1", data={"decision": "hors_sujet"}, follow_redirects=False).status_code in (
        303,
        403,
    )


def test_the_activity_page_shows_the_weekly_share_understood(web):
    fill(web)
    with db.session(web.database_url) as session:
        review_inbox.person_said_no(session, "d", "presence_en_ligne")
        session.commit()
    console = Console(web)
    console.login(make_account(web))
    page = console.get("/activite?du=2030-03-04&au=2030-03-10")
    text = page_text(page)
    assert "Premiers messages compris, par semaine" in text
    row = re.search(r"<tr><td>2030-S10</td>(.*?)</tr>", page.text, re.S).group(1)
    cells = [re.sub(r"\s+", " ", html.unescape(c)).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
    # 4 first messages: none understood and kept, two sent to the menu, one not understood, one corrected
    assert cells == ["4", "0 % (0)", "0 % (0)", "50 % (2)", "25 % (1)", "25 % (1)"]
    csv_page = console.get("/activite?du=2030-03-04&au=2030-03-10&format=csv")
    assert "2030-S10,4,0,0,50,25,25" in csv_page.text.replace("\r", "")
