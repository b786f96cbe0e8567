"""NLU examples from the mediators' triage corrections, accepted by Rasa's own loader."""

from __future__ import annotations

import argparse

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bot import paths
from bot.ops import store_cli, training_export
from bot.store import db, dossiers
from tests.support.clock import AT
from tests.support.rasa_events import add_event, create_events_table, say


def corrected(session, conversation_id: str, triage_correct: bool | None, corrected_need: str | None) -> None:
    dossiers.record_need(session, conversation_id, "presence_en_ligne", 0.6, now=AT)
    dossier = dossiers.by_conversation(session, conversation_id)
    dossier.triage_correct, dossier.corrected_need = triage_correct, corrected_need
    session.commit()


def fill(session) -> None:
    create_events_table(session)
    # a button click first (its payload, shown to the person as the button's title), then typed text
    add_event(session, "c1", "user", 1.0, {"event": "user", "text": "/greet", "metadata": {"display": "Bonjour"}})
    say(
        session,
        "c1",
        ("bot", "Bonjour, que puis-je faire ?"),
        ("user", "Je voudrais que mes vendeurs\nsachent utiliser\r\n la caisse"),
        ("user", "merci"),
        start=2.0,
    )
    corrected(session, "c1", False, "former_salaries")
    # the same words in another conversation, for the same need: only once
    say(session, "c2", ("user", "je voudrais que mes vendeurs sachent utiliser la caisse"))
    corrected(session, "c2", False, "former_salaries")
    say(session, "c3", ("user", "Comment déclarer ma TVA: [en ligne] ? # vite"))
    corrected(session, "c3", False, "demarches_en_ligne")
    # not exported: triage right, not reviewed, unknown need, no message
    say(session, "ok", ("user", "Je veux un site"))
    corrected(session, "ok", True, None)
    say(session, "unreviewed", ("user", "Un site web"))
    corrected(session, "unreviewed", None, None)
    say(session, "bad-need", ("user", "Bonjour"))
    corrected(session, "bad-need", False, "pas_un_besoin")
    say(session, "silent", ("user", "/restart"))
    corrected(session, "silent", False, "utiliser_ordinateur")


EXPECTED = [
    ("Je voudrais que mes vendeurs sachent utiliser la caisse", "former_salaries"),
    ("Comment déclarer ma TVA: (en ligne) ? # vite", "demarches_en_ligne"),
]


def test_corrected_examples(url):
    with db.session(url) as session:
        fill(session)
        assert training_export.corrected_examples(session) == EXPECTED


def test_without_events_table_no_example(url):
    with db.session(url) as session:
        corrected(session, "c1", False, "former_salaries")
        assert training_export.corrected_examples(session) == []


def test_yaml_is_valid_and_rasa_loads_it(url, tmp_path):
    with db.session(url) as session:
        fill(session)
        examples = training_export.corrected_examples(session)
    path = training_export.write_nlu_yaml(examples, tmp_path / "out" / "nlu_corrections.yml")

    content = path.read_text(encoding="utf-8")
    assert content.startswith("# ") and "data/nlu/" in content.splitlines()[1]
    data = yaml.safe_load(content)
    assert data["version"] == "3.1"
    assert [block["intent"] for block in data["nlu"]] == ["demarches_en_ligne", "former_salaries"]
    assert data["nlu"][1]["examples"] == "- Je voudrais que mes vendeurs sachent utiliser la caisse\n"

    training_data = load_data(str(path))
    loaded = sorted((m.get("text"), m.get("intent")) for m in training_data.intent_examples)
    assert loaded == sorted(EXPECTED)
    assert training_data.entity_examples == []  # the brackets were not read as an entity annotation


