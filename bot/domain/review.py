"""The rules of the review inbox (« Phrases à revoir », issue 28): which first messages a mediator
should read again, how the same words are grouped, what a mediator may decide, and how the
person's words are masked wherever they are shown or exported.

A conversation's first message is the first typed message the assistant read as a need, as out of
its scope, or failed to read (greetings, requests for a person… are not): how it read it is one of
READINGS. It needs a review when the assistant did not understand
it, understood it with a confidence below LOW_CONFIDENCE, or understood it wrongly (the person
said « non » to the reformulation, or a mediator corrected the triage when closing the dossier).
"""

from __future__ import annotations

import functools

from bot.domain import catalog
from bot.language import personal_data
from bot.language.textnorm import normalize

# how the assistant read a first message
NEED_SAID_BACK = "besoin"  # a need said back to the person for confirmation
MENU = "menu"  # not sure: the needs offered as buttons (FallbackClassifier's nlu_fallback)
NOT_UNDERSTOOD = "incompris"  # « je n'ai pas compris, pouvez-vous le dire autrement ? »
READ_OUT_OF_SCOPE = "hors_sujet"  # not a digital matter: redirected to another structure
READINGS = (NEED_SAID_BACK, READ_OUT_OF_SCOPE, MENU, NOT_UNDERSTOOD)

# who said the reading was wrong
BY_PERSON = "personne"  # « non » to the reformulation
BY_MEDIATOR = "mediateur"  # « le tri était-il juste ? » answered « non » at closing
CORRECTIONS = (BY_PERSON, BY_MEDIATOR)

# Below this, a need said back is worth a look even when the person said yes. The
# FallbackClassifier sends anything below 0.3 to the menu (config.yml); between 0.3 and 0.5 the
# classifier hesitated between needs.
LOW_CONFIDENCE = 0.5

OUT_OF_SCOPE = "hors_sujet"  # a mediator's decision: not a digital matter (exported as out_of_scope)
DISMISSED = "ecartee"  # nothing to learn from it (a greeting, a test, a half sentence)
OUT_OF_SCOPE_INTENT = "out_of_scope"
WORDS_CHARS = 500  # a grouping key longer than this is cut


def decisions() -> list[tuple[str, str]]:
    """(value, label) of what a mediator may decide, in the order of the buttons."""
    return [
        *((need.id, need.label) for need in catalog.needs()),
        (OUT_OF_SCOPE, "Hors sujet"),
        (DISMISSED, "Écarter"),
    ]


def is_decision(value: str) -> bool:
    return value in {v for v, _ in decisions()}


def training_intent(decision: str | None) -> str | None:
    """The intent a decision teaches the model (None: dismissed, or not decided)."""
    if decision == OUT_OF_SCOPE:
        return OUT_OF_SCOPE_INTENT
    if decision and catalog.need(decision) is not None:
        return decision
    return None


def needs_review(reading: str, confidence: float | None, correction: str | None) -> bool:
    if correction is not None or reading in (MENU, NOT_UNDERSTOOD):
        return True
    return confidence is not None and confidence < LOW_CONFIDENCE


def why(reading: str, confidence: float | None, correction: str | None) -> str:
    """Why the message is in the inbox, in French for the console."""
    if correction == BY_MEDIATOR:
        return "tri corrigé par un médiateur"
    if correction == BY_PERSON:
        return "la personne a répondu « non » à la reformulation"
    if reading == MENU:
        return "pas compris avec assez de certitude : envoyé au menu des sujets"
    if reading == NOT_UNDERSTOOD:
        return "pas compris"
    if reading == READ_OUT_OF_SCOPE:
        return f"lu comme hors sujet avec une faible certitude ({round((confidence or 0) * 100)} %)"
    return f"compris avec une faible certitude ({round((confidence or 0) * 100)} %)"


def words(text: str) -> str:
    """The grouping key: the same words, whatever the case, accents and punctuation."""
    return normalize(text)[:WORDS_CHARS]


@functools.lru_cache(maxsize=2048)
def _masked(text: str, names: tuple[str, ...], companies: tuple[str, ...]) -> str:
    return personal_data.redact(text, names=names, companies=companies)


def masked(text: str, names: tuple[str, ...] = (), companies: tuple[str, ...] = ()) -> str:
    """The text with its e-mail addresses, phone numbers, the names and companies known from the
    dossier and the persons' names spaCy finds replaced by placeholders (bot/language/personal_data.py)."""
    return _masked(text, tuple(n for n in names if n), tuple(c for c in companies if c))
