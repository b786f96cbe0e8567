"""The chat page, the integration page and the three notices as served: every text a person reads
in French typography (no-break spaces, typographic apostrophe: bot/language/french.py `polish`)
and in plain words (tests/support/plain_french.py). The assistant's and the data's texts:
tests/unit/language/test_plain_french.py."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

from bot import settings as bot_settings
from bot.language.french import faults
from bot.web import notices
from tests.support.plain_french import plain_french_faults
from tests.support.processes import PUBLISHER_ENVIRONMENT
from tests.support.web_client import web_app

PAGES = ("/", "/integration", notices.PRIVACY_PATH, notices.ACCESSIBILITY_PATH, notices.LEGAL_PATH)


class Texts(HTMLParser):
    """The text nodes of a page (not scripts nor styles), their spaces as a browser shows them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        self.skipping += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.skipping -= tag in ("script", "style")

    def handle_data(self, data):
        text = re.sub(r"[ \t\r\n]+", " ", data).strip()
        if text and not self.skipping:
            self.texts.append(text)


def texts_of(page: str) -> list[str]:
    parser = Texts()
    parser.feed(page)
    return parser.texts


def test_every_text_of_the_pages_is_in_french_typography_and_plain_words(web):
    publisher = {field: PUBLISHER_ENVIRONMENT[variable] for variable, field in bot_settings.PUBLISHER_SETTINGS.items()}
    for app in (web, web_app(dataclasses.replace(web.settings, **publisher))):  # development values, then real ones
        for path in PAGES:
            texts = texts_of(app.client.get(path).text)
            assert len(texts) > 5, path
            for text in texts:
                assert faults(text, apostrophes=True) == [], (path, text)
                assert not re.search(r"&\W", text), (path, text)  # an entity broken by the typography
                assert plain_french_faults(text) == [], (path, text)


def test_the_check_sees_a_straight_apostrophe_or_a_missing_space_in_a_page():
    assert faults(texts_of("<p>C'est gratuit.</p>")[0], apostrophes=True)
    assert faults(texts_of("<p>Pour qui ?</p>")[0], apostrophes=True)
    assert faults(texts_of("<p>Pour qui&#8239;? C’est «&nbsp;gratuit&nbsp;».</p>")[0], apostrophes=True) == []
