"""Read a typed answer in the light of the question just asked (the buttons the person saw).

The NLU reads each message alone: « rappelez-moi » is `ask_human` whatever was asked, « ça me
va » may be nothing at all. When the assistant's last message was a question whose buttons
carry an intent (`/affirm`, `/ask_human{"mode_contact": "rappel"}`…), the typed text is matched
to those buttons (bot/language/answers.py, synonyms in data/answers.yml) and, when one button is
clearly meant, the message is understood as that button: its intent and entities. A message that
says something else (a need, a request for a person, with more words) keeps the NLU's reading.

Installed by our channels (like the other patches there) around Rasa 3.6's
`MessageProcessor.parse_message`, which receives the conversation's tracker. To re-check on a
Rasa upgrade: `parse_message(message, tracker, only_output_properties)` still gets the tracker
from `_handle_message_with_tracker`, and `BotUttered.metadata["utter_action"]` still names the response.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered, UserUttered

from bot.domain import catalog, france_services, human_request, options, topics
from bot.language import answers
from bot.language.textnorm import normalize

logger = logging.getLogger(__name__)
PAYLOAD = re.compile(r"^/([\w-]+)(\{.*\})?$", re.DOTALL)
# NLU readings that say nothing more than a short answer could: the question's context decides.
GENERIC_INTENTS = {
    "affirm",
    "deny",
    "thank",
    "greet",
    "goodbye",
    "dont_know",
    "nlu_fallback",
    "out_of_scope",
    "skip",
    "bot_challenge",
    "inform",
}
# A longer message with a reading of its own (a need, a person) keeps it unless it is one of the
# option's phrases nearly word for word.
SURE = 95.0
MAX_WORDS_OVERRIDING = 6
# Inside a form, an answer of up to 8 words to a yes/no question that starts with yes or no is that answer,
# whatever else it names (« oui envoyez-le moi par mail » is not a question about e-mail).
YES_NO_MAX_WORDS = 8
YES_FIRST_WORDS = {"oui", "ouais", "ok", "okay", "volontiers"}
NO_FIRST_WORDS = {"non", "nan"}


def last_question(events: list) -> dict | None:
    """The assistant's last message before this one, if it offered buttons with intent payloads."""
    for event in reversed(events):
        if isinstance(event, UserUttered):
            return None
        if isinstance(event, BotUttered):
            buttons = (event.data or {}).get("buttons") or []
            if buttons and all(PAYLOAD.match(str(b.get("payload", ""))) for b in buttons):
                return {"question": (event.metadata or {}).get("utter_action") or "", "buttons": buttons}
            return None
    return None


def reinterpret(parse_data: dict[str, Any], question: dict | None, in_form: bool = False) -> dict[str, Any]:
    """`parse_data` with the intent and entities of the button the typed text means, if any.

    `in_form`: the question was asked by an active form (then a short « oui … » / « non … » to a
    yes/no question is its answer)."""
    text = (parse_data.get("text") or "").strip()
    if question is None or not text or text.startswith("/"):
        return parse_data
    if question["question"] == WHICH_NEED:
        return which_need(parse_data, question["buttons"])
    if question["question"] not in {*options.questions(), "utter_which_one"}:
        return parse_data  # menus of needs: the NLU reads need names better than a matcher
    choices = options.for_buttons(question["question"], question["buttons"])
    result = answers.match(choices, text, positional=True)
    nlu_intent = (parse_data.get("intent") or {}).get("name")
    words = len(text.split())
    said_first = yes_or_no_said_first(choices, text) if in_form and words <= YES_NO_MAX_WORDS else None
    if said_first is not None:
        result = answers.Result(said_first, [said_first], 100.0)
    if result.ambiguous and (nlu_intent in GENERIC_INTENTS or words <= MAX_WORDS_OVERRIDING):
        # two buttons equally close (« votre numéro de téléphone »: a call back or the number?):
        # ask which one with those buttons (action_not_understood), the message then forgotten
        return {
            **parse_data,
            "intent": {"name": "nlu_fallback", "confidence": 1.0},
            "which_one": [b for b in question["buttons"] if b["payload"] in {o.key for o in result.candidates}],
        }
    if result.option is None:
        return parse_data
    intent, entities = _payload(result.option.key)
    if (
        nlu_intent not in GENERIC_INTENTS | {intent}
        and not (result.score >= SURE and words <= MAX_WORDS_OVERRIDING)
        and said_first is None
    ):
        return parse_data
    logger.debug("typed answer %r read as %s (score %.0f, NLU said %s)", text, result.option.key, result.score, nlu_intent)
    kept = [e for e in parse_data.get("entities") or [] if e.get("entity") not in entities]
    return {
        **parse_data,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": kept + [{"entity": k, "value": v, "extractor": "typed_answer"} for k, v in entities.items()],
        "typed_answer": {
            "question": question["question"],
            "option": result.option.title,
            "score": round(result.score, 1),
            "nlu_intent": nlu_intent,
        },
    }


