"""How long the assistant's replies are, in words."""

from __future__ import annotations

import re

MAX_TURN_WORDS = 200


def words(replies: list[dict]) -> int:
    return sum(len(re.findall(r"\w+(?:['’-]\w+)*", r.get("text", ""))) for r in replies)
