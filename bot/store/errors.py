"""Refusals of the store: a rule on stored data says no to what was asked.

Every store function that refuses raises a `Refused` (or a subclass named for its aggregate:
`casework.CaseworkError`, `accounts.LastAdmin`, `live.LiveError`, `self_service.SelfServiceError`…).
It writes nothing the caller should keep: the boundary (a web route's `in_db`, an action, a job,
a CLI command) lets its transaction go uncommitted and turns the refusal into a message — the
console and the public pages say `str(refused)`, in French. Subclasses that were ValueErrors stay
ValueErrors, so that callers catching those still do.
"""

from __future__ import annotations


class Refused(Exception):
    """A rule on stored data refuses the operation; `str()` says why."""


class AccountRefused(Refused, ValueError):
    """An account cannot be created or changed so (unknown role, e-mail taken, password too short…)."""
