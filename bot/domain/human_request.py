"""What a message that asks for a person says besides: the need it names (« un rdv pour la facture
électronique »), or whether a message about a need also asks for a person.

Pure functions of the NLU's parse, shared by the actions (actions/handover_menu.py,
actions/listening.py) and by the evaluation of these readings (bot/evaluation/human_topic.py).
"""

from __future__ import annotations

from bot.domain import catalog, options
from bot.domain.profile import skipped

TOPIC_MIN_CONFIDENCE = 0.02  # the best need ranked after ask_human, this high, is the topic (docs/conversation.md)
ASK_HUMAN_RANKED = 0.2  # ask_human this high in the NLU's ranking of a need message: a person is asked for too


def topic_in_ranking(intent: str | None, ranking: list[dict], parse: dict | None = None) -> tuple[str, float] | None:
    """(need, confidence) that an `ask_human` message names: the second reading of what it says besides
    the request (bot/rasa_extensions/patches/typed_answers.py), else the best-ranked need if confident enough."""
    if intent != "ask_human":
        return None
    if parse is not None and "topic" in parse:
        topic = parse["topic"]
        return (topic["name"], topic["confidence"]) if topic else None
    for ranked in ranking:
        need = catalog.need(ranked.get("name") or "")
        if need is not None:
            confidence = float(ranked.get("confidence") or 0.0)
            return (need.id, round(confidence, 3)) if confidence >= TOPIC_MIN_CONFIDENCE else None
    return None


def asks_for_a_person_in(text: str, ranking: list[dict]) -> bool:
    """A message about a need that also asks for a person: in so many words, or by the NLU's ranking."""
    ranked = {r.get("name"): float(r.get("confidence") or 0) for r in ranking}
    return options.asks_for_a_person(text) or ranked.get("ask_human", 0.0) >= ASK_HUMAN_RANKED


# Forms a request for a person leaves (paused: « Reprendre les questions » is offered with the
# handover choice). The appointment and call-back forms are the handover itself: a « rappelez-moi
# demain » there is their answer.
PAUSABLE_FORMS = ("qualification_form", "satisfaction_form")
ASK_HUMAN_IN_FORM = 0.5  # the NLU's ask_human this sure, inside a form, and the text answers nothing asked
ASK_HUMAN_FREE_TEXT = 0.9  # … where the question has no options (a name, a postal code, a date)


def asks_for_a_person_in_form(text: str, intent: str | None, confidence: float, question: str | None) -> bool:
    """Whether a message typed inside a form (the questionnaire, the leave-taking questions) asks for a
    person rather than answering `question` (an options question of data/answers.yml, or None for a
    free text): « finalement j'aimerais mieux parler à quelqu'un ».

    Words that ask for a person (data/answers.yml `requests_for_a_person`) win over a loose match
    to an option (« non je préfère qu'on me rappelle » is not the « non » of « puis-je vous poser des
    questions ? »), but not over the option itself; the NLU's reading alone wins only where the text
    matches no option (« je demande à quelqu'un » answers « comment faites-vous ? »)."""
    if not text.strip() or text.startswith("/"):
        return False
    if question is not None and question in options.questions():
        if options.is_an_option_word_for_word(question, text):
            return False
        if options.asks_for_a_person(text):
            return True
        sure = intent == "ask_human" and confidence >= ASK_HUMAN_IN_FORM and not skipped(text)
        return sure and options.understand(question, text).option is None
    if options.asks_for_a_person(text):
        return True
    # a free-text question (a name, a postal code, a date): the NLU alone must be sure, and « je
    # préfère pas » / « passer » is the right not to answer, never a request for a person
    return intent == "ask_human" and confidence >= ASK_HUMAN_FREE_TEXT and not skipped(text)


def question_of_slot(slot: str | None) -> str | None:
    """The question (data/answers.yml) asking for a form's slot: « q_aisance », « utter_ask_effectif »."""
    if not slot:
        return None
    return slot if slot.startswith("q_") else f"utter_ask_{slot}"
