"""The action server runs our plain (`def run`, `def validate_…`) actions in worker threads
(bot/rasa_extensions/action_server.py: run_actions_in_threads), off rasa_sdk's event loop, through
rasa_sdk's own executor: a sync action, and a form whose sync validators rasa_sdk's
FormValidationAction calls (and whose `required_slots` it awaits)."""

from __future__ import annotations

import asyncio
import threading

from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor

from bot.rasa_extensions import action_server

SEEN: list[str] = []


class ActionWhichThread(Action):
    def name(self) -> str:
        return "action_test_which_thread"

    def run(self, dispatcher, tracker, domain):
        SEEN.append(threading.current_thread().name)
        dispatcher.utter_message(text="ok")
        return []


def call(next_action: str, slots=None, events=None) -> dict:
    return {
        "next_action": next_action,
        "sender_id": "someone",
        "tracker": {
            "sender_id": "someone",
            "slots": slots or {},
            "latest_message": {"text": "", "intent": {}, "entities": []},
            "events": events or [],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": "rappel_form"},
            "latest_action_name": "action_listen",
        },
        "domain": {"slots": {}, "forms": {"rappel_form": {"required_slots": ["consentement", "contact_nom"]}}},
    }


def test_plain_actions_and_form_validators_run_in_worker_threads(monkeypatch):
    monkeypatch.setattr(ActionExecutor, "run", ActionExecutor.run)  # undone after the test
    action_server.run_actions_in_threads(threads=2)
    executor = ActionExecutor()
    executor.register_package("actions")
    executor.register_action(ActionWhichThread)
    SEEN.clear()

    async def both():
        plain = await executor.run(call("action_test_which_thread"))
        form = await executor.run(
            call(
                "validate_rappel_form",
                slots={"consentement": True, "requested_slot": "consentement"},
                events=[{"event": "user", "text": "oui"}, {"event": "slot", "name": "consentement", "value": True}],
            )
        )
        return plain, form, threading.current_thread().name

    plain, form, loop_thread = asyncio.run(both())
    assert plain["responses"][0]["text"] == "ok"
    assert SEEN and SEEN[0].startswith("action") and SEEN[0] != loop_thread
    consent = {e["name"]: e["value"] for e in form["events"] if e["event"] == "slot"}
    assert consent["consentement"] is True and consent["consentement_le"]  # the sync validator ran


LOOPS: list = []  # the loops themselves: ids of closed loops can be reused


class ActionWhichLoop(Action):
    def name(self) -> str:
        return "action_test_which_loop"

    async def run(self, dispatcher, tracker, domain):
        LOOPS.append(asyncio.get_running_loop())
        return []


def test_each_worker_thread_keeps_one_event_loop_for_all_its_calls(monkeypatch):
    """A loop made and closed per call cost each action call a loop's set-up; one per thread is kept."""
    monkeypatch.setattr(ActionExecutor, "run", ActionExecutor.run)
    action_server.run_actions_in_threads(threads=1)
    executor = ActionExecutor()
    executor.register_action(ActionWhichLoop)
    LOOPS.clear()

    async def three_calls():
        for _ in range(3):
            await executor.run(call("action_test_which_loop"))
        return asyncio.get_running_loop()

    caller_loop = asyncio.run(three_calls())
    assert len(LOOPS) == 3 and LOOPS[0] is LOOPS[1] is LOOPS[2] and LOOPS[0] is not caller_loop
