"""The moment a test's own store writes are made (`dossiers.record_need(…, now=AT)`): a fixed day
far from today, so that no test depends on the date it runs."""

from __future__ import annotations

from datetime import datetime, timezone

AT = datetime(2030, 1, 7, 9, 0, tzinfo=timezone.utc)  # a Monday, 10 h in Paris
