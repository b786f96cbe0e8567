"""Live handover, the web app's side: presence, joining, the live chat, the end of it.

The database (bot/store/live.py) decides who wins every race; Rasa's HTTP API (bot/web/rasa_api.py)
carries the words: a mediator's message is a bot event of the conversation, so the person sees it
in the same chat window and the transcript keeps every message in order. The watcher
(bot/jobs/live_watch.py, listed in the web app's lifespan) ends what nobody picked up in time and
what a mediator left behind, and e-mails the mediators when a person waits while nobody watches
the console; it reaches Rasa through the LiveRelay below, passed in by the web app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import clock
from bot import settings as bot_settings
from bot.mail import calendar_ics
from bot.store import accounts, casework, conversations, dossiers, live
from bot.store.statuses import LiveState
from bot.store.tables import Dossier
from bot.web.handlers import (
    PREFIX,
    back_to,
    db_runner,
    flash,
    in_db,
    login_required,
    now_of,
    relay_of,
    session_token,
    settings_of,
)
from bot.web.rasa_api import LISTEN, RESUME, RasaClient, RasaUnavailable, bot_event

logger = logging.getLogger(__name__)
MAX_LIVE_MESSAGE_CHARS = 2000
RECENT_REQUESTS_MINUTES = 15  # how far back the console's poll lists new requests (browser notifications)

# What the person reads when the live part changes. {name} is the mediator's first name.
NOTICES = {
    "joined": "{name}, de l'équipe de médiation, vous a rejoint. Vous pouvez lui écrire ici.",
    "handback": "{name} a terminé l'échange et laisse la main à l'assistant.",
    "mediator": "{name} a terminé l'échange. Merci de votre confiance ! L'assistant reste là si besoin.",
    "person": "Vous avez terminé l'échange.",
    "person_waiting": "Vous avez quitté l'attente.",
    "absent": "{name} a dû s'interrompre. Veuillez nous en excuser.",
}
# After the live part, the assistant picks up with one of these (data/rules.yml).
FOLLOW_UP_INTENT = {
    "handback": "EXTERNAL_live_ended",
    "person": "EXTERNAL_live_ended",
    "timeout": "EXTERNAL_live_timeout",
    "absent": "EXTERNAL_live_timeout",
    "mediator": None,
}


def need_shown(dossier: Dossier | None) -> str | None:
    """The need to name in a browser notification, None when none was confirmed yet."""
    label = calendar_ics.need_label(dossier) if dossier is not None else calendar_ics.NO_NEED
    return None if label == calendar_ics.NO_NEED else label


def first_name(name: str | None) -> str:
    return (name or "").split()[0] if (name or "").split() else "Un médiateur"


class LiveRelay:
    """Carries the live part's changes from the database to the conversation held by Rasa."""

    def __init__(self, settings: bot_settings.Settings, now: Callable[[], datetime] | None = None) -> None:
        self.settings = settings
        self.now = now or (lambda: clock.now())  # the web app's clock (create_app); bot/clock.py by default
        self.rasa = RasaClient(settings.rasa_api_base, settings.rasa_token)
        self.in_db = db_runner(settings.database_url)

    async def announce_join(self, conversation_id: str, mediator_name: str) -> None:
        name = first_name(mediator_name)
        await self.rasa.append(
            conversation_id,
            [
                bot_event(NOTICES["joined"].format(name=name), {"role": "notice", "state": "active", "name": name}),
            ],
        )

    async def say(self, conversation_id: str, mediator_name: str, text: str) -> None:
        name = first_name(mediator_name)
        await self.rasa.append(conversation_id, [bot_event(text, {"role": "mediator", "name": name})])

    async def after_end(self, conversation_id: str, ended_by: str, mediator_name: str | None, was_waiting: bool) -> None:
        """Tell the person, give the conversation back to the assistant, let it carry on."""
        key = "person_waiting" if ended_by == "person" and was_waiting else ended_by
        events: list[dict[str, Any]] = []
        if key in NOTICES:
            text = NOTICES[key].format(name=first_name(mediator_name))
            events.append(bot_event(text, {"role": "notice", "state": "ended"}))
        events += [RESUME, LISTEN]
        await self.rasa.append(conversation_id, events)
        intent = FOLLOW_UP_INTENT.get(ended_by)
        if intent:
            await self.rasa.trigger(conversation_id, intent)

    async def end(self, chat_id: int, ended_by: str) -> bool:
        """End a chat (if nobody ended it first) and resume the assistant; False if already ended."""

        def run(session):
            before = live.chat_by_id(session, chat_id)
            was_waiting = before is not None and before.state == LiveState.WAITING
            chat = live.end(session, chat_id, ended_by, now=self.now())
            if chat is None:
                return None
            return chat.conversation_id, chat.mediator.name if chat.mediator else None, was_waiting

        ended = await self.in_db(run)
        if ended is None:
            return False
        conversation_id, mediator_name, was_waiting = ended
        try:
            await self.after_end(conversation_id, ended_by, mediator_name, was_waiting)
        except RasaUnavailable:  # the watcher resumes it once Rasa answers (repair_paused)
            logger.exception("live chat %s ended but the assistant could not resume yet", chat_id)
        return True

    # --- what the watcher (bot/jobs/live_watch.py) asks of Rasa ------------------------------
    async def give_back(self, conversation_id: str, ended_by: str, mediator_name: str | None, paused: bool) -> bool:
        """Resume a conversation left paused after its live part, or send the follow-up it missed;
        False when Rasa does not answer (the watcher tries again next round)."""
        try:
            if paused:
                await self.after_end(conversation_id, ended_by, mediator_name, False)
            else:
                await self.rasa.trigger(conversation_id, FOLLOW_UP_INTENT[ended_by])
        except RasaUnavailable:
            return False
        return True

    def follows_up(self, ended_by: str) -> bool:
        return FOLLOW_UP_INTENT.get(ended_by) is not None


