"""What the store keeps of a leave-taking (dossiers.record_leave)."""

from __future__ import annotations

import pytest

from bot.store import db, dossiers
from tests.support.clock import AT


def test_satisfaction_out_of_range_is_refused_by_the_store(store_url):
    with db.session(store_url) as session, pytest.raises(ValueError, match="1 to 5"):
        dossiers.record_leave(session, "x", None, 7, now=AT)
