"""Typed answers matched to the options of a question (buttons people did not click).

A person on a phone types « telephone et mails », « non pas de site », « le 2e », « 4/5 » or
« ca me va » rather than touching a button. `match` maps such text onto one option, or says
that two options are equally close (ask which one), or that nothing is close (say what is
expected). The words people use for each option are data (data/answers.yml), not code; this
module only knows French in general: accents, typos, numbers, ordinals, fillers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from rapidfuzz import fuzz

from bot.textnorm import normalize

ACCEPT = 82.0  # below this score nothing is close enough: measured on tests/typed_answers_test.yml
TIE = 2.5  # two options within this many points are « equally close »
# « non c'est bon », « ça m'aide pas », « pas de site internet »: a negation in what was typed and not
# in the option's phrase (or the reverse) makes the phrase a poor match, however many words it shares.
NEGATIONS = {"non", "nan", "nn", "pas", "jamais", "aucun", "aucune", "rien", "refuse", "ni", "sans"}
NEGATION_PENALTY = 15.0

NUMBER_WORDS = {
    "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10,
}
ORDINALS = {
    "premier": 1, "premiere": 1, "1er": 1, "1ere": 1, "1re": 1, "1e": 1,
    "deuxieme": 2, "second": 2, "seconde": 2, "2e": 2, "2eme": 2, "2nd": 2, "2nde": 2,
    "troisieme": 3, "3e": 3, "3eme": 3, "quatrieme": 4, "4e": 4, "4eme": 4,
    "cinquieme": 5, "5e": 5, "5eme": 5, "dernier": -1, "derniere": -1,
}
# Words around an ordinal or a number that do not change its meaning (« je prends le 2e svp »).
FILLERS = {
    "le", "la", "l", "les", "celui", "celle", "du", "de", "des", "choix", "creneau", "bouton", "option",
    "reponse", "svp", "stp", "merci", "plutot", "je", "j", "prends", "prend", "veux", "voudrais",
    "prefere", "choisis", "ok", "alors", "oui", "va", "pour", "moi", "c", "est", "ce", "sera", "mets",
    "met", "donne", "dirais", "note", "sur", "cinq", "5", "etoiles", "etoile", "bien", "un", "une",
}


@dataclass(frozen=True)
class Option:
    key: str  # what the caller stores or sends: an answer id, a button payload
    title: str  # what the person saw
    synonyms: tuple[str, ...] = ()


@dataclass
class Result:
    option: Option | None = None  # the one option meant, when it is clear
    candidates: list[Option] = field(default_factory=list)  # equally close options (ask which one)
    score: float = 0.0

    @property
    def ambiguous(self) -> bool:
        return self.option is None and len(self.candidates) > 1


def _phrases(option: Option) -> list[str]:
    return [p for p in {normalize(option.title), *(normalize(s) for s in option.synonyms)} if p]


def _negated(words: str) -> bool:
    return not NEGATIONS.isdisjoint(words.split())


def _phrase_score(typed: str, phrase: str) -> float:
    """How well one typed text matches one phrase of an option, 0..100."""
    if typed == phrase:
        return 100.0
    padded_typed, padded_phrase = f" {typed} ", f" {phrase} "
    if len(typed) >= 3 and padded_typed in padded_phrase:
        # a shortened title (« avec de l'aide »): the words left out cannot contradict it
        return 84.0 + 14.0 * len(typed) / len(phrase)
    score = _similarity(typed, phrase)
    return score - NEGATION_PENALTY if _negated(typed) != _negated(phrase) else score


def _similarity(typed: str, phrase: str) -> float:
    if f" {phrase} " in f" {typed} ":  # the phrase said with more words: the more it covers, the better
        return 88.0 + 12.0 * len(phrase) / len(typed)
    score = fuzz.ratio(typed, phrase)  # typos over the whole answer
    if len(phrase) >= 6 and len(typed) > len(phrase):
        score = max(score, 0.93 * fuzz.partial_ratio(phrase, typed))  # a misspelt phrase inside more words
    return float(score)


POLITENESS = re.compile(r"^(?:(?:bonjour|alors|euh|ben|bah) )+|(?: (?:svp|stp|s il vous plait|s il te plait|merci|"
                        r"merci beaucoup|merci bcp|bcp|beaucoup))+$")


def _without_politeness(typed: str) -> str:
    """« directement svp » -> « directement »: politeness around an answer does not change it."""
    return POLITENESS.sub("", typed).strip() or typed


def _number(typed: str) -> int | None:
    """« 4 », « 4 sur 5 », « 4/5 » (normalised to « 4 5 »), « quatre », « je mets 4 »: the number meant."""
    words = typed.split()
    numbers = [int(w) if w.isdigit() else NUMBER_WORDS[w] for w in words if w.isdigit() or w in NUMBER_WORDS]
    if re.fullmatch(r"(\D* )?\d+ (sur )?(5|10|20)( \D*)?", typed):
        return numbers[0]  # « 4 sur 5 »: the first number is the mark
    distinct = {n for n in numbers if not (n == 5 and "sur" in words)}
    rest = [w for w in words if not (w.isdigit() or w in NUMBER_WORDS) and w not in FILLERS]
    return distinct.pop() if len(distinct) == 1 and len(rest) <= 1 else None


def _ordinal(typed: str) -> int | None:
    """« le premier », « le 2e », « la derniere »: a position (1-based, -1 for the last)."""
    words = [w for w in typed.split() if w not in FILLERS]
    if len(words) == 1 and words[0] in ORDINALS:
        return ORDINALS[words[0]]
    return None


def match(options: Iterable[Option], text: str, positional: bool = True) -> Result:
    """The option meant by `text`, the equally close candidates, or nothing."""
    options = list(options)
    typed = normalize(text)
    if not typed or not options:
        return Result()
    numeric = {int(normalize(o.title)): o for o in options if normalize(o.title).isdigit()}
    if numeric:
        number = _number(typed)
        if number in numeric:
            return Result(numeric[number], [numeric[number]], 100.0)
    if positional:
        position = _ordinal(typed)
        if position is not None and position <= len(options):
            chosen = options[position - 1] if position > 0 else options[-1]
            return Result(chosen, [chosen], 100.0)
    bare = _without_politeness(typed)
    scored = sorted(
        ((max(_phrase_score(t, p) for p in _phrases(o) for t in {typed, bare}), i, o) for i, o in enumerate(options)),
        key=lambda item: (-item[0], item[1]),
    )
    best_score, _, best = scored[0]
    if best_score < ACCEPT:
        return Result(score=best_score)
    close = [o for s, _, o in scored if s >= ACCEPT and best_score - s < TIE]
    if len(close) > 1 and best_score < 100.0:
        return Result(None, close, best_score)
    return Result(best, [best], best_score)


def said_as_list(options: Iterable[Option]) -> str:
    """« Pas encore », « J'y pense » ou « Oui, un peu »: the options in one sentence."""
    titles = [f"« {o.title} »" for o in options]
    return titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " ou " + titles[-1]
