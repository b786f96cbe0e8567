"""Dialogue policies of our own (named in config.yml).

`RuleAwareTEDPolicy` is Rasa's TEDPolicy, trained the same way, that does not run its neural
network when a memorising policy of the same model (RulePolicy, MemoizationPolicy) already knows
the next action with certainty. Rasa's ensemble would pick that policy's answer anyway: a rule
or a memorised story predicts with confidence 1.0, TED's confidence is below 1.0 and, on a tie,
TED has the lowest priority. So the choice of action is unchanged, and the network (a third of
the Rasa server's CPU per message under `make bench`) runs only for the paths no rule or story
pins down.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.featurizers.precomputation import MessageContainerForCoreFeaturization
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

CERTAIN = 1.0


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITH_END_TO_END_SUPPORT, is_trainable=True)
class RuleAwareTEDPolicy(TEDPolicy):
    """TEDPolicy that stays silent when a rule or a memorised story already decides."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.memorising_policies: List[MemoizationPolicy] = []

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TEDPolicy:
        policy = super().load(config, model_storage, resource, execution_context, **kwargs)
        policy.memorising_policies = _load_memorising_policies(model_storage, execution_context)
        return policy

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        precomputations: Optional[MessageContainerForCoreFeaturization] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        if self.decided_elsewhere(tracker, domain, rule_only_data):
            return self._prediction(self._default_predictions(domain))
        return super().predict_action_probabilities(tracker, domain, rule_only_data, precomputations, **kwargs)

    def decided_elsewhere(self, tracker: DialogueStateTracker, domain: Domain, rule_only_data: Optional[Dict[Text, Any]]) -> bool:
        for policy in self.memorising_policies:
            prediction = policy.predict_action_probabilities(tracker, domain, rule_only_data=rule_only_data)
            if prediction.is_no_user_prediction or prediction.max_confidence >= CERTAIN:
                return True
        return False


def _load_memorising_policies(model_storage: ModelStorage, execution_context: ExecutionContext) -> List[MemoizationPolicy]:
    """The RulePolicy and MemoizationPolicy of the same model, as the prediction graph loads them."""
    policies = []
    for node in execution_context.graph_schema.nodes.values():
        if (
            isinstance(node.uses, type)
            and issubclass(node.uses, MemoizationPolicy)
            and node.constructor_name == "load"
            and node.resource is not None
        ):
            config = {**node.uses.get_default_config(), **node.config}  # as Rasa's GraphNode merges them
            policies.append(node.uses.load(config, model_storage, node.resource, execution_context))
    return policies
