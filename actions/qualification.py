"""« Qui est-il ? » and « évaluer son niveau de maîtrise et la maturité numérique de sa structure »:
a few quick questions, offered (never imposed), each one skippable.

The maturity questions, their answers and scoring live in data/maturity.yml; one
`action_ask_q_<question id>` per question is generated from that file below.
"""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dossier import record
from actions.form_validation import RetryingFormValidation
from bot import catalog, france_services, maturity
from bot.profile import NOT_GIVEN, profile_values, role_of, sector_of, size_bucket, skipped
from bot.textnorm import normalize

PROFILE_ORDER = ["entreprise", "secteur", "effectif", "role", "code_postal"]
DECLINING_INTENTS = ("deny", "dont_know")


def question_slot(question_id: str) -> str:
    return f"q_{question_id}"


def questionnaire_slots() -> list[str]:
    return [question_slot(q["id"]) for q in maturity.questionnaire()["questions"]]


def match_answer(question: dict, text: str) -> str | None:
    """The answer id for a button title, an answer id or typed words equal to a title."""
    typed = normalize(text)
    for answer in question["answers"]:
        if typed in (normalize(answer["title"]), normalize(answer["id"].replace("_", " "))):
            return answer["id"]
    if skipped(text):
        return next((a["id"] for a in question["answers"] if a["id"].startswith("ne_")), None)
    return None


class ValidateQualificationForm(RetryingFormValidation):
    def name(self) -> str:
        return "validate_qualification_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain):
        if tracker.get_slot("accord_questions") is False or tracker.get_slot("niveau_maturite"):
            return []  # declined, or already answered earlier in the conversation
        wanted = ["accord_questions", *PROFILE_ORDER, *questionnaire_slots()]
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
        said_yes = tracker.get_intent_of_latest_message() == "affirm" and len(name.split()) <= 3
        if not any(ch.isalnum() for ch in name) or name.startswith("/") or said_yes:  # « oui » is not a name
            return self.retry_or_move_on(tracker, dispatcher, "entreprise", "utter_invalid_entreprise")
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
        bucket = size_bucket(str(value))
        if bucket is None:
            return self.retry_or_move_on(tracker, dispatcher, "effectif", "utter_invalid_choice")
        return {"effectif": bucket, "echecs_validation": 0}

    def validate_role(self, value, dispatcher, tracker, domain) -> dict:
        if value is None:
            return {"role": None}
        role = role_of(str(value))
        if role is None:
            return self.retry_or_move_on(tracker, dispatcher, "role", "utter_invalid_choice")
        return {"role": role, "echecs_validation": 0}

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


def _question_validator(question: dict):
    slot = question_slot(question["id"])

    def validate(self, value, dispatcher, tracker, domain) -> dict:
        if value is None:
            return {slot: None}
        answer = match_answer(question, str(value))
        if answer is None:
            return self.retry_or_move_on(tracker, dispatcher, slot, "utter_invalid_choice")
        return {slot: answer, "echecs_validation": 0}

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


class ActionAssessMaturity(Action):
    """Score the answers, say the result in plain words, store it with the profile."""

    def name(self) -> str:
        return "action_assess_maturity"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        if tracker.get_slot("niveau_maturite") or tracker.get_slot("accord_questions") is not True:
            return []
        answers = {q["id"]: tracker.get_slot(question_slot(q["id"])) for q in maturity.questionnaire()["questions"]}
        result = maturity.assess({k: v for k, v in answers.items() if v})
        level = next(lvl for lvl in maturity.questionnaire()["levels"]["structure"] if lvl["level"] == result.structure_level)
        dispatcher.utter_message(
            response="utter_maturity_result",
            niveau=result.structure_name,
            description=level["description"],
            competences=result.skill_name,
            pix=result.pix_advice,
        )
        profile = profile_values(tracker.current_slot_values())
        record(tracker.sender_id,
               ("record_assessment", [result.structure_level, result.skill_level, result.nature, profile]))
        return [SlotSet("niveau_maturite", str(result.structure_level)), SlotSet("nature_besoin", result.nature)]
