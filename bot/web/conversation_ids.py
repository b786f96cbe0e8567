"""Website conversation ids: random, and signed so that only the server can issue them.

The browser keeps a *token* `<id>.<signature>`; Rasa's tracker and the dossier use the id.
A token someone made up, or another conversation's id without its signature, is refused:
that is what stops one browser from reading or writing another person's conversation.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

TOKEN_PATTERN = re.compile(r"^([0-9a-f]{32})\.([0-9a-f]{32})$")


def _signature(secret: str, conversation_id: str) -> str:
    return hmac.new(secret.encode(), conversation_id.encode(), hashlib.sha256).hexdigest()[:32]


def token_for(secret: str, conversation_id: str) -> str:
    return f"{conversation_id}.{_signature(secret, conversation_id)}"


def new_conversation(secret: str) -> tuple[str, str]:
    """A fresh (token, conversation id): 128 random bits."""
    conversation_id = secrets.token_hex(16)
    return token_for(secret, conversation_id), conversation_id


def conversation_of(secret: str, token: object) -> str | None:
    """The conversation id a token was issued for, or None if it is not one of ours."""
    if not isinstance(token, str):
        return None
    match = TOKEN_PATTERN.match(token)
    if not match or not hmac.compare_digest(match.group(2), _signature(secret, match.group(1))):
        return None
    return match.group(1)
