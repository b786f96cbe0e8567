"""The one place that reads the real clock.

Boundaries (web routes, actions, background jobs, the CLI) take the moment here once and pass it
down; store and domain functions take `now` from their caller and never read the clock
themselves. Tests therefore give any date they like, and the code behaves the same whatever the
day (`.ci/run` also runs the clock-sensitive tests a year ahead under libfaketime).
"""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    """The current moment, timezone-aware (UTC)."""
    return datetime.now(timezone.utc)
