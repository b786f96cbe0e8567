"""« Réponse à la demande », sized for a chat: a short list of two or three kinds of solutions,
then one tap for the details of each (advantages, drawbacks, effort), a comparison, where to go,
or a person; then « Est-ce que cela répond à votre besoin ? » and a synthesis."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dossier import record
from bot.domain import advice, catalog, france_services, human_request, knowledge, maturity
from bot.domain.profile import NOT_GIVEN, role_of, size_bucket, skipped
from bot.language.textnorm import normalize
from bot.store.dossier_writes import RecordAnswer, RecordAnswered, RecordMissing, RecordOpened, RecordRedirect

# Needs for which an in-person France Services site is a useful local contact.
FRANCE_SERVICES_NEEDS = {"demarches_en_ligne", "utiliser_ordinateur", "naviguer_internet"}
# The `detail` values of the buttons besides a solution id (data/knowledge/).
COMPARE, WHERE, OBLIGATION = "comparer", "contacts", "obligation"


def _bullets(items) -> str:
    return " ; ".join(items)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def named_in(text: str, found: advice.Advice) -> list[str]:
    """The structures of the advice whose name the text says: the person was shown them."""
    return [s.id for s in found.structures if s.name in text]


def maturity_level(tracker: Tracker) -> int | None:
    value = tracker.get_slot("niveau_maturite")
    return int(value) if value else None


def _given(value: str | None) -> str | None:
    return value if value and value != NOT_GIVEN else None


def profile_of(tracker: Tracker) -> advice.Profile:
    """The person's profile from the questions they chose to answer (none is required)."""
    answers = {q["id"]: tracker.get_slot(f"q_{q['id']}") for q in maturity.questionnaire()["questions"]}
    skills_given = any(answers.get(q["id"]) for q in maturity.questionnaire()["questions"] if q["measures"] == "skills")
    nature_answer = answers.get("nature_besoin")
    effectif, role = _given(tracker.get_slot("effectif")), _given(tracker.get_slot("role"))
    return advice.Profile(
        size=size_bucket(effectif) if effectif else None,
        role=role_of(role) if role else None,
        sector=_given(tracker.get_slot("secteur")),
        maturity=maturity_level(tracker),
        skills=maturity.assess({k: v for k, v in answers.items() if v}).skill_level if skills_given else None,
        nature=tracker.get_slot("nature_besoin") if nature_answer in ("outil", "avenir") else None,
    )


def current_advice(tracker: Tracker) -> advice.Advice | None:
    need = catalog.need(tracker.get_slot("besoin") or "")
    return advice.advise(need.id, profile_of(tracker)) if need else None


def detail_buttons(found: advice.Advice, showing: str | None = None) -> list[dict]:
    """One button per solution (its title), the obligation, the comparison and where to go."""
    buttons = [
        {"title": f"{number}. {s.title}", "payload": f'/voir_detail{{"detail": "{s.id}"}}'}
        for number, s in enumerate(found.solutions, start=1)
        if s.id != showing
    ]
    if found.obligation is not None and showing != OBLIGATION:
        buttons.append({"title": found.obligation.title, "payload": f'/voir_detail{{"detail": "{OBLIGATION}"}}'})
    return buttons


def ask_answered(dispatcher: CollectingDispatcher, found: advice.Advice, showing: str | None = None) -> None:
    """The closing bubble of every answer turn: did it help, and one tap for everything else."""
    response = "utter_answer_next_strategique" if found.mediator_first else "utter_answer_next"
    dispatcher.utter_message(response=response, buttons=detail_buttons(found, showing))


