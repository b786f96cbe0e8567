"""Generated bad input (hypothesis), shared by tests/e2e/test_bad_input.py (the real servers) and
tests/web/test_bad_input_web.py (the web app in-process)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st


def budget(examples: int) -> settings:
    """At most `examples` generated inputs (each one through the real servers is slow); seeded, so a run is repeatable."""
    return settings(
        max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
    )


LONG = "a" * 100_000


# texts people might type or paste: any unicode (emoji, other scripts, control characters)
texts = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=50),  # control characters
    st.sampled_from(
        [
            "",
            "   ",
            "\n\t",
            "😀😀😀",
            "مرحبا أريد موقعا",
            "我想要一个网站",
            "Guten Tag, ich brauche Hilfe",
            '/ask_human{"mode_contact": 12}',
            "/inform{not json",
            "/",
            "{}",
            "null",
            LONG,
        ]
    ),
)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)