# --- routes -----------------------------------------------------------------------------------


# Presence, the waiting list, joining, the live chat and its end, under /mediateurs.


async def set_presence(request: Request, me) -> Response:
    form = await request.form()
    available = form.get("disponible") == "1"
    await in_db(request, lambda s: live.set_available(s, me.id, available, now=now_of(request)))
    flash(
        request,
        "Vous êtes disponible pour les échanges en direct."
        if available
        else "Vous n'êtes plus disponible pour les échanges en direct.",
    )
    target = str(form.get("retour") or "")
    return back_to(target if target.startswith(PREFIX + "/") else f"{PREFIX}/file")


async def state(request: Request, me) -> Response:
    """Polled by every console page, by POST with the CSRF token (a state change): presence
    (pinged while the page is used, `actif=1`), the page being open, and who waits. A GET only
    reads: it changes nothing."""
    if request.method == "POST":
        form = await request.form()
        record = "ping" if form.get("actif") == "1" else "heard"
    else:
        record = None
    idle_minutes = settings_of(request).presence_idle_minutes
    token, used_at = session_token(request), now_of(request)

    def run(session):
        now = now_of(request)
        if record == "ping":
            live.ping(session, me.id, now=now)
            # a key, click or scroll on the page in the last minute: the person uses the console
            accounts.session_used(session, token, now=used_at)
        elif record == "heard":
            live.console_heard(session, me.id, now=now)  # the page is open, if not used
        mediator = accounts.mediator_by_id(session, me.id)
        return {
            "available": live.is_present(mediator, idle_minutes, now=now),
            "waiting": [
                {
                    "chat": w.chat_id,
                    "dossier": w.dossier_id,
                    "seconds": int((now - w.requested_at).total_seconds()),
                    "need": need_shown(dossiers.get_dossier(session, w.dossier_id)),
                }
                for w in live.waiting(session)
            ],
            # for the browser notifications (console.js): dossiers that just asked for a human;
            # the need and the dossier's number, nothing personal
            "requests": [
                {"key": r.key, "kind": r.kind, "dossier": r.dossier.id, "need": need_shown(r.dossier)}
                for r in casework.recent_requests(session, since=now - timedelta(minutes=RECENT_REQUESTS_MINUTES))
            ],
        }

    return JSONResponse(await in_db(request, run), headers={"Cache-Control": "no-store"})


async def join(request: Request, me) -> Response:
    chat_id = request.path_params["chat_id"]
    lease = settings_of(request).claim_lease_minutes

    def run(session):
        try:
            chat = live.join(session, chat_id, me.id, lease, now=now_of(request))
        except live.LiveError as refused:
            chat = live.chat_by_id(session, chat_id)
            return None, str(refused), chat.dossier_id if chat else None
        return chat.conversation_id, None, chat.dossier_id

    conversation_id, refused, dossier_id = await in_db(request, run)
    if conversation_id is None:
        flash(request, refused, "erreur")
        return back_to(f"{PREFIX}/dossiers/{dossier_id}" if dossier_id else f"{PREFIX}/file")
    try:
        await relay_of(request).announce_join(conversation_id, me.name)
        flash(request, "Vous avez rejoint la personne : écrivez-lui ci-dessous.")
    except RasaUnavailable:
        logger.exception("could not announce the join of live chat %s", chat_id)
        flash(
            request,
            "Vous avez rejoint la personne, mais l'assistant n'a pas pu la prévenir. " "Écrivez-lui : votre message le lui dira.",
            "erreur",
        )
    return back_to(f"{PREFIX}/dossiers/{dossier_id}#direct")


