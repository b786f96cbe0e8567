"""Rasa custom actions, one module per step of the seed's accompaniment.

listening: « écoute et reformulation de la demande »; qualification: the optional questions;
answering: the solutions; redirecting: out of scope; leaving: the leave-taking.
Reaching a human: handover_menu (the choice), live (a mediator now), booking (an appointment),
callback (a call back), contact_form and deadlines (what their forms validate), slot_matching.

Actions are plain `def run` / `def validate_…`: their bodies block (SQLAlchemy, the dossier's
retries), and the action server runs each call in a worker thread
(bot/rasa_extensions/action_server.py). Only `required_slots` is a coroutine (rasa_sdk awaits it).
"""
