"""French typography (bot/language/french.py), over every response of domain.yml and every data text."""

from __future__ import annotations

import asyncio
import re
import string

import pytest
import yaml

from bot import datafiles, paths
from bot.language.french import NBSP, NNBSP, de, faults, typeset
from bot.rasa_extensions.nlg import FrenchResponses


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("pour votre activité de électricien, vous", "pour votre activité d'électricien, vous"),
        ("de hôtel", "d'hôtel"),
        ("de haricots", "de haricots"),  # aspirated h: no elision
        ("le ordinateur de une amie", "l'ordinateur d'une amie"),
        ("si il faut", "s'il faut"),
        ("Île-de-France", "Île-de-France"),
        ("C'est bien cela ?", f"C'est bien cela{NNBSP}?"),
        ("Quoi?!", f"Quoi{NNBSP}?!"),
        ("Avantages : a ; b.", f"Avantages{NBSP}: a{NNBSP}; b."),
        ("« oui »", f"«{NBSP}oui{NBSP}»"),
        ("lundi 1 décembre, 11 décembre", "lundi 1er décembre, 11 décembre"),
        ("à 14 h 00, 9h30, 9h et 14:00", f"à 14{NBSP}h, 9{NBSP}h{NBSP}30, 9{NBSP}h et 14{NBSP}h"),
        ("vous recontactera au marie@exemple.fr", "vous recontactera à l'adresse marie@exemple.fr"),
        ("vous recontactera au 06 12 34 56 78", "vous recontactera au 06 12 34 56 78"),
        ("voir https://x.fr/a?b=1 : ok", f"voir https://x.fr/a?b=1{NBSP}: ok"),
        ("lundi: 09:00-12:30", f"lundi{NBSP}: 09:00-12:30"),  # opening-hours ranges stay as written
    ],
)
def test_typeset(raw, expected):
    assert typeset(raw) == expected
    assert typeset(expected) == expected  # idempotent: a text may pass twice


def test_preposition_with_elision():
    assert de("boulangerie") == "de boulangerie" and de("électricien") == "d'électricien"


def test_bad_inclusive_forms_are_faults():
    assert faults("Je travaille seul(e)") and faults("Dirigeant(e)") and not faults("Seul ou seule")


def _responses() -> dict:
    return yaml.safe_load(paths.DOMAIN.read_text(encoding="utf-8"))["responses"]


def _render(name: str) -> list[dict]:
    """Every variation of a response, as Rasa renders it, each placeholder filled with a trade."""

    class Domain:
        responses = _responses()

    nlg = FrenchResponses(domain=Domain())
    rendered = []
    for variation in Domain.responses[name]:
        fields = {f for _, f, _, _ in string.Formatter().parse(variation.get("text", "")) if f}
        values = {f: "électricien" for f in fields}
        rendered.append(asyncio.run(nlg.generate(name, _Tracker(), "rest", **values)))
    return rendered


class _Tracker:
    def current_slot_values(self):
        return {}


@pytest.mark.parametrize("name", sorted(_responses()))
def test_every_response_reads_well_once_rendered(name):
    for message in _render(name):
        texts = [message["text"]] + [b["title"] for b in message.get("buttons", [])]
        for text in texts:
            assert faults(text) == [], (name, text)
            assert not re.search(r"\bde électricien", text), (name, text)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)


DATA_FILES = [
    ("needs.yml", "NEEDS"),
    ("sectors.yml", "SECTORS"),
    ("service.yml", "SERVICE"),
    ("referrals.yml", "REFERRALS"),
    ("maturity.yml", "MATURITY"),
    ("situation.yml", "SITUATION"),
    ("topics.yml", "TOPICS"),
    *[(f"knowledge/{p.name}", "KNOWLEDGE") for p in sorted((paths.DATA / "knowledge").glob("*.yml"))],
]


@pytest.mark.parametrize("name, schema", DATA_FILES)
def test_every_data_text_reads_well_once_loaded(name, schema):
    loaded = datafiles.load_cached(paths.DATA / name, schema)
    for text in _strings(loaded):
        assert faults(text) == [], (name, text)
    # and the file itself holds no form that typography cannot fix
    raw = (paths.DATA / name).read_text(encoding="utf-8")
    assert not re.search(r"\w\((?:e|es)\)", raw), name


def test_rasa_renders_through_the_french_generator():
    endpoints = yaml.safe_load(paths.ENDPOINTS.read_text(encoding="utf-8"))
    assert endpoints["nlg"]["type"] == "bot.rasa_extensions.nlg.FrenchResponses"
    prod = yaml.safe_load((paths.ROOT / "deploy" / "endpoints.prod.yml").read_text(encoding="utf-8"))
    assert prod["nlg"]["type"] == "bot.rasa_extensions.nlg.FrenchResponses"


def test_button_payloads_are_sent_as_written_and_log_no_error(caplog):
    from structlog.testing import capture_logs

    """Rasa's interpolator read a payload's entities as a slot name and logged a traceback for each
    button, at every rendering; titles still take the values, payloads never name a slot."""

    class Domain:
        responses = {
            "utter_choice": [
                {
                    "text": "Pour {métier}.",
                    "buttons": [
                        {"title": "Rappel pour {métier}", "payload": '/ask_human{"mode_contact": "rappel"}'},
                        {"title": "Non", "payload": "/deny"},
                    ],
                }
            ]
        }

    with caplog.at_level("DEBUG"), capture_logs() as structured:
        message = asyncio.run(FrenchResponses(domain=Domain()).generate("utter_choice", _Tracker(), "rest", métier="plombier"))
    assert message["text"] == "Pour plombier."
    assert [b["title"] for b in message["buttons"]] == ["Rappel pour plombier", "Non"]
    assert [b["payload"] for b in message["buttons"]] == ['/ask_human{"mode_contact": "rappel"}', "/deny"]
    assert [r for r in caplog.records if r.levelno >= 40] == [] and structured == []  # Rasa logs through structlog
    payloads = [b["payload"] for variations in _responses().values() for v in variations for b in v.get("buttons", [])]
    assert payloads and not [p for p in payloads if re.search(r"\{[^\"{}]*\}", p)]  # no {slot} in any payload
