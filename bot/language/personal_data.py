"""Personal data in free text people typed, replaced by placeholders before the text leaves the
database for a file someone reads (the training examples of `bot export-training`).

- e-mail addresses: anything shaped like `local@domain.tld` (a mistyped address is as personal as
  a valid one);
- phone numbers: the `phonenumbers` library's matcher (French numbers written the national way,
  any number in the international form), at its lenient « possible number » level;
- names: the names the person gave as contact and their company's name (known from the dossier),
  then every person (PER) spaCy's French model `fr_core_news_md` finds.

Over-redaction is preferred to a leak: a reviewer reads the result before anything enters data/nlu/.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING, Iterable

import phonenumbers

if TYPE_CHECKING:
    from spacy.language import Language

EMAIL_PLACEHOLDER = "(e-mail)"
PHONE_PLACEHOLDER = "(téléphone)"
NAME_PLACEHOLDER = "(nom)"
COMPANY_PLACEHOLDER = "(entreprise)"
SPACY_MODEL = "fr_core_news_md"

_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+\s?@\s?[\w-]+(?:\.[\w-]+)+")
PHONE_REGIONS = ("FR",)  # international numbers (+…/00…) are found whatever the region


@functools.lru_cache(maxsize=1)
def _nlp() -> Language:
    import spacy

    return spacy.load(SPACY_MODEL, exclude=["parser", "lemmatizer", "morphologizer", "attribute_ruler"])


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).casefold()


def _replace_words(text: str, phrase: str, placeholder: str) -> str:
    """Every occurrence of `phrase` as whole words, whatever its case and accents."""
    phrase = " ".join(phrase.split())
    if not phrase:
        return text
    folded = _fold(text)
    if len(folded) != len(text):  # a character that folds to several: match on the text itself
        pattern = re.compile(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", re.IGNORECASE)
        return pattern.sub(placeholder, text)
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(re.escape(_fold(w)) for w in phrase.split()) + r"(?!\w)")
    spans = [m.span() for m in pattern.finditer(folded)]
    for start, end in reversed(spans):
        text = text[:start] + placeholder + text[end:]
    return text


def redact_emails(text: str) -> str:
    return _EMAIL.sub(EMAIL_PLACEHOLDER, text)


def redact_phones(text: str) -> str:
    for region in PHONE_REGIONS:
        matches = list(phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE))
        for match in reversed(matches):
            text = text[: match.start] + PHONE_PLACEHOLDER + text[match.end :]
    return text


def redact_known(text: str, names: Iterable[str] = (), companies: Iterable[str] = ()) -> str:
    """The contact names and company names known from the dossier: the whole name, then each of
    its words that is not a common French word (« Le Goff » does not remove every « le »)."""
    stop_words = _nlp().Defaults.stop_words
    for company in companies:
        if company and company.strip():
            text = _replace_words(text, company, COMPANY_PLACEHOLDER)
    for name in names:
        if not name or not name.strip():
            continue
        text = _replace_words(text, name, NAME_PLACEHOLDER)
        for word in re.split(r"[\s,;]+", name):
            if len(word) >= 2 and word.casefold() not in stop_words and not word.isdigit():
                text = _replace_words(text, word, NAME_PLACEHOLDER)
    return text


def redact_persons(text: str) -> str:
    """The persons' names spaCy's French model recognises (entity label PER)."""
    document = _nlp()(text)
    for entity in reversed([e for e in document.ents if e.label_ == "PER"]):
        text = text[: entity.start_char] + NAME_PLACEHOLDER + text[entity.end_char :]
    return text


def redact(text: str, names: Iterable[str] = (), companies: Iterable[str] = ()) -> str:
    """`text` with its e-mail addresses, phone numbers, known names and companies, and the names
    of persons replaced by placeholders."""
    text = redact_phones(redact_emails(text))
    text = redact_known(text, names, companies)
    return redact_persons(text)
