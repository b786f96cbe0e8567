"""A custom action call that fails ends the turn: the person is told, nothing of it is stored.

Rasa 3.6's `MessageProcessor._run_action` logs any exception of an action and goes on « but the
action's events are lost »: when the action server died in the middle of a turn, or answered a
call with an error, the next prediction usually listened, and the person got an empty answer (or
an answer beside the point) while the half-done turn was saved. Here such a failure raises
`ActionServerFailed` out of the turn, before Rasa saves the conversation: the channels catch it
and say `replies.trouble()` (the service's phone, « réessayez »), and the message can simply be
sent again. A form's validation that rejects a value (HTTP 400, `ActionExecutionRejection`) is
not a failure and stays Rasa's.

The last successful call is remembered (`answered_recently`): the channels' health check before
each message (bot/channels/backend.py) is skipped while the action server has just answered,
since a failure in the turn is now caught here anyway.

Re-check on a Rasa upgrade: `_run_action(self, action, tracker, output_channel, nlg, prediction)`
still runs the action (and a form's validation calls) within the call and swallows its exceptions;
`RemoteAction.run` still raises `ActionExecutionRejection` for a rejection and `RasaException`
for the rest; the conversation is saved after the prediction loop in `handle_message`.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.processor import MessageProcessor

FRESH_SECONDS = 1.0  # an action call answered this recently stands for a health check

_failure: ContextVar[str | None] = ContextVar("action_failure", default=None)
_last_answer: list[float] = [float("-inf")]  # time.monotonic() of the last successful call


class ActionServerFailed(Exception):
    """A custom action call of this turn failed: the turn is abandoned, unsaved."""


def answered_recently(now: float) -> bool:
    """Whether an action call succeeded within FRESH_SECONDS of `now` (a time.monotonic() reading)."""
    return now - _last_answer[0] < FRESH_SECONDS


_original_remote_run = RemoteAction.run
_original_run_action = MessageProcessor._run_action


async def _remote_run(self: RemoteAction, *args: Any, **kwargs: Any) -> Any:
    try:
        events = await _original_remote_run(self, *args, **kwargs)
    except ActionExecutionRejection:
        _last_answer[0] = time.monotonic()  # it answered: a form's « not this value »
        raise
    except Exception as exc:
        _failure.set(f"{self.name()}: {exc}")
        raise
    _last_answer[0] = time.monotonic()
    return events


async def _run_action(self: MessageProcessor, *args: Any, **kwargs: Any) -> bool:
    token = _failure.set(None)
    try:
        result = await _original_run_action(self, *args, **kwargs)
        failure = _failure.get()
    finally:
        _failure.reset(token)
    if failure is not None:
        raise ActionServerFailed(failure)
    return result


def install() -> None:
    """Idempotent."""
    if MessageProcessor._run_action is not _run_action:
        RemoteAction.run = _remote_run  # type: ignore[method-assign]
        MessageProcessor._run_action = _run_action  # type: ignore[method-assign]
