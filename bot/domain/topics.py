"""Which kind of non-digital question a message is about (data/topics.yml), to redirect it."""

from __future__ import annotations

import re

from bot import paths
from bot.datafiles import load_cached
from bot.language.textnorm import normalize


def keywords() -> dict[str, list[str]]:
    return load_cached(paths.DATA / "topics.yml", "TOPICS")["topics"]


def detect(text: str) -> str | None:
    """The topic with the most keyword matches (ties: file order), or None."""
    typed = normalize(text)
    best, best_hits = None, 0
    for topic, words in keywords().items():
        hits = sum(1 for word in words if re.search(rf"\b{re.escape(normalize(word))}", typed))
        if hits > best_hits:
            best, best_hits = topic, hits
    return best
