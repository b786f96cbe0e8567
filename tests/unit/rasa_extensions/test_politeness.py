"""A greeting, thanks or politeness around a question never hides it (issue 28)."""

from __future__ import annotations

import pytest

from bot.language.textnorm import normalize
from bot.rasa_extensions.nlu.politeness import core


@pytest.mark.parametrize(
    ("typed", "rest"),
    [
        ("Bonjour, comment modifier mes coordonnées bancaires ?", "comment modifier mes coordonnees bancaires"),
        ("Bonjour mon numéro fiscal, je le trouve où ? Merci d'avance", "mon numero fiscal je le trouve ou"),
        ("Madame, Monsieur, je souhaiterais une attestation. Cordialement", "je souhaiterais une attestation"),
        ("bjr tt le monde, site qui marche plus svp", "site qui marche plus"),
    ],
)
def test_the_politeness_around_a_message_is_taken_away(typed, rest):
    assert core(normalize(typed)) == rest


@pytest.mark.parametrize(
    "typed", ["bonjour madame", "Re bonjour !", "merci beaucoup, bonne journée", "bonsoir à tous", "adieu et merci"]
)
def test_a_message_of_politeness_only_leaves_nothing(typed):
    assert core(normalize(typed)) == ""


def test_the_classifier_never_reads_a_question_behind_a_greeting_as_a_greeting():
    """A tiny model where « bonjour » weighs heavily towards greet: the question still wins."""
    from rasa.shared.nlu.constants import INTENT, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from bot.rasa_extensions.nlu.tfidf_intent_classifier import TfidfIntentClassifier, build_pipeline

    greetings = ["bonjour", "bonjour bonjour", "bonjour madame", "bonjour a tous", "bonjour monsieur", "re bonjour"]
    needs = ["declarer la tva", "declaration de tva en ligne", "payer la cfe", "espace professionnel impots"]
    config = {**TfidfIntentClassifier.get_default_config(), "read_past_politeness": True}
    pipeline = build_pipeline(config)
    pipeline.fit(greetings + needs, ["greet"] * len(greetings) + ["demarches_en_ligne"] * len(needs))
    classifier = TfidfIntentClassifier(config, model_storage=None, resource=None, pipeline=pipeline)  # type: ignore[arg-type]

    def intent(text: str) -> str:
        message = Message(data={TEXT: text})
        classifier.process([message])
        return message.get(INTENT)["name"]

    assert intent("Bonjour, bonjour, la declaration de tva en ligne svp") == "demarches_en_ligne"
    assert intent("bonjour madame") == "greet"


@pytest.mark.parametrize("typed", ["", " ", "\n"])
def test_an_empty_message_gets_no_reading_rather_than_no_intent(typed):
    """The FallbackClassifier after ours reads the intent: without one it raised a KeyError and the
    message was not processed (seen in a CI run); with « no reading » it falls back."""
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from bot.rasa_extensions.nlu.tfidf_intent_classifier import TfidfIntentClassifier, build_pipeline

    config = TfidfIntentClassifier.get_default_config()
    pipeline = build_pipeline(config)
    pipeline.fit(["bonjour", "declarer la tva"], ["greet", "demarches_en_ligne"])
    classifier = TfidfIntentClassifier(config, model_storage=None, resource=None, pipeline=pipeline)  # type: ignore[arg-type]
    message = Message(data={TEXT: typed})
    classifier.process([message])
    assert message.get(INTENT) == {"name": None, "confidence": 0.0} and message.get(INTENT_RANKING_KEY) == []


def test_a_message_without_politeness_around_it_is_read_once():
    """The hot path: reading past the politeness costs a second reading only when there was some."""
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message

    from bot.rasa_extensions.nlu.tfidf_intent_classifier import TfidfIntentClassifier, build_pipeline

    config = {**TfidfIntentClassifier.get_default_config(), "read_past_politeness": True}
    pipeline = build_pipeline(config)
    pipeline.fit(["bonjour", "bonjour madame", "declarer la tva", "payer la cfe"], ["greet"] * 2 + ["demarches_en_ligne"] * 2)
    classifier = TfidfIntentClassifier(config, model_storage=None, resource=None, pipeline=pipeline)  # type: ignore[arg-type]
    read: list[str] = []
    predict_proba = pipeline.predict_proba
    pipeline.predict_proba = lambda texts: read.extend(texts) or predict_proba(texts)  # type: ignore[method-assign]
    for text in ("declarer la tva", "ok", "bonjour madame"):
        classifier.process([Message(data={TEXT: text})])
    assert read == ["declarer la tva", "ok", "bonjour madame"]
