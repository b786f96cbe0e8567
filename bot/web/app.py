"""The public web app (Starlette, port 8000): the service's page with the chat widget open on it,
the widget's files, and the widget's small API (history, erase).

The chat itself goes from the browser to Rasa's socket.io channel (bot/channels/website.py);
this app never relays messages. It reads and erases conversations in the shared database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime, timedelta
from typing import Callable
from urllib.parse import urlsplit

from asgi_csrf import asgi_csrf
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from bot import clock, log_redaction, paths
from bot import settings as bot_settings
from bot.domain import catalog, france_services
from bot.jobs import live_watch, mail_sender, retention_purge, runner, spool_replay
from bot.store import conversations
from bot.web import account, appointment_page, console, conversation_ids, live, notices, readiness
from bot.web.handlers import in_db, now_of, relay_of, settings_of
from bot.web.security import SecurityHeadersMiddleware
from bot.web.templating import templates

WEB_DIR = paths.ROOT / "bot" / "web"
# Front-end libraries, installed from the npm registry at pinned versions (package.json) and
# served by this app: nothing is fetched from a CDN at run time.
VENDOR_FILES = {
    "socket.io.min.js": paths.ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js",
}
MAX_API_BODY_BYTES = 4096
EXPIRED = "Cette conversation est terminée : elle était inactive depuis trop longtemps. Une nouvelle commence."
SAME_ORIGIN = "same-origin"
logger = logging.getLogger(__name__)


def socket_url(settings: bot_settings.Settings, request: Request) -> str:
    """Where the browser reaches Rasa's socket.io: PUBLIC_SOCKET_URL ("same-origin" behind a proxy
    that routes /socket.io/, as in make run-prod), else this host on RASA_PORT."""
    if settings.public_socket_url == SAME_ORIGIN:
        return ""  # the widget then uses the origin it was loaded from
    if settings.public_socket_url:
        return settings.public_socket_url
    host = request.url.hostname or "localhost"
    return f"{request.url.scheme}://{host}:{settings.rasa_port}"


async def read_token(request: Request) -> str | JSONResponse:
    """The conversation token from a small JSON body `{"token": …}`, or a 4xx saying why."""
    body = await request.body()
    if len(body) > MAX_API_BODY_BYTES:
        return JSONResponse({"error": "Requête trop grande."}, status_code=413)
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return JSONResponse({"error": "Le corps de la requête doit être du JSON."}, status_code=400)
    token = data.get("token") if isinstance(data, dict) else None
    if not isinstance(token, str):
        return JSONResponse({"error": "Le champ « token » (texte) est obligatoire."}, status_code=400)
    return token


async def home(request: Request) -> Response:
    service = catalog.service_contact()
    return templates.TemplateResponse(
        request,
        "index.html",
        {
            "service": service,
            "needs": catalog.needs(),
            "retention_months": catalog.retention_months(),
            "idle_minutes": settings_of(request).conversation_idle_minutes,
            "socket_url": socket_url(settings_of(request), request),
            "france_services_credit": france_services.CREDIT,
        },
    )


async def integration(request: Request) -> Response:
    """How to embed the widget elsewhere, shown with the widget in its floating form."""
    origin = f"{request.url.scheme}://{request.url.netloc}"
    where = socket_url(settings_of(request), request)
    snippet = f'<script src="{origin}/widget.js" data-socket-url="{where}" defer></script>'
    return templates.TemplateResponse(
        request,
        "integration.html",
        {"service": catalog.service_contact(), "snippet": snippet, "socket_url": where},
    )


async def conversation_of(request: Request) -> str | Response:
    """The conversation a request's token names, or the 4xx that says why not."""
    token = await read_token(request)
    if isinstance(token, Response):
        return token
    conversation_id = conversation_ids.conversation_of(settings_of(request).conversation_secret, token)
    if conversation_id is None:
        return JSONResponse({"error": "Conversation inconnue."}, status_code=404)
    return conversation_id


async def history(request: Request) -> Response:
    """The messages of the token's conversation, unless it has been idle longer than
    CONVERSATION_IDLE_MINUTES: then 410, and the widget starts a new conversation (on a shared
    computer, the next person must not read the previous one)."""
    conversation_id = await conversation_of(request)
    if isinstance(conversation_id, Response):
        return conversation_id
    idle, now = timedelta(minutes=settings_of(request).conversation_idle_minutes), now_of(request)

    def read(session):
        if conversations.is_idle(session, conversation_id, idle, now):
            return None
        return conversations.transcript(session, conversation_id), live.live_state(session, conversation_id)

    found = await in_db(request, read)
    if found is None:
        return JSONResponse({"error": EXPIRED, "expired": True}, status_code=410)
    lines, live_part = found
    return JSONResponse(
        {
            "messages": [
                {
                    "from": WIDGET_SPEAKERS[line.speaker],
                    "text": line.text,
                    "name": line.author,
                    "buttons": [{"title": b["title"], "payload": b["payload"]} for b in line.buttons],
                    "at": line.at.isoformat(),
                }
                for line in lines
            ],
            "live": live_part,
        }
    )


async def end_live(request: Request) -> Response:
    """« Terminer l'échange »: the person leaves the live part (or the wait for it)."""
    conversation_id = await conversation_of(request)
    if isinstance(conversation_id, Response):
        return conversation_id
    if not await live.person_ends(relay_of(request), conversation_id):
        return JSONResponse({"error": "Aucun échange en direct n'est en cours."}, status_code=409)
    return JSONResponse({"ended": True})


