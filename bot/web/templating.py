"""The web app's one Jinja2Templates (bot/web/templates, autoescape on for .html), with the
console's filters registered once."""

from __future__ import annotations

from datetime import datetime

from starlette.templating import Jinja2Templates

from bot import paths
from bot.domain import contact
from bot.language.french import polish
from bot.settings import PARIS

TEMPLATES_DIR = paths.ROOT / "bot" / "web" / "templates"


def local(moment: datetime | None) -> str:
    """« 02/12/2026 14:30 »; a day without a time (a deadline, a follow-up date: midnight in Paris)
    as « 02/12/2026 »."""
    if moment is None:
        return ""
    here = moment.astimezone(PARIS)
    return here.strftime("%d/%m/%Y") if (here.hour, here.minute) == (0, 0) else here.strftime("%d/%m/%Y %H:%M")


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters["local"] = local
templates.env.filters["phone"] = contact.display_phone
templates.env.filters["fr"] = polish  # a data file's or a setting's text on a page: French typography
