"""Need and human together, on held-out messages (tests/human_topic_test.yml) parsed by the model.

A message naming a need and asking for a person must keep both: the need is recorded (the NLU's
intent when it is a need, else the best need of its ranking, bot/domain/human_request.py) and a person is
offered (the request in words or by ranking, actions/listening.py). A plain request for a person
must not get a topic it does not name.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot import paths
from bot.domain import catalog
from bot.domain.human_request import asks_for_a_person_in, topic_in_ranking

TEST_SET = paths.TESTS / "human_topic_test.yml"


@dataclass
class TopicScore:
    with_topic: int = 0
    kept: int = 0  # the right need recorded and a person offered
    without_topic: int = 0
    wrong_topic: int = 0  # a plain request that got a need


def outcome(parse: dict) -> tuple[str | None, bool]:
    """(need recorded, person offered) for one parsed message, as the actions decide."""
    intent = (parse.get("intent") or {}).get("name")
    ranking = parse.get("intent_ranking") or []
    if catalog.need(intent or "") is not None:
        return intent, asks_for_a_person_in(parse.get("text") or "", ranking)
    topic = topic_in_ranking(intent, ranking, parse)
    return (topic[0] if topic else None), intent == "ask_human"


def evaluate(model: Path) -> TopicScore:
    from rasa.core.agent import Agent

    from bot import rasa_extensions

    rasa_extensions.install()  # the second reading of a request for a person, as the channels have it
    data = yaml.safe_load(TEST_SET.read_text(encoding="utf-8"))
    agent = Agent.load(str(model))

    async def parse_all(texts):
        return [await agent.parse_message(t) for t in texts]

    score = TopicScore()
    with_topic = asyncio.run(parse_all([item["text"] for item in data["with_topic"]]))
    for item, parse in zip(data["with_topic"], with_topic, strict=False):
        need, offered = outcome(parse)
        score.with_topic += 1
        score.kept += need == item["need"] and offered
    for parse in asyncio.run(parse_all(data["without_topic"])):
        need, _ = outcome(parse)
        score.without_topic += 1
        score.wrong_topic += need is not None
    return score


def report(score: TopicScore) -> str:
    return (
        f"Need and human together: {score.kept}/{score.with_topic} held-out messages keep the right need "
        f"and reach the human offer; {score.wrong_topic}/{score.without_topic} plain requests for a person "
        f"get a need they did not name."
    )
