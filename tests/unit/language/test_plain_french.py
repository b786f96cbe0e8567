"""French that a person at ease with nothing digital reads at once (issue 27, section 5), checked
over every text a person sees: the assistant's responses (domain.yml), the data files' texts, the
widget, the channels' own replies. The page and the notices: tests/web/test_plain_french_pages.py.

- typography: no-break spaces before « : ; ! ? » and inside « guillemets », and, in the texts that
  go through `polish` (the widget, the channels' replies, the pages), the typographic apostrophe;
- no symbol shorthand (« effort faible ; + gratuit ; – un identifiant »): sentences;
- no bare acronym: the words first, the acronym in brackets (« … des professionnels libéraux (FIF PL) »);
- « Touchez » assumes a touch screen: « choisissez ».
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from actions.answering import ActionShowDetail
from bot import paths
from bot.channels import replies
from bot.domain import catalog
from bot.language.french import faults
from tests.support.actions import make_tracker, run
from tests.support.plain_french import plain_french_faults

# the data files' fields a person reads (not ids, sources, check dates, notes for the maintainers)
SHOWN_FIELDS = {"advantages", "drawbacks", "name", "title", "what", "description", "why", "how", "label", "phrase", "tip"}
SHOWN_FIELDS |= {"text", "summary", "details", "said"}
DATA_FILES = ["needs.yml", "sectors.yml", "referrals.yml", "maturity.yml", "situation.yml", "topics.yml"]
DATA_FILES += [f"knowledge/{p.name}" for p in sorted((paths.DATA / "knowledge").glob("*.yml"))]


def _shown_strings(value, field=None):
    if isinstance(value, str):
        if field in SHOWN_FIELDS:
            yield value
    elif isinstance(value, list):
        for item in value:
            yield from _shown_strings(item, field)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _shown_strings(item, key)


def domain_texts() -> list[tuple[str, str]]:
    responses = yaml.safe_load(paths.DOMAIN.read_text(encoding="utf-8"))["responses"]
    found = []
    for name, variations in responses.items():
        for variation in variations:
            found.append((name, variation.get("text", "")))
            found += [(name, button["title"]) for button in variation.get("buttons", [])]
    return found


def widget_texts() -> list[str]:
    """The widget's own texts (its TEXT object), as the browser decodes them."""
    source = (paths.ROOT / "bot" / "web" / "static" / "widget.js").read_text(encoding="utf-8")
    block = source[source.index("var TEXT = {") : source.index("\n  };", source.index("var TEXT = {"))]
    return [json.loads(literal) for literal in re.findall(r'"(?:[^"\\]|\\.)*"', block)]


def channel_replies() -> list[str]:
    texts = [replies.EMPTY, replies.STILL_WORKING, replies.check_text("x" * 5000)[1]]
    texts += [replies.trouble(), replies.synthesis_refused(), replies.too_many_handovers()]
    texts += [replies.too_fast(which, 12) for which in ("client", "conversation", "new_conversation")]
    return texts


def test_the_check_catches_what_the_issue_found():
    assert plain_french_faults("1. Une fiche : effort faible ; + gratuit ; – un identifiant à créer.")
    assert plain_french_faults("Passez par le FAFCEA.") and plain_french_faults("le FIF PL (fonds des libéraux)")
    assert plain_french_faults("Touchez une piste pour ses avantages.")
    assert plain_french_faults("Une plateforme agréée PA")
    fine = "le fonds interprofessionnel de formation des professionnels libéraux (FIF PL), puis le FIF PL"
    assert plain_french_faults(fine) == [] and plain_french_faults("Choisissez une piste.") == []
    assert plain_french_faults("Clic&Connect, un PAS de plus, la PAC, 14 h - 17 h") == []


@pytest.mark.parametrize("name, text", domain_texts())
def test_the_assistants_responses_read_at_once(name, text):
    assert plain_french_faults(text) == [], (name, text)


@pytest.mark.parametrize("name", DATA_FILES)
def test_the_data_files_texts_read_at_once(name):
    for text in _shown_strings(yaml.safe_load((paths.DATA / name).read_text(encoding="utf-8"))):
        assert plain_french_faults(text) == [], (name, text)


def test_the_widget_and_the_channels_replies_have_french_typography_and_plain_words():
    for text in widget_texts() + channel_replies():
        assert faults(text, apostrophes=True) == [], text
        assert plain_french_faults(text) == [], text


def test_the_comparison_of_the_pistes_is_in_sentences(store_url):
    compare = {"entities": [{"entity": "detail", "value": "comparer"}]}
    tracker = make_tracker("/voir_detail", "voir_detail", slots={"besoin": "presence_en_ligne"}, **compare)
    messages, _ = run(ActionShowDetail(), tracker)
    lines = messages[0]["lignes"]
    assert plain_french_faults(lines) == [], lines
    assert "Point fort" in lines and "Point faible" in lines and "demande un effort" in lines


def test_the_reformulation_lists_no_example_the_person_did_not_give():
    """« vous souhaitez faire une démarche administrative sur internet (URSSAF, impôts, facture
    électronique…) » put words in the mouth of someone who only spoke of their URSSAF account."""
    for need in catalog.needs():
        assert "(" not in need.phrase and "…" not in need.phrase, need.phrase
