"""« Avez-vous une échéance ? » then « Donc avant le …, c'est bien ça ? »: the deadline of the call-back
and leave-taking forms, read from French (bot/language/dates.py), and today in Paris.
"""

from __future__ import annotations

from datetime import datetime

from rasa_sdk import Tracker
from rasa_sdk.types import DomainDict

from actions.form_validation import RetryingFormValidation
from bot import clock
from bot.domain import catalog, contact
from bot.domain.profile import NOT_GIVEN, skipped
from bot.language import dates
from bot.language.textnorm import normalize
from bot.settings import PARIS


class DeadlineValidation(RetryingFormValidation):
    """« Avez-vous une échéance ? » then « Donc avant le …, c'est bien ça ? »: the call-back form
    and the leave-taking form (slots echeance, echeance_dite, echeance_confirmee)."""

    def validate_echeance(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        if value is None:
            return {"echeance": None}
        text = str(value or "")
        deadline = dates.parse_deadline(text, today())
        if deadline is None and (contact.says_no_deadline(text) or skipped(text) or normalize(text) == "passer"):
            return {"echeance": NOT_GIVEN, "echeance_dite": None, "echecs_validation": 0}
        if deadline is None:
            return self.retry_or_move_on(tracker, dispatcher, "echeance", "utter_invalid_echeance")
        return {
            "echeance": deadline.isoformat(),
            "echeance_dite": f"avant le {dates.french_date(deadline, today())}",
            "echecs_validation": 0,
        }

    def validate_echeance_confirmee(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        """« Donc avant le mardi 20 décembre, c'est bien ça ? » — no: the deadline is asked again."""
        if value is None:
            return {"echeance_confirmee": None}
        if value is False:
            failures = int(tracker.get_slot("echecs_validation") or 0) + 1
            if failures >= catalog.max_validation_failures():
                dispatcher.utter_message(response="utter_moving_on")
                return {"echeance": NOT_GIVEN, "echeance_dite": None, "echeance_confirmee": None, "echecs_validation": 0}
            return {"echeance": None, "echeance_dite": None, "echeance_confirmee": None, "echecs_validation": failures}
        return {"echeance_confirmee": True, "echecs_validation": 0}


def confirmed_deadline(tracker: Tracker):
    """The deadline the person gave (a date), or None."""
    deadline = tracker.get_slot("echeance")
    if deadline in (None, NOT_GIVEN):
        return None
    try:
        return datetime.fromisoformat(deadline).date()
    except ValueError:
        return None


def today():
    """Today in Paris, from the one clock (bot/clock.py)."""
    return clock.now().astimezone(PARIS).date()
