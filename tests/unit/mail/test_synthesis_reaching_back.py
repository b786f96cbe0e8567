"""The synthesis e-mail's next steps: « vous rappellera » only when a phone number was given (issue 27)."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

from bot.mail import notices


def dossier(phone: str | None, email: str | None) -> SimpleNamespace:
    callback = SimpleNamespace(preferred_moment="le matin")
    return SimpleNamespace(
        needs=[],
        solutions=[],
        redirect=[],
        appointments=[],
        callbacks=[callback],
        deadline=None,
        follow_up_on=None,
        contact_phone=phone,
        contact_email=email,
        contact_name="Marie",
        first_messages=[],
        conversation_id="c",
    )


def steps(phone, email) -> str:
    values = notices.synthesis_values(dossier(phone, email), datetime(2026, 12, 7, 10, tzinfo=timezone.utc))
    return " ".join(str(v) for v in values.values() if v)


def test_the_synthesis_promises_a_call_only_to_someone_who_gave_a_phone():
    assert "Une personne de l'équipe vous rappellera (le matin)." in steps("+33612345678", "marie@exemple.fr")
    by_mail = steps(None, "marie@exemple.fr")
    assert "Une personne de l'équipe vous écrira (le matin)." in by_mail and "rappellera" not in by_mail
