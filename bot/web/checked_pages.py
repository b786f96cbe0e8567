"""The pages the accessibility statement says were checked (data/accessibility.yml).

One list for two readers: the statement (bot/web/notices.py) names these pages, and
tests/browser/test_accessibility_browser.py runs axe-core on exactly these, so that the statement
cannot claim a page the test does not check.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from bot import paths, schemas
from bot.datafiles import load_yaml
from bot.language.french import polish

PATH = paths.DATA / "accessibility.yml"
AUDIENCES = {"public": "Pour le public", "console": "Pour les médiateurs, dans leur console"}


@dataclass(frozen=True)
class CheckedPage:
    id: str
    audience: str  # a key of AUDIENCES
    name: str  # as the statement says it, with French typography


@lru_cache(maxsize=1)
def checked_pages() -> tuple[CheckedPage, ...]:
    raw = load_yaml(PATH, schemas.ACCESSIBILITY)["pages"]
    pages = tuple(CheckedPage(page["id"], page["audience"], polish(page["name"])) for page in raw)
    ids = [page.id for page in pages]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{PATH}: a page id is listed twice")
    unknown = {page.audience for page in pages} - set(AUDIENCES)
    if unknown:  # the schema's enum and AUDIENCES' headings must say the same audiences
        raise ValueError(f"{PATH}: no heading for the audience {sorted(unknown)}")
    return pages


def by_audience() -> list[tuple[str, list[CheckedPage]]]:
    """[(the audience's heading, its pages)], in AUDIENCES' order."""
    pages = checked_pages()
    return [(heading, [p for p in pages if p.audience == key]) for key, heading in AUDIENCES.items()]
