"""The accessibility statement (/accessibilite) says what the tests hold: the pages it names as
checked are data/accessibility.yml's, the very list tests/browser/test_accessibility_browser.py runs
axe-core on; the level is « non conforme » since no full RGAA audit was done; what is not accessible,
the year's plan, how to report a problem and the Défenseur des droits route are said."""

from __future__ import annotations

import html
import re

import pytest

from bot.web import checked_pages, notices


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture
def statement(web) -> str:
    response = web.client.get(notices.ACCESSIBILITY_PATH)
    assert response.status_code == 200
    return response.text


def test_the_statement_lists_each_checked_page_of_the_data_file_and_no_other(statement):
    listed = re.findall(r'<li id="verifiee-([a-z-]+)">([^<]*)</li>', statement)
    pages = checked_pages.checked_pages()
    assert [page_id for page_id, _ in listed] == [page.id for page in pages]
    assert [html.unescape(name) for _, name in listed] == [page.name for page in pages]
    assert {page.audience for page in pages} == set(checked_pages.AUDIENCES)  # each heading has pages
    said = text_of(statement)
    for heading in checked_pages.AUDIENCES.values():
        assert heading in said


def test_the_statement_claims_no_more_than_an_automatic_check_and_says_what_is_missing(statement):
    said = text_of(statement)
    assert "Ce site est non conforme" in said and "aucun audit complet du RGAA n’a encore été fait" in said
    assert "taux de conformité" in said and "%" not in said  # no rate without an audit
    assert "7 décembre 2026" in said  # notices.ACCESSIBILITY_STATEMENT_DATE, when the tests were run
    assert "axe-core" in said and "au clavier seul" in said and "Tabulation et Entrée" in said
    assert "Ces tests ne remplacent pas un audit" in said
    missing = said[said.index("Ce qui n’est pas accessible") : said.index("Notre plan")]
    assert "lecteur d’écran" in missing and "30 minutes sans activité" in missing and "échange en direct" in missing
    plan = said[said.index("Notre plan") : said.index("Signaler un problème")]
    assert "schéma pluriannuel" in plan and "audit complet du RGAA" in plan
    report = said[said.index("Signaler un problème") :]
    assert "Défenseur des droits" in report and notices.DEFENSEUR_DES_DROITS["form"] in report
    assert notices.DEFENSEUR_DES_DROITS["phone"] in report and "Libre réponse 71120" in report
