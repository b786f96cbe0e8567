"""French typography and small grammar fixes, in one place every text goes through.

Rasa renders every response through bot/rasa_extensions/nlg.py, and the data files are read through
bot/datafiles.py: both call `typeset`. It is idempotent, so a text can pass twice.

What it does, following the usual French rules (Imprimerie nationale):
- elision: « de électricien » -> « d'électricien », « le ordinateur » -> « l'ordinateur »;
- a no-break space before « : » and a narrow no-break space before « ; ? ! », no-break spaces
  inside « guillemets »;
- « 1 décembre » -> « 1er décembre »;
- one time format: « 14h », « 14 h 00 », « 14:00 » -> « 14 h », « 9h30 » -> « 9 h 30 »;
- contact wording: « au marie@exemple.fr » -> « à l'adresse marie@exemple.fr ».
It leaves URLs, e-mail addresses and « 09:00-12:30 » style ranges alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable

NBSP = "\u00a0"  # before « : » and inside « »
NNBSP = "\u202f"  # narrow no-break space, before « ; ? ! »

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre")

# Words starting with a mute h take the elision (« d'hôtel »); an aspirated h does not
# (« de haricots »), so only these stems elide.
_MUTE_H = (
    "habit",
    "hébergement",
    "héberg",
    "herbor",
    "heure",
    "histoi",
    "homme",
    "hôpita",
    "horaire",
    "horlog",
    "horticult",
    "hôte",
    "hôtel",
    "huile",
    "huiss",
    "humain",
    "hygièn",
    "hypoth",
)

_VOWEL_START = r"(?=[aeiouàâäéèêëîïôöùûüœæAEIOUÀÂÉÈÊÎÔŒ]|(?:" + "|".join(_MUTE_H) + r"))"
# Only lowercase articles and prepositions inside a sentence, and the capitalised one starting it.
_ELIDABLE = {
    "de": "d'",
    "le": "l'",
    "la": "l'",
    "que": "qu'",
    "je": "j'",
    "ne": "n'",
    "se": "s'",
    "De": "D'",
    "Le": "L'",
    "La": "L'",
    "Que": "Qu'",
    "Je": "J'",
}
_ELISION = re.compile(r"(?<![\w'’\-])(" + "|".join(_ELIDABLE) + r") " + _VOWEL_START)
# « de un » is elided, but not « de 1 » nor « la une » of a newspaper (rare enough here).
_SI_IL = re.compile(r"(?<![\w'’])([Ss])i (ils?)\b")

_URL_OR_EMAIL = re.compile(r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SPACE_BEFORE_COLON = re.compile(r"[ \u00a0\u202f]*:(?=\s|$)")
_SPACE_BEFORE_TALL = re.compile(r"(?<=[^\s;?!\u00a0\u202f])[ \u00a0\u202f]*([;?!])")
_OPEN_QUOTE = re.compile(r"«[ \u00a0\u202f]*")
_CLOSE_QUOTE = re.compile(r"[ \u00a0\u202f]*»")
_FIRST_OF_MONTH = re.compile(r"\b1 (" + "|".join(MONTHS) + r")\b")
_HOUR_ZERO = re.compile(r"\b(\d{1,2})[ \u00a0]?h[ \u00a0]?00\b")
_HOUR_MINUTES = re.compile(r"\b(\d{1,2})[ \u00a0]?h[ \u00a0]?([0-5]\d)\b")
_HOUR_ALONE = re.compile(r"\b(\d{1,2})[ \u00a0]?h\b(?![ \u00a0]?\d)")
_CLOCK = re.compile(r"(?<![\d:-])\b([01]?\d|2[0-3]):([0-5]\d)\b(?![\d:-])")
_AU_EMAIL = re.compile(r"\bau ([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")
_SPACES = re.compile(r"[ ]{2,}")


def _hour(hours: str, minutes: str = "00") -> str:
    hours = str(int(hours))
    return f"{hours}{NBSP}h" if minutes == "00" else f"{hours}{NBSP}h{NBSP}{minutes}"


def time_of_day(hour: int, minute: int = 0) -> str:
    """« 9 h », « 14 h 30 »: the one time format of every text (no-break spaces)."""
    return _hour(str(hour), f"{minute:02d}")


def _plain(text: str) -> str:
    """Typography of a stretch of text that holds no URL nor e-mail address."""
    text = _ELISION.sub(lambda m: _ELIDABLE[m.group(1)], text)
    text = _SI_IL.sub(lambda m: f"{m.group(1)}'{m.group(2)}", text)
    text = _FIRST_OF_MONTH.sub(r"1er \1", text)
    text = _CLOCK.sub(lambda m: _hour(m.group(1), m.group(2)), text)
    text = _HOUR_ZERO.sub(lambda m: _hour(m.group(1)), text)
    text = _HOUR_MINUTES.sub(lambda m: _hour(m.group(1), m.group(2)), text)
    text = _HOUR_ALONE.sub(lambda m: _hour(m.group(1)), text)
    text = _SPACE_BEFORE_COLON.sub(NBSP + ":", text)
    text = _SPACE_BEFORE_TALL.sub(lambda m: NNBSP + m.group(1), text)
    text = _OPEN_QUOTE.sub("«" + NBSP, text)
    text = _CLOSE_QUOTE.sub(NBSP + "»", text)
    return text


def typeset(text: str) -> str:
    """The text with French typography; URLs and e-mail addresses are kept as they are."""
    if not text:
        return text
    text = _AU_EMAIL.sub(r"à l'adresse \1", text)
    return _SPACES.sub(" ", _outside_links(text, _plain))


def _outside_links(text: str, fix: Callable[[str], str]) -> str:
    """`fix` applied to the text between its URLs and e-mail addresses, which are kept as they are."""
    pieces, last = [], 0
    for match in _URL_OR_EMAIL.finditer(text):
        pieces.append(fix(text[last : match.start()]))
        pieces.append(match.group(0))
        last = match.end()
    pieces.append(fix(text[last:]))
    return "".join(pieces)


APOSTROPHE = "\u2019"  # « l’équipe »: the typographic apostrophe
_STRAIGHT_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")


def _curly(text: str) -> str:
    return _STRAIGHT_APOSTROPHE.sub(APOSTROPHE, text)


def polish(text: str) -> str:
    """`typeset`, and the typographic apostrophe (« l’équipe »), URLs and e-mail addresses kept as
    they are: the texts of the web page, the widget and the channels' own replies (`typeset` alone
    is what the assistant's responses and the data files get, whose straight apostrophes many
    tests and typed answers still match)."""
    return _outside_links(typeset(text), _curly)


# --- checks used by the tests over every text ------------------------------------------------

_BAD_INCLUSIVE = re.compile(r"\w\((?:e|es|ne|le|rice|euse)\)|\w·\w")


def faults(text: str, *, apostrophes: bool = False) -> list[str]:
    """What a reader (or a screen reader) would trip on; [] when the text is clean. `apostrophes`:
    a straight apostrophe is a fault too (the texts that go through `polish`)."""
    found = []
    fixed = polish(text) if apostrophes else typeset(text)
    if fixed != text:
        found.append("typography: " + repr(fixed))
    inclusive = _BAD_INCLUSIVE.search(text)
    if inclusive:
        found.append("inclusive form read badly aloud: " + inclusive.group(0))
    return found


def de(noun: str) -> str:
    """« de boulangerie », « d'électricien »: the preposition with its elision."""
    return typeset(f"de {noun}")
