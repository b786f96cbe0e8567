"""RuleAwareTEDPolicy (bot/rasa_extensions/policies.py): TED's network runs only where no rule or story decides,
and the action Rasa chooses is the one the rules and stories say; the rule and memoization policies answer once
per step for the graph and TED (bot/rasa_extensions/patches/shared_predictions.py); a custom action call that
fails ends the turn unsaved (bot/rasa_extensions/patches/action_failures.py). Uses the trained model in-process."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from rasa.core.agent import load_agent
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.ops.supervisor import free_port
from bot.rasa_extensions.patches import action_failures, shared_predictions
from bot.rasa_extensions.policies import RuleAwareTEDPolicy


@pytest.fixture(scope="module")
def agent(model):
    shared_predictions.install()  # as the Rasa server does (our tracker store), before the model's graph is built
    return asyncio.run(load_agent(model_path=str(model)))


@pytest.fixture(scope="module")
def ted(agent) -> RuleAwareTEDPolicy:
    components = [getattr(node, "_component", None) for node in agent.processor.graph_runner._instantiated_nodes.values()]
    [policy] = [c for c in components if isinstance(c, RuleAwareTEDPolicy)]
    return policy


def tracker_after(agent, *turns: tuple[str, list[str]]) -> DialogueStateTracker:
    """A conversation: each turn is (intent of the person, actions of the assistant after it)."""
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    for intent, actions in turns:
        events.append(UserUttered(intent, intent={"name": intent, "confidence": 1.0}))
        events += [ActionExecuted(a) for a in actions]
    return DialogueStateTracker.from_events("test-policies", events, slots=agent.domain.slots)


def next_action(agent, tracker) -> tuple[str, str]:
    prediction = agent.processor._predict_next_with_tracker(tracker)
    return agent.domain.action_names_or_texts[prediction.max_confidence_index], prediction.policy_name


def test_the_network_stays_silent_where_a_rule_decides(agent, ted):
    tracker = tracker_after(agent, ("greet", []))
    assert ted.memorising_policies, "the rule and memoization policies were not found in the model"
    assert ted.decided_elsewhere(tracker, agent.domain, None)
    assert ted.predict_action_probabilities(tracker, agent.domain).max_confidence == 0
    assert next_action(agent, tracker) == ("utter_greet", "RulePolicy")


def test_the_network_decides_where_no_rule_or_story_does(agent, ted):
    # a path written in no rule and no story: « thanks » twice, then a no out of the blue
    # (a yes there answers « Avez-vous une autre question ? »: a rule, data/rules.yml)
    tracker = tracker_after(
        agent,
        ("thank", ["utter_you_are_welcome", "action_listen"]),
        ("thank", ["utter_you_are_welcome", "action_listen"]),
        ("deny", []),
    )
    assert not ted.decided_elsewhere(tracker, agent.domain, None)
    network = ted.predict_action_probabilities(tracker, agent.domain)
    assert network.max_confidence > 0
    action, policy = next_action(agent, tracker)
    if network.max_confidence > 0.3:  # above the rules' fallback threshold (config.yml): TED's choice
        assert (action, policy) == (agent.domain.action_names_or_texts[network.max_confidence_index], "RuleAwareTEDPolicy")
    else:
        assert action == "action_not_understood"  # config.yml: core_fallback_action_name


def test_a_story_path_is_followed(agent):
    tracker = tracker_after(agent, ("greet", ["utter_greet", "utter_ask_what_brings_you", "action_listen"]), ("affirm", []))
    assert next_action(agent, tracker)[0] == "utter_ask_what_brings_you"


def test_the_rule_and_memoization_policies_answer_once_per_step(agent, monkeypatch):
    """TED asks them whether they decide; the graph asks them too: one computation each, same choice."""
    computed: Counter = Counter()
    rules, recall = RulePolicy._predict, MemoizationPolicy.recall

    def rules_counted(self, *args, **kwargs):
        computed["rules"] += 1
        return rules(self, *args, **kwargs)

    def recall_counted(self, *args, **kwargs):
        computed[type(self).__name__] += 1
        return recall(self, *args, **kwargs)

    monkeypatch.setattr(RulePolicy, "_predict", rules_counted)
    monkeypatch.setattr(MemoizationPolicy, "recall", recall_counted)
    decided_by_a_rule = tracker_after(agent, ("greet", []))
    assert next_action(agent, decided_by_a_rule) == ("utter_greet", "RulePolicy")
    assert computed == {"rules": 1, "MemoizationPolicy": 1}  # before: rules twice (TED asked again)
    computed.clear()
    undecided = tracker_after(
        agent,
        ("thank", ["utter_you_are_welcome", "action_listen"]),
        ("thank", ["utter_you_are_welcome", "action_listen"]),
        ("deny", []),
    )
    first = agent.processor._predict_next_with_tracker(undecided)
    assert computed == {"rules": 1, "MemoizationPolicy": 1}  # before: twice each
    # the same step predicted again (Rasa's ensemble changed the first winner): computed afresh, same answer
    again = agent.processor._predict_next_with_tracker(undecided)
    assert computed == {"rules": 2, "MemoizationPolicy": 2}
    assert (again.policy_name, list(again.probabilities)) == (first.policy_name, list(first.probabilities))


def test_a_failed_action_call_ends_the_turn_and_nothing_of_it_is_saved(agent):
    """Rasa alone logs the failure, goes on without the action's events and saves the turn (the
    person gets an empty or a beside-the-point answer); patched, the turn is abandoned for the
    channel to say so, and the conversation is as it was."""
    action_failures.install()
    kept = agent.processor.action_endpoint
    agent.processor.action_endpoint = EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook")  # nobody listens
    try:
        with pytest.raises(action_failures.ActionServerFailed, match="Couldn't connect"):
            asyncio.run(agent.handle_text("je voudrais que mes clients me trouvent sur internet", sender_id="failing"))
    finally:
        agent.processor.action_endpoint = kept
    stored = asyncio.run(agent.tracker_store.retrieve("failing"))
    assert stored is None or [e for e in stored.events if e.type_name in ("user", "bot")] == []  # nothing of the turn


def test_an_action_call_answered_a_moment_ago_stands_for_a_health_check():
    action_failures._last_answer[0] = 100.0
    assert action_failures.answered_recently(100.5)
    assert not action_failures.answered_recently(100.0 + action_failures.FRESH_SECONDS)
