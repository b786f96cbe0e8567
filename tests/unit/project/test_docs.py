"""The docs name tests as evidence (docs/reliability.md: « shown by »): each one named must exist,
so that `make test` runs it. A renamed or deleted test makes this fail instead of leaving the
docs pointing at nothing."""

from __future__ import annotations

import re

import pytest

from bot import paths

REFERENCE = re.compile(r"`(tests/(?:\w+/)*test_\w+\.py)?((?:::\w+)?)`")


def named_tests(doc: str) -> list[tuple[str, str | None]]:
    """(test file, test function or None) for each `tests/x.py[::name]` and `::name` reference;
    a bare `::name` belongs to the file named last before it."""
    found, current = [], None
    for match in REFERENCE.finditer((paths.ROOT / doc).read_text()):
        module, name = match.group(1), match.group(2).lstrip(":") or None
        if module:
            current = module
        elif not name:
            continue
        if current:
            found.append((current, name))
    return found


@pytest.mark.parametrize(
    "doc",
    [
        "docs/reliability.md",
        "docs/live.md",
        "docs/scaling.md",
        "docs/mail.md",
        "docs/security.md",
        "docs/architecture.md",
        "docs/conversation.md",
        "docs/nlu.md",
        "docs/widget.md",
    ],
)
def test_every_test_the_docs_name_exists(doc):
    references = named_tests(doc)
    assert references, f"{doc} names no test"
    for module, name in references:
        source = paths.ROOT / module
        assert source.exists(), f"{doc} names {module}, which does not exist"
        if name:
            assert re.search(rf"^def {name}\(", source.read_text(), re.M), f"{doc} names {module}::{name}"
