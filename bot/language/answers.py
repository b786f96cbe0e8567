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

from bot.language.textnorm import normalize

ACCEPT = 82.0  # below this score nothing is close enough: measured on tests/typed_answers_test.yml
TIE = 2.5  # two options within this many points are « equally close »
# « non c'est bon », « ça m'aide pas », « pas de site internet »: a negation in what was typed and not
# in the option's phrase (or the reverse) makes the phrase a poor match, however many words it shares.
NEGATIONS = {"non", "nan", "nn", "pas", "jamais", "aucun", "aucune", "rien", "refuse", "ni", "sans"}
NEGATION_PENALTY = 15.0

NUMBER_WORDS = {
    "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
    "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16,
    "vingt": 20, "trente": 30,
}  # fmt: skip
ORDINALS = {
    "premier": 1,
    "premiere": 1,
    "1er": 1,
    "1ere": 1,
    "1re": 1,
    "1e": 1,
    "deuxieme": 2,
    "second": 2,
    "seconde": 2,
    "2e": 2,
    "2eme": 2,
    "2nd": 2,
    "2nde": 2,
    "troisieme": 3,
    "3e": 3,
    "3eme": 3,
    "quatrieme": 4,
    "4e": 4,
    "4eme": 4,
    "cinquieme": 5,
    "5e": 5,
    "5eme": 5,
    "dernier": -1,
    "derniere": -1,
}
# Words around an ordinal or a number that do not change its meaning (« je prends le 2e svp »).
FILLERS = {
    "le",
    "la",
    "l",
    "les",
    "celui",
    "celle",
    "du",
    "de",
    "des",
    "choix",
    "creneau",
    "bouton",
    "option",
    "reponse",
    "svp",
    "stp",
    "merci",
    "plutot",
    "je",
    "j",
    "prends",
    "prend",
    "veux",
    "voudrais",
    "prefere",
    "choisis",
    "ok",
    "alors",
    "oui",
    "va",
    "pour",
    "moi",
    "c",
    "est",
    "ce",
    "sera",
    "mets",
    "met",
    "donne",
    "dirais",
    "note",
    "sur",
    "cinq",
    "5",
    "etoiles",
    "etoile",
    "bien",
    "un",
    "une",
    "details",
    "detail",
    "voir",
    "plus",
    "piste",
    "numero",
    "no",
    "solution",
    "en",
    "savoir",
    "ouvrir",
    "et",
}
NUMBERED = re.compile(r"^(\d+)\. ")  # « 2. Un site vitrine »: the buttons of a numbered list


