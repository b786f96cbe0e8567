"""First messages reach « Phrases à revoir » through the real servers (SQLite and PostgreSQL): one
the assistant sends to the menu, and one it said back that the person denied; one it understood and
the person confirmed does not."""

from __future__ import annotations

from bot.store import db, review_inbox
from bot.store.tables import FirstMessage
from tests.support.servers import Chat


def stored(settings, conversation_id: str) -> FirstMessage | None:
    with db.session(settings.database_url) as session:
        return session.query(FirstMessage).filter_by(conversation_id=conversation_id).one_or_none()


def test_misread_first_messages_reach_the_inbox_and_an_understood_one_does_not(servers):
    lost, denied, confirmed = Chat(servers), Chat(servers), Chat(servers)

    lost.say("zkqj wxv plm")  # the menu (Chat.from_menu relies on it too)
    replies = denied.say("je voudrais que mes clients me trouvent sur internet")
    assert "/deny" in [b["payload"] for b in Chat.buttons(replies)], replies
    denied.click("/deny", replies)
    replies = confirmed.say("je voudrais un logiciel pour faire mes devis et mes factures")
    confirmed.click("/affirm", replies)

    row = stored(servers, lost.sender)
    assert (row.text, row.reading, row.correction) == ("zkqj wxv plm", "menu", None)
    row = stored(servers, denied.sender)
    assert (row.reading, row.intent, row.correction) == ("besoin", "presence_en_ligne", "personne")
    row = stored(servers, confirmed.sender)
    assert (row.reading, row.correction) == ("besoin", None) and row.confidence >= 0.5
    with db.session(servers.database_url) as session:
        texts = [g.text for g in review_inbox.groups(session)]
    assert "zkqj wxv plm" in texts and "je voudrais que mes clients me trouvent sur internet" in texts
    assert "je voudrais un logiciel pour faire mes devis et mes factures" not in texts