class ActionPresentSolutions(Action):
    def name(self) -> str:
        return "action_present_solutions"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        found = current_advice(tracker)
        if found is None:
            dispatcher.utter_message(response="utter_choose_need")
            return []
        if found.mediator_first:
            response = "utter_answer_strategique_salarie" if found.ask_management else "utter_answer_strategique"
        else:
            response = "utter_answer_simple_first" if found.simplest_first else "utter_answer"
        obligation = f"{found.obligation.summary}\n" if found.obligation else ""
        pistes = "\n".join(
            f"{number}. {s.title} : {_lower_first(s.advantages[0])}." for number, s in enumerate(found.solutions, start=1)
        )
        dispatcher.utter_message(response=response, nombre=len(found.solutions), obligation=obligation, pistes=pistes)
        ask_answered(dispatcher, found)
        presented = [s.id for s in found.solutions]
        # the structures count as shown only when this message names them (« Où m'adresser ? » shows them)
        record(tracker.sender_id, RecordAnswer(found.need, found.nature, presented, named_in(obligation + pistes, found)))
        return [SlotSet("solutions_presentees", presented)]


class ActionShowDetail(Action):
    """One tap after the answer: a solution's details, the comparison, or where to go."""

    def name(self) -> str:
        return "action_show_detail"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        found = current_advice(tracker)
        wanted = next(tracker.get_latest_entity_values("detail"), None)
        typed_code = next(tracker.get_latest_entity_values("code_postal"), None)
        if found is None and wanted == WHERE and typed_code:  # « je suis à Lyon 69003, où aller ? »
            self.france_services_near(dispatcher, typed_code)
            return []
        if found is None:
            dispatcher.utter_message(response="utter_choose_need")
            return []
        chosen = next((s for s in found.solutions if s.id == wanted), None) or (
            knowledge.solution(found.need, wanted) if wanted else None
        )
        if chosen is not None:
            record(tracker.sender_id, RecordOpened(chosen.id))
            named = named_in(" ".join([chosen.description, *chosen.advantages, *chosen.drawbacks]), found)
            if named:
                record(tracker.sender_id, RecordRedirect(named))
            dispatcher.utter_message(
                response="utter_solution_detail",
                titre=chosen.title,
                description=chosen.description,
                avantages=_bullets(map(_lower_first, chosen.advantages)),
                inconvenients=_bullets(map(_lower_first, chosen.drawbacks)),
                effort=chosen.effort,
            )
        elif wanted == OBLIGATION and found.obligation is not None:
            dispatcher.utter_message(
                response="utter_obligation_detail", titre=found.obligation.title, details=found.obligation.details
            )
        elif wanted == COMPARE:
            dispatcher.utter_message(
                response="utter_compare",
                lignes="\n".join(
                    # in sentences, not « effort faible ; + gratuit ; – un identifiant » (issue 27)
                    f"{number}. {s.title} : demande un effort {s.effort}. Point fort : "
                    f"{_lower_first(s.advantages[0])}. Point faible : {_lower_first(s.drawbacks[0])}."
                    for number, s in enumerate(found.solutions, start=1)
                ),
            )
        else:
            self.where_to_go(dispatcher, tracker, found)
        ask_answered(dispatcher, found, showing=chosen.id if chosen else wanted)
        return []

    @staticmethod
    def where_to_go(dispatcher: CollectingDispatcher, tracker: Tracker, found: advice.Advice) -> None:
        entry = knowledge.entry(found.need)
        sites = []
        postal_code = next(tracker.get_latest_entity_values("code_postal"), None) or _given(tracker.get_slot("code_postal"))
        if found.need in FRANCE_SERVICES_NEEDS and postal_code and not found.larger_business:
            sites = france_services.nearest(postal_code)[:2]
        dispatcher.utter_message(
            response="utter_where_to_go",
            structures="\n".join(f"• {s.name} : {s.how}" for s in found.structures[:3]),
            ressources=_bullets(f"{r.name} ({r.url})" for r in entry.resources[:3]),
        )
        shown = [s.id for s in found.structures[:3]] + (["france_services"] if sites else [])
        record(tracker.sender_id, RecordRedirect(shown))
        if sites:
            dispatcher.utter_message(
                response="utter_france_services_near",
                credit=france_services.CREDIT,
                sites="\n".join(france_services.describe(s) for s in sites),
            )

    @staticmethod
    def france_services_near(dispatcher: CollectingDispatcher, postal_code: str) -> None:
        """The nearest France Services sites with their opening hours, asked outside the questionnaire."""
        sites = france_services.nearest(postal_code)[:2]
        if not sites:
            dispatcher.utter_message(response="utter_invalid_code_postal")
            return
        dispatcher.utter_message(
            response="utter_france_services_near",
            credit=france_services.CREDIT,
            sites="\n".join(france_services.describe(s) for s in sites),
        )
        dispatcher.utter_message(response="utter_digital_question_welcome")


