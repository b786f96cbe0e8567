"""The business's situation questions (data/situation.yml): asked only for the needs that call for
them, three at most, each skippable, and understood as people type them."""

from __future__ import annotations

import pytest

from bot import paths
from bot.datafiles import load_yaml
from bot.domain import catalog, options, situation
from bot.schemas import SITUATION


def test_the_file_is_valid_and_every_need_gets_three_questions_at_most():
    load_yaml(paths.DATA / "situation.yml", SITUATION)
    for need in catalog.needs():
        assert len(situation.for_need(need.id)) <= 3, need.id
    assert situation.for_need(None) == [] and situation.for_need("presence_en_ligne") == []
    asked = {need.id: [q["id"] for q in situation.for_need(need.id)] for need in catalog.needs()}
    assert asked["outils_internes"] == ["forme_juridique", "expert_comptable", "tva"]
    assert asked["demarches_en_ligne"] == ["expert_comptable", "tva", "acces_espaces"]  # e-invoicing is read there too
    assert asked["utiliser_ordinateur"] == ["equipement"] and asked["former_salaries"] == ["forme_juridique"]


def test_each_question_explains_its_terms_and_has_a_way_not_to_answer():
    for question in situation.questions():
        assert any(a["id"].startswith("ne_") for a in question["answers"]), question["id"]
        assert all(len(a["title"]) <= 30 for a in question["answers"]), question["id"]
    assert "franchise en base" in situation.question("tva")["text"] and "ne facturez pas" in situation.question("tva")["text"]
    assert "auto-entrepreneur" in situation.question("forme_juridique")["text"]
    assert "FranceConnect est" in situation.question("acces_espaces")["text"]
    assert "c'est-à-dire un téléphone qui va sur internet" in situation.question("equipement")["text"]


def test_every_situation_question_has_typed_words():
    known = set(options.questions())
    assert {f"q_{q['id']}" for q in situation.questions()} <= known


@pytest.mark.parametrize(
    "question, typed, expected",
    [
        ("forme_juridique", "micro", "micro_entreprise"),
        ("forme_juridique", "auto entrepreneur", "micro_entreprise"),
        ("forme_juridique", "je suis autoentrepreneuse", "micro_entreprise"),
        ("forme_juridique", "sasu", "sas_sasu"),
        ("forme_juridique", "jsp", "ne_sait_pas"),
        ("expert_comptable", "j'ai un comptable", "oui"),
        ("expert_comptable", "non je fais tout moi meme", "non"),
        ("tva", "pas de tva", "franchise"),
        ("tva", "oui je facture la tva", "facture_tva"),
        ("tva", "jsp", "ne_sait_pas"),
        ("equipement", "juste mon tel", "smartphone"),
        ("equipement", "un ordi et mon tel", "les_deux"),
        ("equipement", "un pc portable mais pas de smartphone", "ordinateur"),
        ("equipement", "ni ordi ni smartphone", "aucun"),
        ("equipement", "un vieux telephone a clapet", "aucun"),
        ("acces_espaces", "j'ai perdu mon mot de passe", "bloque"),
        ("acces_espaces", "jamais cree de compte", "jamais_cree"),
        ("acces_espaces", "oui j'arrive a me connecter", "connecte"),
    ],
)
def test_typed_answers_are_understood(question, typed, expected):
    found = options.understand(f"q_{question}", typed).option
    assert found is not None and found.key == expected, (typed, found)


def test_devices_named_said_or_denied():
    assert situation.equipment_of("jai un vieux pc et un iphone") == "les_deux"
    assert situation.equipment_of("pas d'ordi juste mon portable") == "smartphone"
    assert situation.equipment_of("ordinateur portable") == "ordinateur"  # a laptop, not a phone
    assert situation.equipment_of("pas d'ordinateur") is None  # says nothing of the phone
    assert situation.equipment_of("les deux") is None  # no device named: the buttons' words decide


def test_what_the_synthesis_says_of_an_answer():
    assert situation.said("tva", "franchise") == "ne facture pas la TVA (franchise en base)"
    assert situation.said("equipement", "ne_repond_pas") == "non répondu"
    assert situation.said("tva", None) is None and situation.said("tva", "nope") is None


def test_the_question_whose_buttons_were_shown_is_known_by_them():
    # actions/qualification.py sends each answer's title as its payload; the « which one? » re-ask a few of them
    for question in situation.questions():
        titles = [a["title"] for a in question["answers"]]
        assert situation.asked_by(titles) == question["id"]
        assert situation.asked_by([t for t in titles if t != "Je ne sais pas"][:2]) == question["id"]
    assert situation.asked_by(["Mot de passe perdu ou bloqué", "Je ne sais pas"]) == "acces_espaces"
    assert situation.asked_by(["Je ne sais pas"]) is None  # several questions offer it
    assert situation.asked_by(["/affirm", "/deny"]) is None and situation.asked_by([]) is None
