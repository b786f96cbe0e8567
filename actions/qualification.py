"""« Qui est-il ? » and « évaluer son niveau de maîtrise et la maturité numérique de sa structure »:
a few quick questions, offered (never imposed), each one skippable.

The maturity questions, their answers and scoring live in data/maturity.yml; then the business's
situation (data/situation.yml: legal form, accountant, VAT, equipment, online spaces), only the
questions the conversation's need (slot `besoin`) calls for. One `action_ask_q_<question id>` and one
validator per question are generated from those files below.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dossier import record
from actions.form_validation import RetryingFormValidation
from bot.domain import catalog, france_services, maturity, options, situation
from bot.domain.profile import NOT_GIVEN, profile_values, role_of, sector_exactly, sector_of, size_bucket, skipped
from bot.language.textnorm import normalize
from bot.store.dossier_writes import RecordAssessment

PROFILE_ORDER = ["entreprise", "secteur", "effectif", "role", "code_postal"]
DECLINING_INTENTS = ("deny", "dont_know")


def question_slot(question_id: str) -> str:
    return f"q_{question_id}"


def questionnaire_slots() -> list[str]:
    return [question_slot(q["id"]) for q in maturity.questionnaire()["questions"]]


def situation_slots(need: str | None) -> list[str]:
    """The situation questions the need calls for (none without a need)."""
    return [question_slot(q["id"]) for q in situation.for_need(need)]


def match_answer(question: dict, text: str, when_skipped: str | None = None) -> str | None:
    """The answer id for a button title, an answer id or typed words close to an answer; for « passer »,
    « je préfère ne pas répondre »…, `when_skipped`, or else the question's first « ne_… » answer."""
    typed = normalize(text)
    for answer in question["answers"]:
        if typed == normalize(answer["id"].replace("_", " ")):
            return answer["id"]
    found = options.understand(question_slot(question["id"]), text).option
    if found is not None:
        return found.key
    if skipped(text):
        return when_skipped or next((a["id"] for a in question["answers"] if a["id"].startswith("ne_")), None)
    return None


def says_yes(text: str) -> bool:
    """« oui », « ok », « ça me va »: a yes typed where a name was asked (« Au bon pain » is a name)."""
    typed = normalize(text)
    return any(typed == normalize(word) for word in options.synonyms("utter_ask_accord_questions", "/affirm"))


class ValidateQualificationForm(RetryingFormValidation):
    def name(self) -> str:
        return "validate_qualification_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain):
        if tracker.get_slot("accord_questions") is False or tracker.get_slot("niveau_maturite"):
            return []  # declined, or already answered earlier in the conversation
        wanted = ["accord_questions", *PROFILE_ORDER, *questionnaire_slots(), *situation_slots(tracker.get_slot("besoin"))]
        # profile answers already known (e.g. the postal code in the first message) are not asked
        # again; the slot being asked stays in the list so that its answer gets validated
        requested = tracker.get_slot("requested_slot")
        return [s for s in wanted if not (s in PROFILE_ORDER and tracker.get_slot(s) and s != requested)]

    def validate_accord_questions(self, value, dispatcher, tracker, domain) -> dict:
        return {"accord_questions": value if isinstance(value, bool) else None}

    def validate_entreprise(self, value, dispatcher, tracker, domain) -> dict:
        if value is None:
            return {"entreprise": None}
        name = " ".join(str(value).split())[:120]
        if skipped(name) or tracker.get_intent_of_latest_message() in DECLINING_INTENTS:
            return {"entreprise": NOT_GIVEN}
        if not any(ch.isalnum() for ch in name) or name.startswith("/") or says_yes(name):  # « oui » is not a name
            return self.retry_or_move_on(tracker, dispatcher, "entreprise", "utter_invalid_entreprise")
        trade = trade_only(name)
        if trade is not None:  # « je suis plombier »: a trade, not a name; keep it as the trade
            return {"entreprise": NOT_GIVEN, "secteur": trade, "echecs_validation": 0}
        return {"entreprise": name, "echecs_validation": 0}

    def validate_secteur(self, value, dispatcher, tracker, domain) -> dict:
        if value is None:
            return {"secteur": None}
        sector = str(value) if str(value) in catalog.sectors() else sector_of(str(value))
        if sector is None:
            return self.retry_or_move_on(tracker, dispatcher, "secteur", "utter_invalid_secteur")
        return {"secteur": sector, "echecs_validation": 0}

    def validate_effectif(self, value, dispatcher, tracker, domain) -> dict:
        if value is None:
            return {"effectif": None}
        return self.choose(
            tracker, dispatcher, "effectif", "utter_ask_effectif", str(value), value=lambda option: size_bucket(option.key)
        )

    def validate_role(self, value, dispatcher, tracker, domain) -> dict:
        if value is None:
            return {"role": None}
        return self.choose(tracker, dispatcher, "role", "utter_ask_role", str(value), value=lambda option: role_of(option.key))

    def validate_code_postal(self, value, dispatcher, tracker, domain) -> dict:
        if value is None:
            return {"code_postal": None}
        text = str(value)
        if skipped(text):
            return {"code_postal": NOT_GIVEN}
        found = re.search(r"\b\d{5}\b", text)
        if found and france_services.is_postal_code(found.group(0)):
            return {"code_postal": found.group(0), "echecs_validation": 0}
        return self.retry_or_move_on(tracker, dispatcher, "code_postal", "utter_invalid_code_postal")