class ActionAnswered(Action):
    """It helped: synthesise the exchange, give one awareness tip, ask for other questions."""

    def name(self) -> str:
        return "action_answered"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        need = catalog.need(tracker.get_slot("besoin") or "")
        record(tracker.sender_id, RecordAnswered(True))
        if need is None:
            dispatcher.utter_message(response="utter_anything_else")
            return []
        entry = knowledge.entry(need.id)
        titles = {s.id: s.title for s in entry.solutions}
        presented = [titles[i] for i in tracker.get_slot("solutions_presentees") or [] if i in titles]
        dispatcher.utter_message(
            response="utter_synthesis",
            besoin_phrase=need.phrase,
            solutions=_bullets(map(_lower_first, presented)) or "aucune",
        )
        dispatcher.utter_message(response="utter_tip", conseil=entry.tip)
        dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet("reponse_utile", True)]


# Answers to « Qu'est-ce qui vous manque ? » that say nothing is (or that they cannot tell)
NOTHING_MISSING = {
    "non", "non merci", "rien", "non rien", "rien de special", "rien de precis", "rien de particulier",
    "je sais pas", "sais pas", "aucune idee", "pas d idee", "je ne vois pas", "je vois pas", "c est tout",
}  # fmt: skip
MISSING_MAX_CHARS = 1000


def asks_for_a_person(tracker: Tracker) -> bool:
    """Whether the latest message, typed at a free-text question, asks for a person rather than answering."""
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    text = message.get("text") or ""
    return human_request.asks_for_a_person_in_form(text, intent.get("name"), float(intent.get("confidence") or 0.0), None)


class ActionAskManque(Action):
    """« Pas vraiment »: the answer did not help. Say so honestly (stored at once), then one optional
    question, « Qu'est-ce qui vous manque ? », whose answer the mediator reads in the synthesis."""

    def name(self) -> str:
        return "action_ask_manque"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        record(tracker.sender_id, RecordAnswered(False))
        dispatcher.utter_message(response="utter_sorry_not_answered")
        dispatcher.utter_message(response="utter_what_is_missing")
        return []


class ValidateMissingForm(FormValidationAction):
    """The answer in the person's words; « passer », « rien », « je ne sais pas » or a request for a
    person (honoured by action_not_answered) leave it unanswered."""

    def name(self) -> str:
        return "validate_missing_form"

    def validate_manque(self, value, dispatcher, tracker, domain) -> dict:
        if value is None:
            return {"manque": None}
        text = " ".join(str(value).split())[:MISSING_MAX_CHARS]
        nothing = normalize(text) in NOTHING_MISSING or skipped(text) or text.startswith("/")
        if nothing or not any(ch.isalnum() for ch in text) or asks_for_a_person(tracker):
            return {"manque": NOT_GIVEN}
        return {"manque": text}


class ActionNotAnswered(Action):
    """It did not help: keep what is missing, and offer a human (at once when the person asked for one)."""

    def name(self) -> str:
        return "action_not_answered"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        record(tracker.sender_id, RecordAnswered(False))
        missing = _given(tracker.get_slot("manque"))
        if missing:
            record(tracker.sender_id, RecordMissing(missing))
        events = [SlotSet("reponse_utile", False), SlotSet("manque", None)]
        if asks_for_a_person(tracker):  # « je voudrais parler à quelqu'un » typed at « Qu'est-ce qui vous manque ? »
            return [*events, FollowupAction("action_offer_human_options")]
        dispatcher.utter_message(response="utter_offer_human")
        return events
