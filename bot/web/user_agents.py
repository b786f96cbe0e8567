"""A short, human description of a browser from its User-Agent (« Firefox sous Windows »), for
the list of open sessions in « Mon compte ». Only this description is stored, never the whole
User-Agent nor the address: enough to recognise one's own devices, nothing more."""

from __future__ import annotations

# the first that matches wins: Edge and Opera also say "Chrome", Chrome also says "Safari"
BROWSERS = (
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
# iPhone and Android also say "like Mac OS X" and "Linux"
SYSTEMS = (
    ("Windows", "Windows"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)
MAX_LENGTH = 80  # the column's size (console_sessions.browser)


def describe(user_agent: str | None) -> str:
    """« Firefox sous Windows », « Safari sur iPhone », or « Navigateur inconnu »."""
    text = (user_agent or "")[:512]
    browser = next((name for mark, name in BROWSERS if mark in text), None)
    system = next((name for mark, name in SYSTEMS if mark in text), None)
    if browser is None:
        return "Navigateur inconnu" + (f" sous {system}" if system else "")
    if system is None:
        return browser
    where = "sur" if system in ("iPhone", "iPad") else "sous"
    return f"{browser} {where} {system}"[:MAX_LENGTH]
