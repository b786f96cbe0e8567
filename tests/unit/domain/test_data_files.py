"""The data files (needs, sectors, service, NLU data) are valid and consistent with each other."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from bot import paths
from bot.datafiles import DataFileError, load_yaml
from bot.domain import catalog
from bot.evaluation.dataset import normalize, training_examples
from bot.schemas import NEED_IDS, NEEDS, TYPED_ANSWERS


def test_catalog_loads_every_need_sector_and_the_contact():
    assert [n.id for n in catalog.needs()] == NEED_IDS
    assert catalog.need("nope") is None
    assert {"commerce", "batiment", "agriculture"} <= set(catalog.sectors())
    assert catalog.service_contact().email


def test_a_malformed_data_file_is_refused_with_its_location(tmp_path):
    bad = tmp_path / "needs.yml"
    bad.write_text("needs:\n  demarches_en_ligne:\n    label: x\n")
    with pytest.raises(DataFileError, match="needs: .utiliser_ordinateur. is a required property"):
        load_yaml(bad, NEEDS)
    bad.write_text("needs: [unclosed")
    with pytest.raises(DataFileError, match="cannot read"):
        load_yaml(bad, NEEDS)


def test_yes_and_no_unquoted_are_refused(tmp_path):
    """YAML reads an unquoted yes or no as a boolean: the typed answers' schema refuses it."""
    broken = tmp_path / "answers.yml"
    broken.write_text(
        "shared: {oui: [yes]}\nquestions: {utter_x: {/affirm: [ok]}}\n" "requests_for_a_person: [x]\nperson_words: [y]\n"
    )
    with pytest.raises(DataFileError, match="shared/oui/0"):
        load_yaml(broken, TYPED_ANSWERS)


def test_menu_buttons_are_the_needs_labels_in_order():
    domain = yaml.safe_load(paths.DOMAIN.read_text(encoding="utf-8"))
    buttons = domain["responses"]["utter_choose_need"][0]["buttons"]
    assert [(b["title"], b["payload"]) for b in buttons[:9]] == [(n.label, f"/{n.id}") for n in catalog.needs()]
    assert [b["payload"] for b in buttons[9:]] == ["/dont_know", "/ask_human"]


def test_every_sector_synonym_and_annotation_maps_onto_the_fixed_list():
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(paths.NLU_DATA))
    sectors = set(catalog.sectors())
    assert set(data.entity_synonyms.values()) <= sectors  # synonyms exist for sectors only
    annotated = {
        data.entity_synonyms.get(e["value"], e["value"])
        for m in data.entity_examples
        for e in m.get("entities", [])
        if e["entity"] == "secteur"
    }
    assert annotated <= sectors
    assert set(data.entity_synonyms.values()) == sectors, "every sector has synonyms"


def test_enough_varied_training_examples_per_intent():
    counts = Counter(e.intent for e in training_examples())
    for need in NEED_IDS:
        assert counts[need] >= 60, need
    assert counts["out_of_scope"] >= 100
    for intent in ["greet", "goodbye", "thank", "affirm", "deny", "dont_know", "bot_challenge", "ask_human"]:
        assert counts[intent] >= 15, intent


def test_no_duplicate_training_examples():
    seen = Counter(normalize(e.text) for e in training_examples())
    assert [text for text, n in seen.items() if n > 1] == []
