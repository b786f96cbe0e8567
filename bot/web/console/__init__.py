"""The mediator console under /mediateurs, one module per page: log in (`auth`), the queue
(`queue`), a dossier and what is done to it (`dossier`), the agenda with calendar files (`agenda`),
the team (`team`, admins), the activity figures and CSV export (`activity`); what they share in
`common`. This module holds the route table.

Sessions are signed cookies (HttpOnly, SameSite=Lax, Secure when SECURE_COOKIES=1); every POST
carries a CSRF token (asgi-csrf, wired in bot/web/app.py); templates escape everything.
"""

from __future__ import annotations

from starlette.routing import Route

from bot.web.console import activity, agenda, auth, dossier, inbox, queue, team
from bot.web.console.common import dossier_action, render
from bot.web.handlers import PREFIX, SESSION_ENDED, login_required
from bot.web.templating import local

__all__ = ["PREFIX", "SESSION_ENDED", "local", "render", "routes"]

dossier_path = PREFIX + "/dossiers/{dossier_id:int}"
routes = [
    Route(PREFIX, auth.home),
    Route(PREFIX + "/connexion", auth.login_page, methods=["GET"]),
    Route(PREFIX + "/connexion", auth.login, methods=["POST"]),
    Route(PREFIX + "/deconnexion", auth.logout, methods=["POST"]),
    Route(PREFIX + "/file", login_required(queue.queue_page)),
    Route(dossier_path, login_required(dossier.dossier_page)),
    Route(dossier_path + "/prendre", dossier_action(dossier.claim), methods=["POST"]),
    Route(dossier_path + "/liberer", dossier_action(dossier.release), methods=["POST"]),
    Route(dossier_path + "/note", dossier_action(dossier.note), methods=["POST"]),
    Route(dossier_path + "/statut", dossier_action(dossier.status), methods=["POST"]),
    Route(dossier_path + "/clore", dossier_action(dossier.close), methods=["POST"]),
    Route(dossier_path + "/effacer", login_required(dossier.erase, admin=True), methods=["POST"]),
    Route(PREFIX + "/agenda", login_required(agenda.agenda_page)),
    Route(PREFIX + "/rendez-vous/{reference}/annuler", login_required(agenda.cancel_appointment), methods=["POST"]),
    Route(PREFIX + "/rendez-vous/{reference}/deplacer", login_required(agenda.move_appointment), methods=["POST"]),
    Route(PREFIX + "/rendez-vous/{reference}.ics", login_required(agenda.appointment_ics)),
    Route("/calendrier/{token}.ics", agenda.calendar_feed),
    Route(PREFIX + "/equipe", login_required(team.team_page, admin=True)),
    Route(PREFIX + "/equipe", login_required(team.team_add, admin=True), methods=["POST"]),
    Route(PREFIX + "/equipe/{mediator_id:int}/activation", login_required(team.team_toggle, admin=True), methods=["POST"]),
    Route(PREFIX + "/equipe/{mediator_id:int}/creneaux", login_required(team.team_slots, admin=True), methods=["POST"]),
    Route(PREFIX + "/equipe/{mediator_id:int}/role", login_required(team.team_role, admin=True), methods=["POST"]),
    Route(PREFIX + "/export.csv", login_required(activity.export_csv)),
    Route(PREFIX + "/activite", login_required(activity.activity_page)),
    Route(PREFIX + "/phrases", login_required(inbox.inbox_page)),
    Route(PREFIX + "/phrases/{entry_id:int}", login_required(inbox.decide), methods=["POST"]),
]
