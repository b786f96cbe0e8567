"""The states stored records go through, one enum each (the values are what the database holds).

`str` enums: a member equals its value (`DossierStatus.CLOSED == "clos"`) and hashes like it, so
rows read back as plain strings compare with them and find them in dicts and sets, and templates
show the value.
"""

from __future__ import annotations

import enum


class _Values(str, enum.Enum):
    def __str__(self) -> str:
        return self.value

    def __hash__(self) -> int:  # as its value's: "clos" finds DossierStatus.CLOSED in a dict or a set
        return hash(self.value)


class DossierStatus(_Values):
    NEW = "nouveau"
    IN_PROGRESS = "en_cours"  # a mediator holds it (a lease: bot/store/casework.py)
    CLOSED = "clos"


class AppointmentStatus(_Values):
    CONFIRMED = "confirme"
    CANCELLED = "annule"


class LiveState(_Values):
    WAITING = "waiting"  # the person waits for a mediator to join
    ACTIVE = "active"  # a mediator chats with the person
    ENDED = "ended"
    TIMED_OUT = "timed_out"  # nobody joined in time, or the mediator went away


class MailStatus(_Values):
    PENDING = "pending"
    SENDING = "sending"  # claimed by one sender (bot/store/outbox.py)
    SENT = "sent"
    FAILED = "failed"  # refused for good, or too many attempts
    DROPPED = "dropped"  # nothing left to say (erased dossier, cancelled appointment…)
