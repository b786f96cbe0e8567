"""Our patches of Rasa 3.6 internals (bot/rasa_extensions) keep Rasa's behaviour (tests/e2e/test_faults.py and
tests/ops/test_scale.py show their effect end to end)."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_extensions.patches import action_validation_fix, event_classes, tracker_store_fix


def test_action_responses_are_validated_as_rasa_does():
    action_validation_fix.install()
    action = RemoteAction("action_x", EndpointConfig("http://127.0.0.1:1/webhook"))
    good = {"events": [{"event": "slot", "name": "besoin", "value": "x", "timestamp": None}], "responses": [{"text": "Bonjour"}]}
    assert action._validate_action_result(good) is True
    for bad in ({"events": [{"no_event_key": 1}]}, {"responses": "pas une liste"}, {"events": "x"}):
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(bad)
        with pytest.raises(ValidationError):
            action_validation_fix._original(action, bad)  # Rasa's own check refuses the same


def every_kind_of_event() -> list[dict]:
    """One event of each kind Rasa can deserialise, as the action server sends them."""
    from rasa.shared.core import events as e

    made = [
        e.UserUttered("bonjour", {"name": "greet", "confidence": 1.0}, [], {"text": "bonjour"}),
        e.ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0),
        e.SlotSet("besoin", "presence_en_ligne"),
        e.SlotSet("requested_slot", None),
        e.EntitiesAdded([{"entity": "mode_contact", "value": "rappel"}]),
        e.ReminderCancelled(name="r"),
        e.ReminderScheduled("EXTERNAL_x", trigger_date_time=__import__("datetime").datetime(2030, 1, 8, 10)),
        e.ActionExecutionRejected("action_x"),
        e.LoopInterrupted(True),
        e.ActiveLoop("form_profil"),
        e.ActiveLoop(None),
        e.AllSlotsReset(),
        e.ConversationResumed(),
        e.ConversationPaused(),
        e.FollowupAction("action_y"),
        e.Restarted(),
        e.UserUtteranceReverted(),
        e.ActionReverted(),
        e.BotUttered("Bonjour", {"buttons": [{"title": "Oui", "payload": "/affirm"}]}),
        e.SessionStarted(),
        e.AgentUttered("texte"),
    ]
    return [event.as_dict() for event in made]


def test_checking_each_event_against_its_own_kind_gives_the_whole_schemas_verdict():
    """The shortcut of patches/action_validation_fix.py against jsonschema on the whole schema, on
    every kind of event, alone and together, and on broken variants of each."""
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    whole = validator_for(schema)(schema)
    events = every_kind_of_event()
    responses = [{"events": [event], "responses": []} for event in events]
    responses += [{"events": events, "responses": [{"text": "Bonjour", "buttons": []}]}, {}, {"events": []}]
    for event in events:
        for key, value in event.items():  # each field of each event made the wrong type, then dropped
            responses.append({"events": [{**event, key: [value, {"x": 1}] if not isinstance(value, list) else 3}]})
            responses.append({"events": [{k: v for k, v in event.items() if k != key}]})
    responses += [
        {"events": [{"event": "pas_un_evenement"}]},
        {"events": [{"event": 3}]},
        {"events": ["slot"]},
        {"events": {"event": "slot"}},
        {"responses": [3]},
        [],
        "x",
    ]
    verdicts = [(whole.is_valid(response), action_validation_fix._passes_its_kind(response)) for response in responses]
    assert [whole for whole, _ in verdicts].count(True) > len(events)  # valid ones and invalid ones
    assert [whole for whole, _ in verdicts].count(False) > len(events)
    assert [response for response, (a, b) in zip(responses, verdicts, strict=True) if a != b] == []


def test_tracker_store_engine_pings_postgresql_connections_only():
    import rasa.core.tracker_store as tracker_store

    tracker_store_fix.install()
    assert tracker_store.create_engine_kwargs("postgresql://u@h:5432/db")["pool_pre_ping"] is True
    assert "pool_pre_ping" not in tracker_store.create_engine_kwargs("sqlite:///x.db")
    assert "poolclass" not in tracker_store.create_engine_kwargs("sqlite://")  # in memory: SQLAlchemy's own pool


def test_the_sqlite_tracker_store_keeps_its_connection_and_its_conversations(tmp_path):
    import asyncio

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from sqlalchemy.pool import QueuePool

    tracker_store_fix.install()
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "trackers.db"))
    assert isinstance(store.engine.pool, QueuePool)
    tracker = DialogueStateTracker("someone", [])
    for turn in range(3):
        tracker.update(UserUttered(f"message {turn}"))
        tracker.update(ActionExecuted("action_listen"))
        asyncio.run(store.save(tracker))
    assert store.engine.pool.checkedout() == 0 and store.engine.pool.checkedin() == 1  # one connection, reused
    stored = asyncio.run(store.retrieve("someone"))
    assert [e.text for e in stored.events if isinstance(e, UserUttered)] == ["message 0", "message 1", "message 2"]


def test_event_classes_are_found_by_type_name_as_rasa_finds_them():
    from rasa.shared.core.events import Event, SlotSet, UserUttered, deserialise_events
    from rasa.shared.utils.common import all_subclasses

    event_classes.install()
    for cls in all_subclasses(Event):
        assert Event.resolve_by_type(cls.type_name) is event_classes._original(cls.type_name), cls
        assert Event.resolve_by_type(cls.type_name) is event_classes._original(cls.type_name)  # remembered, the same
    assert Event.resolve_by_type("topic") is None  # Rasa's old TopicSet events are skipped
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")
    assert "no_such_event" not in event_classes._found
    written = [SlotSet("besoin", "x"), UserUttered("bonjour", {"name": "greet", "confidence": 1.0})]
    assert deserialise_events([e.as_dict() for e in written]) == written


def test_the_patches_refuse_a_rasa_they_were_not_written_for():
    from bot import rasa_extensions

    rasa_extensions.check_version("3.6.21")
    with pytest.raises(rasa_extensions.WrongRasaVersion, match="Rasa 3.7.0 is installed.*written for Rasa 3.6.21"):
        rasa_extensions.check_version("3.7.0")


def test_one_install_puts_every_patch_in_place():
    from rasa.core.policies.memoization import MemoizationPolicy
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.core.processor import MessageProcessor

    from bot import rasa_extensions
    from bot.rasa_extensions.patches import typed_answers, typed_payloads

    rasa_extensions.install()
    rasa_extensions.install()  # idempotent
    assert MessageProcessor.parse_message is typed_answers._parse_message
    assert MessageProcessor._handle_message_with_tracker is typed_payloads._handle_message_with_tracker
    assert RemoteAction._validate_action_result is action_validation_fix._validate_action_result
    assert RulePolicy.predict_action_probabilities.sharing and MemoizationPolicy.predict_action_probabilities.sharing
    from rasa.shared.core.events import Event

    assert Event.resolve_by_type is event_classes._resolve_by_type