# « Votre demande porte plutôt sur A ou plutôt sur B ? » (actions/listening.py): its buttons are
# the two needs and « Autre chose », made at run time.
WHICH_NEED = "utter_which_need"


def which_need(parse_data: dict[str, Any], buttons: list[dict]) -> dict[str, Any]:
    """A typed answer to « plutôt A ou plutôt B ? »: a position or a button's words (« le premier »,
    « la démarche en ligne »), else the one of the two needs the NLU reads in it (« plutôt la
    facture »); a « non » (« aucun des deux ») is « Autre chose ». A request for a person, or another
    need, keeps the NLU's reading."""
    text = (parse_data.get("text") or "").strip()
    if (parse_data.get("intent") or {}).get("name") == "ask_human" or options.asks_for_a_person(text):
        return parse_data
    choices = [answers.Option(b["payload"], b["title"]) for b in buttons]
    result = answers.match(choices, text, positional=True)
    chosen = result.option or (None if result.ambiguous else answers.named_by_words(choices, text))
    intent = (parse_data.get("intent") or {}).get("name")
    if chosen is None and not result.ambiguous:
        offered = {b["payload"].lstrip("/"): b for b in buttons}
        readings = [r.get("name") for r in parse_data.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
        reading = readings[0] if readings else intent
        if reading in offered and catalog.need(reading) is not None:
            chosen = next(o for o in choices if o.key == f"/{reading}")
        elif intent == "deny":
            chosen = choices[-1]  # « Autre chose »
    if chosen is None:
        return parse_data
    name, entities = _payload(chosen.key)
    logger.debug("typed answer %r read as %s (NLU said %s)", text, chosen.key, intent)
    return {
        **parse_data,
        "intent": {"name": name, "confidence": 1.0},
        "typed_answer": {"question": WHICH_NEED, "option": chosen.title, "score": round(result.score, 1), "nlu_intent": intent},
    }


def yes_or_no_said_first(choices: list[answers.Option], text: str) -> answers.Option | None:
    """The « yes » or « no » button of a yes/no question when the answer starts with one
    (« oui envoyez-le à la même adresse », « non merci j'ai noté »), else None."""
    first = (normalize(text).split() or [""])[0]
    wanted = "/affirm" if first in YES_FIRST_WORDS else "/deny" if first in NO_FIRST_WORDS else None
    keys = {o.key for o in choices}
    if wanted is None or not {"/affirm", "/deny"} <= keys:
        return None
    return next(o for o in choices if o.key == wanted)


def person_request_in_form(parse_data: dict[str, Any], form: str | None, requested_slot: str | None) -> dict[str, Any]:
    """Inside the questionnaire or the leave-taking questions, a message that asks for a person
    rather than answering (« finalement j'aimerais mieux parler à quelqu'un ») is read as `ask_human`:
    the form's free-text slots do not take it (`not_intent: ask_human`, domain.yml), the form is
    rejected, and the rule for `ask_human` offers the handover (actions/handover_menu.py leaves the
    form). An answer the NLU took for a request for a person (« je demande à quelqu'un » to « comment
    faites-vous ? ») is read as an answer (`inform`)."""
    text = (parse_data.get("text") or "").strip()
    if form not in human_request.PAUSABLE_FORMS or not requested_slot or text.startswith("/"):
        return parse_data
    intent = parse_data.get("intent") or {}
    name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
    if human_request.asks_for_a_person_in_form(text, name, confidence, human_request.question_of_slot(requested_slot)):
        if name != "ask_human":
            logger.debug("a request for a person inside %s (NLU said %s)", form, name)
        return {**parse_data, "intent": {"name": "ask_human", "confidence": 1.0}, "person_request": {"nlu_intent": name}}
    if name == "ask_human":
        return {**parse_data, "intent": {"name": "inform", "confidence": 1.0}}
    return parse_data


# Readings a message that asks for a person in so many words never keeps (« Bonjour, merci de me
# rappeler » read as a greeting would lose the request); out_of_scope keeps its own referral.
LOSES_A_PERSON_REQUEST = {"greet", "thank", "goodbye", "dont_know", "nlu_fallback", "bot_challenge", "skip"}


def person_request_anywhere(parse_data: dict[str, Any]) -> dict[str, Any]:
    """A message with words asking for a person (data/answers.yml `requests_for_a_person`) that the
    NLU read as a greeting, a thank-you or not understood is read as `ask_human` — unless it was
    read as the answer to the question just asked (a button it means)."""
    text = (parse_data.get("text") or "").strip()
    name = (parse_data.get("intent") or {}).get("name")
    if name not in LOSES_A_PERSON_REQUEST or "typed_answer" in parse_data or "which_one" in parse_data:
        return parse_data
    if text.startswith("/") or not options.asks_for_a_person(text):
        return parse_data
    return {**parse_data, "intent": {"name": "ask_human", "confidence": 1.0}, "person_request": {"nlu_intent": name}}


def _payload(payload: str) -> tuple[str, dict]:
    found = PAYLOAD.match(payload)
    entities = json.loads(found.group(2)) if found.group(2) else {}
    return found.group(1), entities


# The need read in what a request for a person says besides asking for one, this sure at least.
# Measured on tests/human_topic_test.yml: what is left of a plain request is empty, so it is never read.
TOPIC_MIN_CONFIDENCE = 0.35


async def topic_of_request(self, parse_data: dict[str, Any]) -> dict[str, Any] | None:
    """The need that a request for a person names (« un rdv pour la facture électronique »), read by
    the NLU in the words left once the request itself is taken out; None when it names none (« rdv »).

    The NLU's ranking of the whole message is not enough: « ask_human » takes nearly all the
    confidence, and « rdv » alone ranks « prise de rendez-vous en ligne » (a need) second."""
    rest = options.topic_words(parse_data.get("text") or "")
    if not rest:
        return None
    reread = await _original(self, UserMessage(rest), None, True)
    intent = reread.get("intent") or {}
    confidence = float(intent.get("confidence") or 0.0)
    if catalog.need(intent.get("name") or "") is None or confidence < TOPIC_MIN_CONFIDENCE:
        return None
    return {"name": intent["name"], "confidence": round(confidence, 3), "text": rest}


def near_request(parse_data: dict[str, Any]) -> dict[str, Any]:
    """« je suis à Lyon 69003, où aller ? » outside a form: the « where to go » button with that
    postal code (the nearest France Services sites), whatever need or topic the NLU read in it.
    A regex on the text, not a trained intent: the sentence shapes are few, and the NLU keeps its data."""
    text = parse_data.get("text") or ""
    code = None if text.startswith("/") else france_services.asked_near(text)
    if code is None:
        return parse_data
    kept = [e for e in parse_data.get("entities") or [] if e.get("entity") not in ("detail", "code_postal")]
    return {
        **parse_data,
        "intent": {"name": "voir_detail", "confidence": 1.0},
        "entities": kept
        + [
            {"entity": "detail", "value": "contacts", "extractor": "near_request"},
            {"entity": "code_postal", "value": code, "extractor": "near_request"},
        ],
    }


def private_person_request(parse_data: dict[str, Any]) -> dict[str, Any]:
    """« je suis un particulier… » outside a form: this service is for businesses, so the message is
    out of scope and the redirection names France Services (bot/domain/topics.py), whatever need
    the NLU read in it; a request for a person keeps its reading."""
    text = parse_data.get("text") or ""
    intent = (parse_data.get("intent") or {}).get("name")
    if text.startswith("/") or intent == "ask_human" or not topics.private_person(text):
        return parse_data
    return {**parse_data, "intent": {"name": "out_of_scope", "confidence": 1.0}, "private_person": {"nlu_intent": intent}}


_original = MessageProcessor.parse_message


async def _parse_message(self, message, tracker=None, only_output_properties: bool = True):
    parse_data = await _original(self, message, tracker, only_output_properties)
    try:
        if tracker is not None:
            parse_data = reinterpret(parse_data, last_question(list(tracker.events)), in_form=bool(tracker.active_loop_name))
            parse_data = person_request_in_form(parse_data, tracker.active_loop_name, tracker.get_slot("requested_slot"))
        parse_data = person_request_anywhere(parse_data)
        if tracker is not None and not tracker.active_loop_name:
            parse_data = near_request(private_person_request(parse_data))
        if (parse_data.get("intent") or {}).get("name") == "ask_human" and not str(message.text).startswith("/"):
            parse_data = {**parse_data, "topic": await topic_of_request(self, parse_data)}
    except Exception:  # never lose a message over this: the NLU's reading stands
        logger.exception("typed answer not matched")
    return parse_data


def install() -> None:
    """Idempotent."""
    if MessageProcessor.parse_message is not _parse_message:
        MessageProcessor.parse_message = _parse_message
