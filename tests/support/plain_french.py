"""What a person at ease with nothing digital trips on, beyond typography (bot/language/french.py):
symbol shorthand, bare acronyms, touch-screen words (issue 27; tests/unit/language/test_plain_french.py)."""

from __future__ import annotations

import re

# Acronyms a person cannot guess: the first time a text says one, it is in brackets after the words.
ACRONYMS = ("FAFCEA", "AGEFICE", "FIF PL", "VIVEA", "OPCO", "PA", "CFE", "DSN", "CPF")
# a list item, a clause or a line that starts with a symbol instead of words
SHORTHAND = re.compile(r"(?:^|[;:]|\n)[ \u00a0\u202f]*[+–−→⇒](?=[ \u00a0\u202f])|=>|\s&\s")
TOUCH = re.compile(r"\btouche[zr]\b|\btapez sur\b", re.IGNORECASE)


def plain_french_faults(text: str) -> list[str]:
    """Shorthand, bare acronyms and touch-screen words in a text; [] when it reads at once."""
    found = []
    shorthand = SHORTHAND.search(text)
    if shorthand:
        found.append(f"symbol shorthand {shorthand.group(0).strip()!r}")
    touch = TOUCH.search(text)
    if touch:
        found.append(f"{touch.group(0)!r}: say « choisissez »")
    for acronym in ACRONYMS:
        first = re.search(rf"(?<![\w-]){re.escape(acronym)}(?![\w-])", text)
        if first is None:
            continue
        before = text[: first.start()]
        in_brackets = before.count("(") > before.count(")")
        if not in_brackets or not re.search(r"[^\W\d_]{3,}", before[: before.rfind("(")]):
            found.append(f"bare acronym {acronym}: the words first, then ({acronym})")
    return found