# SMS French and common short forms, read as the words they stand for (« tel et mail », « rdv »).
ABBREVIATIONS = {
    "tel": "telephone",
    "tels": "telephone",
    "tph": "telephone",
    "mail": "email",
    "mails": "email",
    "e": "",
    "emails": "email",
    "courriel": "email",
    "courriels": "email",
    "rdv": "rendez vous",
    "rdz": "rendez vous",
    "rendezvous": "rendez vous",
    "insta": "instagram",
    "ordi": "ordinateur",
    "ordis": "ordinateur",
    "fb": "facebook",
    "pb": "probleme",
    "pbs": "probleme",
    "bcp": "beaucoup",
    "qqn": "quelqu un",
    "qq": "quelques",
    "tt": "tout",
    "ts": "tous",
    "jsp": "je sais pas",
    "chui": "je suis",
    "chuis": "je suis",
    "ptet": "peut etre",
    "pr": "pour",
    "ds": "dans",
    "c": "c est",
    "oue": "ouais",
    "ouep": "ouais",
    "yep": "ouais",
    "nop": "non",
    "nope": "non",
}
# Words that carry no meaning of their own when comparing what was typed with an option's words.
STOPWORDS = {
    "le",
    "la",
    "l",
    "les",
    "un",
    "une",
    "des",
    "de",
    "d",
    "du",
    "et",
    "ou",
    "a",
    "au",
    "aux",
    "en",
    "je",
    "j",
    "tu",
    "il",
    "ils",
    "elle",
    "elles",
    "on",
    "nous",
    "vous",
    "me",
    "m",
    "mon",
    "ma",
    "mes",
    "ton",
    "ta",
    "tes",
    "son",
    "sa",
    "ses",
    "notre",
    "nos",
    "votre",
    "vos",
    "leur",
    "leurs",
    "ce",
    "cet",
    "cette",
    "ces",
    "c",
    "est",
    "sont",
    "ca",
    "qui",
    "que",
    "qu",
    "y",
    "sur",
    "pour",
    "avec",
    "dans",
    "par",
    "se",
    "s",
    "lui",
    "moi",
    "oui",
    "svp",
    "merci",
    "juste",
    "tout",
    "alors",
    "donc",
    "bon",
    "ben",
    "euh",
    "ai",
    "as",
    "avons",
    "fait",
    "faire",
    "peut",
    "peuvent",
    "etre",
    "avoir",
    "aussi",
}
# The first (or last) word that says yes or no whatever the question (« oué », « nn », « je prefere pas »).
YES_WORDS = {
    "oui",
    "ouais",
    "ouai",
    "ouii",
    "ouiii",
    "yes",
    "ok",
    "okay",
    "dac",
    "daccord",
    "exact",
    "exactement",
    "volontiers",
    "carrement",
    "absolument",
    "parfait",
    "entendu",
    "evidemment",
    "certainement",
    "bien sur",
    "tout a fait",
    "d accord",
    "allez y",
    "vas y",
    "go",
}
NO_WORDS = {"non", "nn", "nan", "no", "refus", "refuse", "jamais", "niet", "pas", "aucunement", "negatif"}


@dataclass(frozen=True)
class Option:
    key: str  # what the caller stores or sends: an answer id, a button payload
    title: str  # what the person saw
    synonyms: tuple[str, ...] = ()
    polarity: int = 0  # +1 the option that means « yes », -1 « no », 0 neither (from the $oui / $non lists)


@dataclass
class Result:
    option: Option | None = None  # the one option meant, when it is clear
    candidates: list[Option] = field(default_factory=list)  # equally close options (ask which one)
    score: float = 0.0

    @property
    def ambiguous(self) -> bool:
        return self.option is None and len(self.candidates) > 1


def expand(text: str) -> str:
    """Normalised text with short forms written out: « tel et mail » -> « telephone et email »."""
    words = normalize(text).split()
    written = [
        w if w == "c" and following == "est" else ABBREVIATIONS.get(w, w)  # « c'est » is already written out
        for w, following in zip(words, [*words[1:], ""], strict=False)
    ]
    return " ".join(w for w in written if w)


def _phrases(option: Option) -> list[str]:
    title = NUMBERED.sub("", option.title)  # « 2. Un site vitrine » is said « le site vitrine »
    return [p for p in {expand(title), *(expand(s) for s in option.synonyms)} if p]


def _content(words: str) -> list[str]:
    return [w for w in words.split() if w not in STOPWORDS and w not in NEGATIONS]


def _same_word(a: str, b: str) -> bool:
    """« reservent » and « reserver », « achetent » and « achete »: one word, conjugated or misspelt."""
    if a == b:
        return True
    if min(len(a), len(b)) >= 5 and a[:5] == b[:5]:
        return True
    return min(len(a), len(b)) >= 4 and fuzz.ratio(a, b) >= 80


def _covered(phrase_words: list[str], typed_words: list[str]) -> bool:
    return bool(phrase_words) and all(any(_same_word(p, t) for t in typed_words) for p in phrase_words)


def _word_score(typed: str, phrase: str) -> float:
    """Every meaningful word of the phrase is in what was typed, in any form: « ils prennent rdv en
    ligne » for « prise de rendez-vous en ligne ». The more of the typed words it explains, the better."""
    typed_words, phrase_words = _content(typed), _content(phrase)
    if not _covered(phrase_words, typed_words) or _negated(typed) != _negated(phrase):
        return 0.0
    return 83.0 + 8.0 * len(phrase_words) / max(len(typed_words), len(phrase_words))


