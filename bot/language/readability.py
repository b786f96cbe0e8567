"""Kandel–Moles readability of a French text (Flesch's formula adapted to French, 1958).

score = 207 - 1.015 × (words / sentences) - 73.6 × (syllables / words); 60 and more reads as
plain French. Syllables are counted the usual approximate way: groups of vowels, a final mute
« e » (« -e », « -es », « -ent » of verbs) not counted.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-zàâäéèêëîïôöùûüÿœæç]+(?:['’-][a-zàâäéèêëîïôöùûüÿœæç]+)*", re.IGNORECASE)
_VOWELS = re.compile(r"[aeiouyàâäéèêëîïôöùûüÿœæ]+", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…:;\n]+")


def syllables(word: str) -> int:
    word = word.lower().replace("’", "'").split("'")[-1]
    count = len(_VOWELS.findall(word))
    silent_end = re.search(r"[^aeiouyéè](e|es|ent)$", word) or re.search(r"[qg]u(e|es|ent)$", word)
    if count > 1 and silent_end:
        count -= 1  # « boutique », « factures », « trouvent »: the final e is silent
    return max(count, 1)


def kandel_moles(text: str) -> float | None:
    words = _WORD.findall(text)
    if not words:
        return None
    sentences = max(1, len([s for s in _SENTENCE_END.split(text) if _WORD.search(s)]))
    per_sentence = len(words) / sentences
    per_word = sum(syllables(w) for w in words) / len(words)
    return 207 - 1.015 * per_sentence - 73.6 * per_word
