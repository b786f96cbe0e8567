"""The three notices a public service publishes, linked from the chat page, the widget and the
console: the privacy notice (RGPD art. 13), the accessibility statement (RGAA) and the legal
notice (LCEN art. 6).

Who publishes the service comes from the settings (PUBLISHER_NAME…, bot/settings.py: a development
run shows values marked as such, production refuses to start without them). How long data is kept
comes from the very values the retention jobs apply (`retention_durations`), so that the privacy
notice cannot say another duration than the one the service keeps to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot import settings as bot_settings
from bot.domain import catalog, france_services
from bot.language import french
from bot.mail import transport
from bot.store import outbox
from bot.web import checked_pages
from bot.web.handlers import settings_of
from bot.web.templating import templates

PRIVACY_PATH = "/donnees-personnelles"
ACCESSIBILITY_PATH = "/accessibilite"
LEGAL_PATH = "/mentions-legales"
# Linked from every public page and the console (templates/notices/links.html) and the widget.
# The accessibility statement says what our tests hold on this date (tests/browser, the pages of
# data/accessibility.yml); a statement is renewed after a substantial change of the site.
ACCESSIBILITY_STATEMENT_DATE = date(2026, 12, 7)

# The authorities a person may turn to (checked 2026-12-07): https://www.cnil.fr/fr/adresser-une-plainte;
# https://www.defenseurdesdroits.fr/fr/obtenir-de-laide and the RGAA's model statement
# (https://accessibilite.numerique.gouv.fr/obligations/declaration-accessibilite/).
CNIL = {
    "url": "https://www.cnil.fr/fr/adresser-une-plainte",
    "address": "CNIL, 3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07",
}
DEFENSEUR_DES_DROITS = {
    "form": "https://formulaire.defenseurdesdroits.fr/",
    "help": "https://www.defenseurdesdroits.fr/fr/obtenir-de-laide",
    "address": "Défenseur des droits, Libre réponse 71120, 75342 Paris Cedex 07 (sans timbre)",
    "phone": "09 69 39 00 00",
}


@dataclass(frozen=True)
class RetentionDurations:
    """How long each kind of data is kept, from what the jobs apply."""

    conversation_months: int  # bot/store/retention.py (data/service.yml `retention_months`)
    sent_mail_days: int  # bot/store/outbox.py: a sent e-mail's row
    mail_copy_days: int | None  # bot/mail/transport.py: .eml copies, only without SMTP_URL
    browser_idle_minutes: int  # CONVERSATION_IDLE_MINUTES: forgotten in the browser


def retention_durations(settings: bot_settings.Settings) -> RetentionDurations:
    return RetentionDurations(
        conversation_months=catalog.retention_months(),
        sent_mail_days=outbox.KEEP_DONE_DAYS,
        mail_copy_days=None if settings.smtp_url else transport.KEEP_EML_DAYS,
        browser_idle_minutes=settings.conversation_idle_minutes,
    )


@dataclass(frozen=True)
class Publisher:
    name: str
    address: str
    director: str
    host: str
    host_address: str
    host_phone: str
    dpo: str  # the data protection officer's contact; "" = none set (the service's e-mail is said)
    development: bool  # some values are the development ones


def publisher(settings: bot_settings.Settings) -> Publisher:
    def value(variable: str) -> str:
        return french.polish(bot_settings.publisher_value(settings, variable))

    return Publisher(
        name=value("PUBLISHER_NAME"),
        address=value("PUBLISHER_ADDRESS"),
        director=value("PUBLICATION_DIRECTOR"),
        host=value("HOSTING_PROVIDER"),
        host_address=value("HOSTING_ADDRESS"),
        host_phone=value("HOSTING_PHONE"),
        dpo=french.polish(settings.dpo_contact),
        development=bool(bot_settings.missing_publisher(settings)),
    )


def _context(request: Request) -> dict:
    settings = settings_of(request)
    return {
        "service": catalog.service_contact(),
        "publisher": publisher(settings),
    }


def _french_day(day: date) -> str:
    """« 7 décembre 2026 », « 1er mars 2027 »."""
    return french.typeset(f"{day.day} {french.MONTHS[day.month - 1]} {day.year}")


async def privacy(request: Request) -> Response:
    settings = settings_of(request)
    context = {
        **_context(request),
        "durations": retention_durations(settings),
        "smtp": bool(settings.smtp_url),
        "cnil": CNIL,
    }
    return templates.TemplateResponse(request, "notices/privacy.html", context)


async def accessibility(request: Request) -> Response:
    context = {
        **_context(request),
        "statement_date": _french_day(ACCESSIBILITY_STATEMENT_DATE),
        "idle_minutes": settings_of(request).conversation_idle_minutes,
        "console_idle_minutes": settings_of(request).console_idle_minutes,
        "checked": checked_pages.by_audience(),  # the very list tests/browser/test_accessibility_browser.py checks
        "defenseur": DEFENSEUR_DES_DROITS,
    }
    return templates.TemplateResponse(request, "notices/accessibility.html", context)


async def legal(request: Request) -> Response:
    context = {**_context(request), "france_services_credit": france_services.CREDIT}
    return templates.TemplateResponse(request, "notices/legal.html", context)


routes = [
    Route(PRIVACY_PATH, privacy),
    Route(ACCESSIBILITY_PATH, accessibility),
    Route(LEGAL_PATH, legal),
]
