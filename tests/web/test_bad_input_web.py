"""Bad input, generated, thrown at the web app in-process: the widget API and the console login
form answer a 4xx with a reason or the login page — never a 5xx, never a crash. The real servers'
side: tests/e2e/test_bad_input.py."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.bad_input import budget, json_values, texts
from tests.support.console_client import Console

web_on_sqlite = pytest.mark.parametrize("url", ["sqlite"], indirect=True)


@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.builds(lambda v: json.dumps(v).encode(), json_values),
        st.builds(lambda t: json.dumps({"token": t}).encode(), texts),
    )
)
@budget(250)
@web_on_sqlite
def test_widget_api_never_fails(web, body):
    for path in ("history", "erase", "live/end"):
        response = web.client.post(
            f"/api/conversation/{path}",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code in (400, 404, 413), response.text[:200]
        assert response.json()["error"]


@given(email=texts, password=texts)
@budget(120)
@web_on_sqlite
def test_console_login_never_fails(web, email, password):
    console = Console(web)
    response = console.login(email[:1000], password[:1000])
    assert response.status_code in (200, 401), response.text[:200]
    assert "incorrect" in response.text or "bloqué" in response.text
