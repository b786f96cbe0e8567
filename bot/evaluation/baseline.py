"""A plain baseline the Rasa pipeline must beat: TF-IDF n-grams + logistic regression."""

from __future__ import annotations

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, make_pipeline

from bot.evaluation.dataset import Example
from bot.language.textnorm import normalize


def train_baseline(examples: list[Example]):
    model = make_pipeline(
        FeatureUnion(
            [
                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
                ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
            ]
        ),
        LogisticRegression(C=10.0, max_iter=3000),
    )
    model.fit([normalize(e.text) for e in examples], [e.intent for e in examples])
    return model


def predict(model, texts: list[str]) -> list[str]:
    return list(model.predict([normalize(t) for t in texts]))