def test_examples_given_directly_are_normalised_and_checked(tmp_path):
    path = training_export.write_nlu_yaml(
        [
            ("Un site\n pour ma boutique", "presence_en_ligne"),
            ("un site pour ma boutique", "presence_en_ligne"),
            ("bizarre\x00\x9f\ud800 texte", "presence_en_ligne"),
            ("  ", "presence_en_ligne"),
        ],
        tmp_path / "nlu.yml",
    )
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["nlu"] == [{"intent": "presence_en_ligne", "examples": "- Un site pour ma boutique\n- bizarre texte\n"}]
    assert len(load_data(str(path)).intent_examples) == 2
    with pytest.raises(ValueError, match="unknown need"):
        training_export.nlu_yaml([("texte", "pas_un_besoin")])


def test_empty_export_is_still_valid(tmp_path):
    path = training_export.write_nlu_yaml([], tmp_path / "nlu.yml")
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"] == []
    assert load_data(str(path)).intent_examples == []


def test_export_training_command(url, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(store_cli, "open_session", lambda: db.session(url))
    with db.session(url) as session:
        fill(session)
    parser = argparse.ArgumentParser(prog="bot")
    store_cli.add_commands(parser.add_subparsers(dest="command", required=True))
    out = tmp_path / "reports" / "nlu.yml"
    args = parser.parse_args(["export-training", "--out", str(out)])
    assert args.func(args) == 0
    assert f"2 example(s) written to {out}" in capsys.readouterr().out
    assert len(load_data(str(out)).intent_examples) == 2
    default = parser.parse_args(["export-training"]).out
    assert default.parts[-2:] == ("reports", "nlu_corrections.yml")


def test_decisions_are_exported_without_training_sentences_and_refusing_test_sentences(url, tmp_path):
    from datetime import datetime, timezone

    from bot.domain import review
    from bot.store import accounts, review_inbox

    held_out_sentence = yaml.safe_load(paths.NLU_TEST_SET.read_text(encoding="utf-8"))["nlu"][0]["examples"].splitlines()[1]
    held_out_sentence = training_export._ANNOTATION.sub(r"\1", held_out_sentence.removeprefix("- "))
    training_sentence = "Le versement libératoire, ça vaut le coup ou pas ?"  # data/nlu/out_of_scope.yml
    now = datetime(2030, 3, 4, tzinfo=timezone.utc)
    with db.session(url) as session:
        mediator = accounts.add_mediator(session, "Awa", "awa@example.org", now=AT)
        for conversation, text in [
            ("new", "Mon TPE plante quand j'imprime, écrivez à jo@example.fr"),
            ("held", held_out_sentence.upper()),
            ("trained", training_sentence),
        ]:
            review_inbox.record_first_message(session, conversation, text, review.MENU, None, 0.1, now=now)
        for group in review_inbox.groups(session):
            review_inbox.decide(session, group.entry_id, "utiliser_ordinateur", mediator.id, now=now)
        session.commit()
        export = training_export.checked(training_export.review_examples(session))
    assert export.examples == [("Mon TPE plante quand j'imprime, écrivez à (e-mail)", "utiliser_ordinateur")]
    assert (export.refused, export.already_trained) == (1, 1)


def test_held_out_sentences_are_read_from_every_test_set():
    held_out = training_export.sentences_in(training_export.held_out_files())
    assert {p.name for p in training_export.held_out_files()} >= {"nlu_test.yml", "typed_conversations_heldout.yml"}
    # a typed conversation's first message, and an NLU example without its entity annotation
    assert "slt je voudrais que ma boulangerie soit plus visible sur google je sais pas comment faire" in held_out
    assert "jarrive pas a me connecter sur net entreprises depuis hier" in held_out
    assert any(s.startswith("bon moi je suis couvreur depuis 30 ans c est ma fille") for s in held_out)
    trained = training_export.sentences_in(training_export.training_files())
    assert "bonjour" in trained and not any("{" in s or "[" in s for s in trained)


def test_out_of_scope_is_a_block_of_its_own(tmp_path):
    path = training_export.write_nlu_yaml(
        [("quel taux de tva", "out_of_scope"), ("un site", "presence_en_ligne")], tmp_path / "n.yml"
    )
    assert [b["intent"] for b in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]] == ["presence_en_ligne", "out_of_scope"]
    assert len(load_data(str(path)).intent_examples) == 2
