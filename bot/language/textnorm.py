"""Text normalisation shared by the intent classifier, the baseline and the evaluation."""

from __future__ import annotations

import re
import unicodedata


def normalize(text: str) -> str:
    """Lowercase, no accents, only letters and digits separated by single spaces.

    People type on phones without accents: « declaration » and « déclaration » must look alike.
    """
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", text))