async def chat_state(request: Request, me) -> Response:
    """The live view of a dossier: its chat's state and the lines after `apres`."""
    dossier_id = request.path_params["dossier_id"]
    try:
        after = max(0, int(request.query_params.get("apres") or 0))
    except ValueError:
        return JSONResponse({"error": "Le paramètre « apres » doit être un nombre."}, status_code=400)

    def run(session):
        live.ping(session, me.id, now=now_of(request))
        chat = live.latest_chat(session, dossier_id)
        if chat is None:
            return None
        lines = conversations.transcript(session, chat.conversation_id, after_id=after)
        return {
            "state": chat.state,
            "ended_by": chat.ended_by,
            "mediator": chat.mediator.name if chat.mediator else None,
            "mine": chat.mediator_id == me.id and chat.state == LiveState.ACTIVE,
            "lines": [
                {
                    "id": line.event_id,
                    "speaker": line.speaker,
                    "author": line.author,
                    "text": line.text,
                    "sent": line.sent,
                    "buttons": [b["title"] for b in line.buttons],
                    "at": line.at.isoformat(),
                }
                for line in lines
            ],
        }

    body = await in_db(request, run)
    if body is None:
        return JSONResponse({"error": "Pas d'échange en direct sur ce dossier."}, status_code=404)
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


async def send(request: Request, me) -> Response:
    """A mediator's message to the person (console.js posts it; without script, the form does)."""
    dossier_id = request.path_params["dossier_id"]
    form = await request.form()
    status, message = await deliver(request, dossier_id, me, str(form.get("message") or ""))
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"sent": True} if status == 200 else {"error": message}, status_code=status)
    if status != 200:
        flash(request, message, "erreur")
    return back_to(f"{PREFIX}/dossiers/{dossier_id}#direct")


async def writer_chat(request: Request, dossier_id: int, me) -> tuple[tuple[int, str] | None, str]:
    """(chat id, conversation id) of the dossier's live chat if `me` may write in it, else the reason."""

    def run(session):
        chat = live.latest_chat(session, dossier_id)
        try:
            live.require_writer(chat, me.id)
        except live.LiveError as refused:
            return None, str(refused)
        live.ping(session, me.id, now=now_of(request))
        return (chat.id, chat.conversation_id), ""

    return await in_db(request, run)


async def deliver(request: Request, dossier_id: int, me, raw: str) -> tuple[int, str]:
    text = raw.replace("\x00", "").strip()
    if not text:
        return 400, "Le message est vide."
    if len(text) > MAX_LIVE_MESSAGE_CHARS:
        return 400, f"Le message dépasse {MAX_LIVE_MESSAGE_CHARS} caractères."

    chat, refused = await writer_chat(request, dossier_id, me)
    if chat is None:
        return 403, refused
    conversation_id = chat[1]
    try:
        await relay_of(request).say(conversation_id, me.name, text)
    except RasaUnavailable:
        logger.exception("live message to %s not delivered", conversation_id)
        return 502, "Message non transmis : l'assistant ne répond pas. Réessayez."
    return 200, ""


async def finish(request: Request, me) -> Response:
    dossier_id = request.path_params["dossier_id"]
    form = await request.form()
    hand_back = form.get("rendre_la_main") == "1"

    chat, refused = await writer_chat(request, dossier_id, me)
    if chat is None:
        flash(request, refused, "erreur")
    elif await relay_of(request).end(chat[0], "handback" if hand_back else "mediator"):
        flash(
            request,
            "Échange terminé ; l'assistant reprend la conversation."
            if hand_back
            else "Échange terminé. La transcription est dans le dossier.",
        )
    else:
        flash(request, "Cet échange était déjà terminé.", "erreur")
    return back_to(f"{PREFIX}/dossiers/{dossier_id}")


dossier_path = PREFIX + "/dossiers/{dossier_id:int}/direct"
routes = [
    Route(PREFIX + "/presence", login_required(set_presence), methods=["POST"]),
    # polled by console.js every few seconds: not the person's activity (CONSOLE_IDLE_MINUTES)
    Route(PREFIX + "/direct/etat.json", login_required(state, poll=True), methods=["GET", "POST"]),
    Route(PREFIX + "/direct/{chat_id:int}/rejoindre", login_required(join), methods=["POST"]),
    Route(dossier_path + ".json", login_required(chat_state, poll=True)),
    Route(dossier_path + "/message", login_required(send), methods=["POST"]),
    Route(dossier_path + "/terminer", login_required(finish), methods=["POST"]),
]


async def person_ends(relay: LiveRelay, conversation_id: str) -> bool:
    """« Terminer l'échange » in the widget: False when no live part was open."""
    chat = await relay.in_db(lambda s: live.open_chat(s, conversation_id))
    if chat is None:
        return False
    return await relay.end(chat.id, "person")


def live_state(session, conversation_id: str) -> dict[str, Any] | None:
    """For the widget after a reload: the open live part, if any."""
    chat = live.open_chat(session, conversation_id)
    if chat is None:
        return None
    return {"state": chat.state, "name": first_name(chat.mediator.name) if chat.mediator else None}