async def erase(request: Request) -> Response:
    """« Effacer ma conversation »: the messages, the dossier's personal data and mails, an
    appointment still to come (cancelled as with the e-mailed link), the .eml copies of its mails,
    and this machine's spooled writes of it (bot/store/retention.py: erase_conversation)."""
    from bot.mail import transport
    from bot.store import retention
    from bot.store.spool import Spool

    conversation_id = await conversation_of(request)
    if isinstance(conversation_id, Response):
        return conversation_id
    settings, now = settings_of(request), now_of(request)
    erasure = await in_db(request, lambda session: retention.erase_conversation(session, conversation_id, now=now))
    await run_in_threadpool(Spool(settings.var_dir).discard, conversation_id)
    await run_in_threadpool(transport.remove_copies, settings.outbox_dir, erasure.message_ids)
    return JSONResponse({"erased": True, "cancelled": len(erasure.cancelled)})


def widget_source(settings: bot_settings.Settings) -> str:
    return (
        (WEB_DIR / "static" / "widget.js")
        .read_text(encoding="utf-8")
        .replace("__RETENTION_MONTHS__", str(catalog.retention_months()))
        .replace("__IDLE_MINUTES__", str(settings.conversation_idle_minutes))
    )


async def widget_script(request: Request) -> Response:
    return Response(request.app.state.widget_source, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


async def vendor(request: Request) -> Response:
    path = VENDOR_FILES.get(request.path_params["name"])
    if path is None or not path.exists():
        return JSONResponse({"error": "Fichier inconnu."}, status_code=404)
    return FileResponse(path, media_type="text/javascript")


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


routes = [
    Route("/", home),
    Route("/integration", integration),
    Route("/widget.js", widget_script),
    Route("/api/conversation/history", history, methods=["POST"]),
    Route("/api/conversation/erase", erase, methods=["POST"]),
    Route("/api/conversation/live/end", end_live, methods=["POST"]),
    Route("/vendor/{name}", vendor),
    Route("/healthz", health),
    *readiness.routes,
    *notices.routes,  # privacy notice, accessibility statement, legal notice
    Mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static"),
]


@contextlib.asynccontextmanager
async def lifespan(app: Starlette):
    """The periodic jobs of bot/jobs/, each turn in one worker of one server (bot/jobs/runner.py)."""
    settings, relay = app.state.settings, app.state.relay
    jobs = [
        retention_purge.job(settings.database_url, settings.outbox_dir),
        spool_replay.job(settings),
        live_watch.job(settings, relay),  # reaches Rasa through the web app's relay (bot/web/live.py)
        mail_sender.job(settings),
    ]
    tasks = [asyncio.create_task(runner.run_forever(job, settings.database_url)) for job in jobs]
    yield
    for task in tasks:
        task.cancel()
    await relay.rasa.close()


def create_app(settings: bot_settings.Settings | None = None, now: Callable[[], datetime] | None = None) -> ASGIApp:
    """`now`: the app's clock (tests move it); bot/clock.py by default."""
    settings = settings or bot_settings.current()
    bot_settings.require_strong_secrets(settings)  # a weak SESSION_SECRET would let anyone sign an admin session
    if settings.public_tls:  # served to the public (make run-prod, the containers): the notices need the publisher
        bot_settings.require_publisher(settings)
    log_redaction.install()  # no secret link in uvicorn's access log nor in ours
    if settings.public_socket_url == SAME_ORIGIN:
        socket_origins = None  # connect-src 'self' is enough
    else:
        socket_origins = {_origin(settings.public_socket_url)} if settings.public_socket_url else set()

    app = Starlette(
        lifespan=lifespan,
        routes=[*console.routes, *live.routes, *account.routes, *appointment_page.routes, *routes],
        middleware=[
            Middleware(
                SecurityHeadersMiddleware,
                rasa_port=settings.rasa_port,
                socket_origins=socket_origins,
                hsts=settings.secure_cookies,
            ),
            # the widget may be embedded on the service's other sites (WEB_ALLOWED_ORIGINS)
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.allowed_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Content-Type"],
            ),
            Middleware(
                SessionMiddleware,
                secret_key=settings.session_secret,
                session_cookie="mediation_console",
                max_age=8 * 3600,  # a working day
                same_site="lax",
                https_only=settings.secure_cookies,
            ),
        ],
    )
    app.state.settings = settings  # what the handlers read (bot/web/handlers.py: settings_of)
    # what the handlers read (bot/web/handlers.py: now_of); by default bot/clock.py, looked up at each
    # call so that every route reads the same clock, whoever sets bot.clock.now
    app.state.now = now or (lambda: clock.now())
    app.state.relay = live.LiveRelay(settings, app.state.now)  # ends chats by the same clock
    app.state.widget_source = widget_source(settings)
    # every state-changing request of the console needs the CSRF token of its form
    return asgi_csrf(
        app,
        signing_secret=settings.session_secret,
        cookie_secure=settings.secure_cookies,
        always_protect={f"{console.PREFIX}/connexion", f"{console.PREFIX}/mot-de-passe-oublie"},
        skip_if_scope=lambda scope: not scope["path"].startswith(console.PREFIX),
        send_csrf_failed=_csrf_failed,
    )


async def _csrf_failed(scope, send, message_id) -> None:
    body = "Formulaire expiré ou invalide (protection CSRF). Rechargez la page et recommencez.".encode()
    await send({"type": "http.response.start", "status": 403, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": body})


# transcript speakers as the widget names them
WIDGET_SPEAKERS = {"personne": "user", "assistant": "bot", "mediateur": "mediator", "info": "info"}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
