"""« Réponse à la demande »: several kinds of solutions with pros and cons, public resources,
the right structures to turn to; then « Est-ce que cela répond à votre besoin ? » and a synthesis."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dossier import record
from bot import catalog, france_services, knowledge, referrals

# Needs for which an in-person France Services site is a useful local contact.
FRANCE_SERVICES_NEEDS = {"demarches_en_ligne", "utiliser_ordinateur", "naviguer_internet"}


def _bullets(items) -> str:
    return " ; ".join(items)


def maturity_level(tracker: Tracker) -> int | None:
    value = tracker.get_slot("niveau_maturite")
    return int(value) if value else None


class ActionPresentSolutions(Action):
    def name(self) -> str:
        return "action_present_solutions"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        need = catalog.need(tracker.get_slot("besoin") or "")
        if need is None:
            dispatcher.utter_message(response="utter_choose_need")
            return []
        entry = knowledge.entry(need.id)
        solutions = knowledge.solutions_for(need.id, maturity_level(tracker))
        dispatcher.utter_message(response="utter_solutions_intro", nombre=len(solutions))
        for solution in solutions:
            dispatcher.utter_message(
                response="utter_solution",
                titre=solution.title,
                description=solution.description,
                avantages=_bullets(solution.advantages),
                inconvenients=_bullets(solution.drawbacks),
            )
        dispatcher.utter_message(
            response="utter_resources",
            ressources=_bullets(f"{r.name} ({r.what.rstrip('.')}) : {r.url}" for r in entry.resources),
        )
        structures = referrals.for_need(need.id, tracker.get_slot("secteur"))[:3]
        if structures:
            dispatcher.utter_message(
                response="utter_structures",
                structures=_bullets(f"{s.name} : {s.why} {s.how}" for s in structures),
            )
        postal_code = tracker.get_slot("code_postal")
        if need.id in FRANCE_SERVICES_NEEDS and postal_code:
            sites = france_services.nearest(postal_code)
            if sites:
                dispatcher.utter_message(
                    response="utter_france_services",
                    sites=_bullets(f"{s.name}, {s.address}, {s.postal_code} {s.city}, {s.phone}" for s in sites),
                    credit=france_services.CREDIT,
                )
        nature = tracker.get_slot("nature_besoin") or entry.nature
        if nature == "strategique":  # a strategic need: a person is often the best help
            dispatcher.utter_message(response="utter_strategic_offer")
        dispatcher.utter_message(response="utter_ask_answered")
        presented = [s.id for s in solutions]
        redirect = [s.id for s in structures]
        record(tracker.sender_id, ("record_answer", [need.id, entry.nature, presented, redirect]))
        return [SlotSet("solutions_presentees", presented)]


class ActionAnswered(Action):
    """It helped: synthesise the exchange, give one awareness tip, ask for other questions."""

    def name(self) -> str:
        return "action_answered"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        need = catalog.need(tracker.get_slot("besoin") or "")
        record(tracker.sender_id, ("record_answered", [True]))
        if need is None:
            dispatcher.utter_message(response="utter_anything_else")
            return []
        entry = knowledge.entry(need.id)
        titles = {s.id: s.title for s in entry.solutions}
        presented = [titles[i] for i in tracker.get_slot("solutions_presentees") or [] if i in titles]
        dispatcher.utter_message(
            response="utter_synthesis",
            besoin_phrase=need.phrase,
            solutions=_bullets(presented) or "aucune",
        )
        dispatcher.utter_message(response="utter_tip", conseil=entry.tip)
        dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet("reponse_utile", True)]


class ActionNotAnswered(Action):
    """It did not help: say so honestly and offer a human."""

    def name(self) -> str:
        return "action_not_answered"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        record(tracker.sender_id, ("record_answered", [False]))
        dispatcher.utter_message(response="utter_sorry_not_answered")
        dispatcher.utter_message(response="utter_offer_human")
        return [SlotSet("reponse_utile", False)]