def polarity(text: str) -> int:
    """+1 when a typed answer says yes, -1 when it says no, 0 when it says neither or both."""
    words = expand(text).split()
    if not words:
        return 0
    first_two = " ".join(words[:2])
    starts_yes = words[0] in YES_WORDS or first_two in YES_WORDS
    says_no = words[0] in NO_WORDS or words[-1] in {"pas", "non"} or first_two in {"je refuse", "pas question"}
    if starts_yes and not (words[-1] in {"pas", "non"} and len(words) > 1):
        return 1
    return -1 if says_no and not starts_yes else 0


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
    score = score - NEGATION_PENALTY if _negated(typed) != _negated(phrase) else score
    return max(score, _word_score(typed, phrase))


def _similarity(typed: str, phrase: str) -> float:
    if f" {phrase} " in f" {typed} ":  # the phrase said with more words: the more it covers, the better
        return 88.0 + 12.0 * len(phrase) / len(typed)
    score = fuzz.ratio(typed, phrase)  # typos over the whole answer
    if len(phrase) >= 6 and len(typed) > len(phrase):
        score = max(score, 0.93 * fuzz.partial_ratio(phrase, typed))  # a misspelt phrase inside more words
    return float(score)


# « plutôt » too: the echo of a question « plutôt A ou plutôt B ? » (« plutot une demarche »)
POLITENESS = re.compile(
    r"^(?:(?:bonjour|alors|euh|ben|bah|plutot) )+|(?: (?:svp|stp|s il vous plait|s il te plait|merci|"
    r"merci beaucoup|merci bcp|bcp|beaucoup))+$"
)


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
    typed = expand(text)
    if not typed or not options:
        return Result()
    numeric = {int(normalize(o.title)): o for o in options if normalize(o.title).isdigit()}
    if numeric:
        number = _number(typed)
        if number in numeric:
            return Result(numeric[number], [numeric[number]], 100.0)
    numbered = {int(found.group(1)): o for o in options if (found := NUMBERED.match(o.title))}
    if numbered:  # « détails de la 2 », « la deuxième »: the item of that number, whatever its place
        number = _number(typed) or _ordinal(typed)
        if number in numbered:
            return Result(numbered[number], [numbered[number]], 100.0)
    if positional and not any(o.polarity for o in options):  # « oui une derniere » is not a position
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
    close = [o for s, _, o in scored if s >= ACCEPT and best_score - s < TIE]
    if len(close) > 1 and best_score < 100.0:
        close = _most_explained(close, bare)
    if best_score < ACCEPT or len(close) > 1:
        said = polarity(bare)
        sided = [o for o in options if said and o.polarity == said]
        if len(sided) == 1:  # « oué », « nn », « je prefere pas »: a plain yes or no to a yes/no question
            return Result(sided[0], [sided[0]], ACCEPT)
    if best_score < ACCEPT:
        return Result(score=best_score)
    if len(close) > 1:
        return Result(None, close, best_score)
    return Result(close[0], [close[0]], best_score)


def named_by_words(options: Iterable[Option], text: str) -> Option | None:
    """The one option whose words hold every word that matters in `text`, when `match` finds
    nothing close: « les outils de travail » names « Améliorer nos outils de travail »."""
    typed = _content(_without_politeness(expand(text)))
    named = [o for o in options if _covered(typed, [w for p in _phrases(o) for w in _content(p)])]
    return named[0] if len(named) == 1 else None


def _most_explained(close: list[Option], typed: str) -> list[Option]:
    """Among equally close options, the one whose words explain most of what was typed, if one does."""
    typed_words = _content(typed)

    def explained(option: Option) -> int:
        words = {w for p in _phrases(option) for w in _content(p)}
        return sum(any(_same_word(t, w) for w in words) for t in typed_words)

    counts = [explained(o) for o in close]
    best = max(counts)
    return [o for o, n in zip(close, counts, strict=False) if n == best]


def said_as_list(options: Iterable[Option]) -> str:
    """« Pas encore », « J'y pense » ou « Oui, un peu »: the options in one sentence."""
    titles = [f"« {o.title} »" for o in options]
    return titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " ou " + titles[-1]
