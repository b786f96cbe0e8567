"""Which kind of non-digital question a message is about (data/topics.yml), to redirect it."""

from __future__ import annotations

import re

from bot import paths
from bot.datafiles import load_cached
from bot.language.textnorm import normalize


def keywords() -> dict[str, list[str]]:
    return load_cached(paths.DATA / "topics.yml", "TOPICS")["topics"]


def detect(text: str) -> str | None:
    """« particulier » when the person says they are not a business, else the topic with the most
    keyword matches (ties: file order), or None."""
    if private_person(text):
        return "particulier"  # whatever else they ask, a private person's procedure: France Services
    typed = normalize(text)
    best, best_hits = None, 0
    for topic, words in keywords().items():
        hits = sum(1 for word in words if re.search(rf"\b{re.escape(normalize(word))}", typed))
        if hits > best_hits:
            best, best_hits = topic, hits
    return best


# A person saying they are not a business: this service is for businesses, France Services helps them.
PRIVATE_PERSON = re.compile(
    r"\b(je suis (un |une )?(simple )?particulier(e)?|en tant que particulier(e)?|a titre (personnel|prive)"
    r"|pour moi personnellement|je ne suis pas (une )?entreprise|je n ai pas d entreprise)\b"
)


def private_person(text: str) -> bool:
    """« je suis un particulier », « à titre personnel », « je n'ai pas d'entreprise »."""
    return bool(PRIVATE_PERSON.search(normalize(text)))
