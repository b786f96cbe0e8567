"""Intent classifier: TF-IDF of character and word n-grams, logistic regression.

Chosen over DIET by cross-validation on our data (docs/nlu.md): with a few hundred short,
noisy French messages per need, a well-regularised linear model on accent-folded n-grams
generalises better than a neural network. Optionally adds spaCy lemmas as word features
(« voudrais » and « veux » both become « vouloir »).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer

from bot.language.textnorm import normalize
from bot.rasa_extensions.nlu.politeness import POLITENESS_INTENTS, core

MODEL_FILE = "tfidf_intent_classifier.joblib"
LEMMA_SEPARATOR = " ||| "


def _text_part(rows: List[str]) -> List[str]:
    return [row.split(LEMMA_SEPARATOR)[0] for row in rows]


def _lemma_part(rows: List[str]) -> List[str]:
    return [row.split(LEMMA_SEPARATOR)[1] if LEMMA_SEPARATOR in row else "" for row in rows]


def build_pipeline(config: Dict[Text, Any]) -> Pipeline:
    def tfidf(analyzer: str, ngrams: List[int]) -> TfidfVectorizer:
        return TfidfVectorizer(analyzer=analyzer, ngram_range=tuple(ngrams), sublinear_tf=True)

    parts = [
        ("chars", make_pipeline(FunctionTransformer(_text_part), tfidf("char_wb", config["char_ngram_range"]))),
        ("words", make_pipeline(FunctionTransformer(_text_part), tfidf("word", config["word_ngram_range"]))),
    ]
    if config["use_lemmas"]:
        parts.append(("lemmas", make_pipeline(FunctionTransformer(_lemma_part), tfidf("word", config["word_ngram_range"]))))
    classifier = LogisticRegression(C=config["C"], max_iter=5000, random_state=config["random_state"])
    return make_pipeline(FeatureUnion(parts), classifier)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "C": 30.0,
            "char_ngram_range": [3, 6],
            "word_ngram_range": [1, 2],
            "use_lemmas": False,
            # A greeting or thanks around a question never hides it (issue 28): see _probabilities.
            "read_past_politeness": False,
            "ranking_length": 10,
            "random_state": 42,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        pipeline: Optional[Pipeline] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.pipeline = pipeline

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "TfidfIntentClassifier":
        return cls(config, model_storage, resource)

    def _features(self, message: Message) -> str:
        text = normalize(message.get(TEXT) or "")
        if not self.config["use_lemmas"]:
            return text
        return f"{text}{LEMMA_SEPARATOR}{self._lemmas(message)}"

    @staticmethod
    def _lemmas(message: Message) -> str:
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        return normalize(" ".join((t.lemma or t.text) for t in tokens))

    def _probabilities(self, message: Message) -> Any:
        """The classifier's probabilities, read past the politeness around the message.

        When what is left without « bonjour … merci d'avance » is itself read as something else
        than a greeting, thanks or goodbye (three words or more, or a confident reading), that
        reading is the message's: greet, thank and goodbye get nothing. « bonjour madame » and
        « merci, bonne journée » keep their full-text reading.
        """
        assert self.pipeline is not None
        features = self._features(message)
        if not self.config["read_past_politeness"]:
            return self._predict(features)
        rest = core(normalize(message.get(TEXT) or ""))
        if not rest:
            return self._predict(features)
        rest_features = rest
        if self.config["use_lemmas"]:
            rest_features = f"{rest}{LEMMA_SEPARATOR}{core(self._lemmas(message)) or rest}"
        # the rest first: with no politeness around the message it is the message itself, read once
        of_rest = self._predict(rest_features)
        classes = list(self.pipeline.classes_)
        if classes[int(of_rest.argmax())] in POLITENESS_INTENTS or (len(rest.split()) < 3 and of_rest.max() < 0.5):
            return of_rest if rest_features == features else self._predict(features)
        of_rest = of_rest.copy()
        for i, name in enumerate(classes):
            if name in POLITENESS_INTENTS:
                of_rest[i] = 0.0
        return of_rest / of_rest.sum()

    def _predict(self, features: str) -> Any:
        assert self.pipeline is not None
        return self.pipeline.predict_proba([features])[0]

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        self.pipeline = build_pipeline(self.config)
        self.pipeline.fit([self._features(m) for m in examples], [m.get(INTENT) for m in examples])
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self.pipeline, Path(directory) / MODEL_FILE)
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if self.pipeline is None or not (message.get(TEXT) or "").strip():
                # no reading, as Rasa's classifiers say it: the FallbackClassifier after us needs an
                # intent to read, and turns this one into nlu_fallback (without it: a KeyError, and
                # the message was not processed)
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
                continue
            probabilities = self._probabilities(message)
            ranked = sorted(zip(self.pipeline.classes_, probabilities, strict=False), key=lambda x: -x[1])
            ranking = [{"name": str(n), "confidence": float(p)} for n, p in ranked[: self.config["ranking_length"]]]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "TfidfIntentClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                pipeline = joblib.load(Path(directory) / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            pipeline = None  # not trained (e.g. no NLU data)
        return cls(config, model_storage, resource, pipeline)
