"""Parse texts with a trained Rasa model, in-process, timing each parse."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Parse:
    text: str
    intent: str  # what the assistant acts on (may be nlu_fallback)
    classifier_intent: str  # the classifier's best guess, fallback ignored
    confidence: float
    seconds: float


def quiet_rasa() -> None:
    """Rasa logs every parse at debug level by default; keep evaluation output readable."""
    import logging

    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)


def parse_all(model: Path, texts: list[str]) -> list[Parse]:
    from rasa.core.agent import Agent

    quiet_rasa()
    agent = Agent.load(str(model))

    async def run() -> list[Parse]:
        results = []
        await agent.parse_message("bonjour")  # warm-up, not timed
        for text in texts:
            start = time.perf_counter()
            parsed = await agent.parse_message(text)
            elapsed = time.perf_counter() - start
            ranking = [r for r in parsed.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
            best = ranking[0] if ranking else parsed["intent"]
            results.append(Parse(text, parsed["intent"]["name"], best["name"], float(best["confidence"]), elapsed))
        return results

    return asyncio.run(run())
