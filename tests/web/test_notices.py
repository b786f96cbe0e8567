"""The three notices a public service publishes (bot/web/notices.py): served, linked from the chat
page, the widget and the console, the publisher's settings escaped, production refusing to start
without them, and the privacy notice's durations the very ones the retention jobs apply."""

from __future__ import annotations

import dataclasses
import html
import re

import pytest

from bot import settings as bot_settings
from bot.domain import catalog
from bot.mail import transport
from bot.store import outbox
from bot.web import notices
from tests.support.console_client import Console, make_account
from tests.support.web_client import web_app

PAGES = {
    notices.PRIVACY_PATH: "Vos données personnelles",
    notices.ACCESSIBILITY_PATH: "Déclaration d’accessibilité",
    notices.LEGAL_PATH: "Mentions légales",
}
PUBLISHER = {
    "publisher_name": "Communauté de communes <b>du Val</b> & associés",
    "publisher_address": "1 place de la Mairie, 01000 Exemple",
    "publication_director": "Camille Martin, présidente",
    "hosting_provider": "Hébergeur <script>alert(1)</script>",
    "hosting_address": "2 rue des Serveurs, 59000 Lille",
    "hosting_phone": "03 00 00 00 00",
}


def text_of(page: str) -> str:
    """What a person reads: tags dropped, entities decoded, spaces joined."""
    without_tags = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S))
    return re.sub(r"\s+", " ", html.unescape(without_tags))


def linked_notices(page: str) -> set[str]:
    return {path for path in PAGES if f'href="{path}"' in page}


def test_each_notice_is_served_in_french_with_the_links_to_the_others(web):
    for path, title in PAGES.items():
        response = web.client.get(path)
        assert response.status_code == 200, path
        assert '<html lang="fr">' in response.text and f"<h1>{title}</h1>" in html.unescape(response.text), path
        assert "Content-Security-Policy" in response.headers
        assert linked_notices(response.text) == set(PAGES), path
    assert "Accessibilité : non conforme" in text_of(web.client.get("/").text)  # said on the home page


def test_the_chat_page_the_widget_the_integration_page_and_the_console_link_the_notices(web):
    assert linked_notices(web.client.get("/").text) == set(PAGES)
    assert linked_notices(web.client.get("/integration").text) == set(PAGES)
    widget = web.client.get("/widget.js").text
    assert all(f'BASE + "{path}"' in widget for path in PAGES)  # the widget embedded elsewhere, too
    assert linked_notices(web.client.get("/mediateurs/connexion").text) == set(PAGES)
    console = Console(web)
    queue = console.login(make_account(web))
    assert "File d'attente" in html.unescape(queue.text)  # logged in
    assert linked_notices(queue.text) == set(PAGES)


def test_the_publisher_comes_from_the_settings_escaped(web):
    app = web_app(dataclasses.replace(web.settings, **PUBLISHER, dpo_contact="dpd@cc-val.example"))
    legal = app.client.get(notices.LEGAL_PATH).text
    privacy = app.client.get(notices.PRIVACY_PATH).text
    assert "<script>alert(1)</script>" not in legal and "&lt;script&gt;alert(1)&lt;/script&gt;" in legal
    assert "<b>du Val</b>" not in privacy and "&lt;b&gt;du Val&lt;/b&gt; &amp; associés" in privacy
    for value in PUBLISHER.values():
        assert value in text_of(legal), value
    said = text_of(privacy)
    assert PUBLISHER["publisher_name"] in said and PUBLISHER["publisher_address"] in said  # the controller
    assert "dpd@cc-val.example" in said
    assert "démonstration" not in said and "valeur de développement" not in said


def test_a_development_run_says_which_values_are_missing(web):
    said = text_of(web.client.get(notices.LEGAL_PATH).text)
    assert "Page de démonstration" in said
    for variable in bot_settings.PUBLISHER_SETTINGS:
        assert f"[valeur de développement : {variable} n’est pas renseigné]" in said, variable


def test_production_refuses_to_start_without_the_publisher(web):
    public = dataclasses.replace(web.settings, public_tls=True)
    with pytest.raises(bot_settings.MissingPublisher) as refused:
        web_app(public)
    assert all(variable in str(refused.value) for variable in bot_settings.PUBLISHER_SETTINGS)
    partly = dataclasses.replace(public, **{**PUBLISHER, "hosting_phone": " "})
    with pytest.raises(bot_settings.MissingPublisher, match="HOSTING_PHONE unset"):
        web_app(partly)
    assert web_app(dataclasses.replace(public, **PUBLISHER)).client.get(notices.LEGAL_PATH).status_code == 200


def test_the_privacy_notice_says_the_durations_the_jobs_apply(web, monkeypatch):
    """Other values than the defaults, set where the jobs read them: the page follows."""
    monkeypatch.setattr(catalog, "retention_months", lambda: 7)  # what bot/store/retention.py purges by
    monkeypatch.setattr(outbox, "KEEP_DONE_DAYS", 45)  # what bot/store/outbox.py prunes by
    monkeypatch.setattr(transport, "KEEP_EML_DAYS", 3)  # what bot/mail/transport.py prunes by
    app = web_app(dataclasses.replace(web.settings, conversation_idle_minutes=25))
    page = app.client.get(notices.PRIVACY_PATH).text

    def item(anchor: str) -> str:
        return text_of(re.search(rf'<li id="{anchor}">(.*?)</li>', page, re.S).group(1))

    assert "7 mois au plus après votre dernier échange" in item("duree-conversation")
    assert "45 jours au plus après leur envoi" in item("duree-emails")
    assert "effacé après 3 jours" in item("duree-copies")  # no SMTP_URL: the .eml copies
    assert "après 25 minutes sans activité" in item("duree-appareil")
    assert "7 mois au plus" in text_of(app.client.get("/").text)  # the chat page's summary agrees
    with_smtp = web_app(dataclasses.replace(web.settings, smtp_url="smtp://mail.example.org:587"))
    assert 'id="duree-copies"' not in with_smtp.client.get(notices.PRIVACY_PATH).text


def test_the_privacy_notice_says_what_art_13_asks(web):
    said = text_of(web.client.get(notices.PRIVACY_PATH).text)
    assert "Qui est responsable de vos données" in said
    assert "article 6, paragraphe 1, point e" in said  # the legal basis
    assert "Qui voit vos données" in said and "héberge nos serveurs" in said
    assert "votre code postal" in said and "Restent dans le dossier" in said  # kept, without the name
    assert "choisissez « Effacer ma conversation »" in said  # erasure, and how
    assert "https://www.cnil.fr/fr/adresser-une-plainte" in said and "75334 Paris Cedex 07" in said
    accessibility = text_of(web.client.get(notices.ACCESSIBILITY_PATH).text)
    assert "Ce site est non conforme" in accessibility and "aucun audit" in accessibility
    assert "Défenseur des droits" in accessibility and "https://formulaire.defenseurdesdroits.fr/" in accessibility