def trade_only(text: str) -> str | None:
    """The sector when the text is only a trade (« plombier », « je suis coiffeuse »), else None."""
    words = normalize(text).split()
    while words and words[0] in ("je", "j", "suis", "on", "est", "nous", "sommes", "une", "un", "dans", "la", "le"):
        words = words[1:]
    if not words or len(words) > 2:
        return None
    return sector_exactly(" ".join(words))


def _question_validator(question: dict, when_skipped: str | None = None):
    slot = question_slot(question["id"])

    def validate(self, value, dispatcher, tracker, domain) -> dict:
        if value is None:
            return {slot: None}
        answer = match_answer(question, str(value), when_skipped)
        if answer is not None:
            return {slot: answer, "echecs_validation": 0}
        return self.choose(tracker, dispatcher, slot, slot, str(value))

    return validate


def _question_asker(question: dict) -> type:
    class AskQuestion(Action):
        def name(self) -> str:
            return f"action_ask_{question_slot(question['id'])}"

        def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
            dispatcher.utter_message(
                text=question["text"],
                buttons=[{"title": a["title"], "payload": a["title"]} for a in question["answers"]],
            )
            return []

    AskQuestion.__name__ = f"AskQ_{question['id']}"
    return AskQuestion


for _question in maturity.questionnaire()["questions"]:
    setattr(ValidateQualificationForm, f"validate_{question_slot(_question['id'])}", _question_validator(_question))
    globals()[f"AskQ_{_question['id']}"] = _question_asker(_question)
for _question in situation.questions():  # « passer » leaves a situation question unanswered, not « je ne sais pas »
    setattr(ValidateQualificationForm, f"validate_{question_slot(_question['id'])}", _question_validator(_question, NOT_GIVEN))
    globals()[f"AskQ_{_question['id']}"] = _question_asker(_question)


class ActionAssessMaturity(Action):
    """Score the answers, say the result in plain words, store it with the profile."""

    def name(self) -> str:
        return "action_assess_maturity"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        if tracker.get_slot("niveau_maturite") or tracker.get_slot("accord_questions") is not True:
            return []
        chosen = {q["id"]: tracker.get_slot(question_slot(q["id"])) for q in maturity.questionnaire()["questions"]}
        result = maturity.assess({k: v for k, v in chosen.items() if v})
        level = next(lvl for lvl in maturity.questionnaire()["levels"]["structure"] if lvl["level"] == result.structure_level)
        dispatcher.utter_message(
            response="utter_maturity_result",
            niveau=result.structure_name,
            description=level["description"],
            competences=result.skill_name,
            pix=result.pix_advice,
        )
        profile = profile_values(tracker.current_slot_values())
        # the situation questions this need called for join them; those it did not call for stay out
        chosen |= {q["id"]: tracker.get_slot(question_slot(q["id"])) for q in situation.for_need(tracker.get_slot("besoin"))}
        answers = {k: (v if v and v != NOT_GIVEN else None) for k, v in chosen.items()}  # as given, None: skipped
        record(tracker.sender_id, RecordAssessment(result.structure_level, result.skill_level, result.nature, profile, answers))
        return [SlotSet("niveau_maturite", str(result.structure_level)), SlotSet("nature_besoin", result.nature)]
