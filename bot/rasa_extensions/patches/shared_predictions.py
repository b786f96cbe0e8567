"""The rule and memoization policies' prediction for one step of a conversation made once, not twice.

`RuleAwareTEDPolicy` (bot/rasa_extensions/policies.py) asks the model's RulePolicy and
MemoizationPolicy whether they already decide the next action, with its own copies of them; Rasa's
prediction graph asks its copies the same question for the same tracker in the same run. Each
answer walks the whole conversation (Rasa rebuilds its dialogue states), so every prediction paid
twice for it: a tenth of the Rasa server's work per message (py-spy, one conversation at a time).

Here the answer one copy gives is kept on the tracker, for that very state of the conversation (its
number of events and its last event), and handed once to the other copy of the same policy (same
class, same trained resource, same domain, same rule-only data), which then does not compute it.
Once handed over it is forgotten: Rasa's ensemble changes the winning prediction afterwards (adds
events, zeroes a rejected action), and nobody must read it after that. Same answers, same choice.

Re-check on a Rasa upgrade: `RulePolicy` and `MemoizationPolicy` still predict from
`(tracker, domain, rule_only_data)` alone, a policy still knows its `_resource`, and the prediction
graph still gives every policy node the same tracker object.
"""

from __future__ import annotations

from typing import Any, Callable

from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

KEPT = "_shared_policy_predictions"  # set on the tracker: (number of events, last event, {policy: (maker, prediction)})

_originals = {cls: cls.__dict__["predict_action_probabilities"] for cls in (MemoizationPolicy, RulePolicy)}


def _kept_for(tracker: DialogueStateTracker) -> dict:
    """The predictions kept for the tracker's current state (a new, empty place once it moved on)."""
    events = tracker.events
    count, last = len(events), (events[-1] if events else None)
    kept = tracker.__dict__.get(KEPT)
    if kept is None or kept[0] != count or kept[1] is not last:
        kept = (count, last, {})  # the last event is held, so its identity cannot be reused meanwhile
        tracker.__dict__[KEPT] = kept
    return kept[2]


def _sharing(original: Callable[..., PolicyPrediction]) -> Callable[..., PolicyPrediction]:
    def predict_action_probabilities(
        self: MemoizationPolicy,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        kept = _kept_for(tracker)
        key = (type(self), self._resource.name, id(domain), id(rule_only_data))
        made = kept.pop(key, None)
        if made is not None and made[0] is not self:
            return made[1]  # the other copy of this policy answered for this very state
        prediction = original(self, tracker, domain, rule_only_data=rule_only_data, **kwargs)
        kept[key] = (self, prediction)
        return prediction

    predict_action_probabilities.sharing = True  # type: ignore[attr-defined]
    return predict_action_probabilities


def install() -> None:
    """Idempotent."""
    for cls, original in _originals.items():
        if not getattr(cls.__dict__["predict_action_probabilities"], "sharing", False):
            cls.predict_action_probabilities = _sharing(original)  # type: ignore[method-assign]
