"""Issue 27 §3: « vous rappellera » only to someone who gave a phone number, « vous écrira » with
an e-mail only; a postal code typed outside the questionnaire gives the nearest France Services."""

from __future__ import annotations

import yaml

from actions.answering import ActionShowDetail
from actions.booking import ActionAskCreneau
from actions.callback import ActionRequestCallback
from bot import paths
from bot.domain import france_services
from bot.rasa_extensions.patches.typed_answers import near_request
from tests.support.actions import CONSENTED, make_tracker, run


def said(message: dict) -> str:
    text = yaml.safe_load(paths.DOMAIN.read_text(encoding="utf-8"))["responses"][message["response"]][0]["text"]
    values = {k: v for k, v in message.items() if k not in ("response", "buttons", "text", "template")}
    return text.format(**values).replace("\u00a0", " ").replace("\u202f", " ").replace("\u2019", "'")


def test_no_free_slot_says_rappellera_with_a_phone_and_ecrira_with_an_email(store_url):
    by_phone, _ = run(ActionAskCreneau(), make_tracker(slots=CONSENTED))
    assert said(by_phone[0]) == (
        "Il n'y a pas de créneau libre pour le moment. Un médiateur vous rappellera plutôt, pour fixer un moment ensemble."
    )
    by_mail, _ = run(ActionAskCreneau(), make_tracker(slots={**CONSENTED, "contact_coordonnees": "marie@exemple.fr"}))
    assert "Un médiateur vous écrira plutôt" in said(by_mail[0]) and "rappellera" not in said(by_mail[0])


def test_a_call_back_request_with_an_email_only_promises_an_email(store_url):
    slots = {**CONSENTED, "contact_coordonnees": "marie@exemple.fr", "moment_rappel": "le matin", "echeance": "non_renseigne"}
    messages, _ = run(ActionRequestCallback(), make_tracker(slots=slots))
    assert said(messages[0]) == "C'est noté : un médiateur vous écrira à marie@exemple.fr, le matin. Merci de votre confiance."
    messages, _ = run(ActionRequestCallback(), make_tracker(slots={**slots, "contact_coordonnees": "+33612345678"}))
    assert said(messages[0]).startswith("C'est noté : un médiateur vous rappellera au 06 12 34 56 78, le matin.")


def test_a_postal_code_typed_outside_the_questionnaire_gives_the_nearest_france_services(store_url):
    parsed = near_request({"text": "je suis à Lyon 69003, où aller ?", "intent": {"name": "demarches_en_ligne"}, "entities": []})
    assert parsed["intent"]["name"] == "voir_detail"
    tracker = make_tracker("je suis à Lyon 69003, où aller ?", intent="voir_detail", entities=parsed["entities"])
    messages, _ = run(ActionShowDetail(), tracker)
    assert [m["response"] for m in messages] == ["utter_france_services_near", "utter_digital_question_welcome"]
    text = said(messages[0])
    nearest = france_services.nearest("69003")[0]
    assert f"• {nearest.name}, {nearest.address}, {nearest.postal_code} {nearest.city}" in text
    assert "Horaires : lundi de 9 h" in text and "mise à jour du 1er août 2024" in text
    untouched = {"text": "69003", "intent": {"name": "inform"}, "entities": []}
    assert near_request(untouched) is untouched


def test_a_business_of_ten_or_more_is_not_sent_to_france_services(store_url):
    where = [{"entity": "detail", "value": "contacts"}]
    slots = {"besoin": "demarches_en_ligne", "code_postal": "33000"}
    small, _ = run(ActionShowDetail(), make_tracker("", "voir_detail", entities=where, slots={**slots, "effectif": "3"}))
    assert "utter_france_services_near" in [m["response"] for m in small]
    large, _ = run(ActionShowDetail(), make_tracker("", "voir_detail", entities=where, slots={**slots, "effectif": "15"}))
    assert "utter_france_services_near" not in [m["response"] for m in large]
    text = said(large[0])
    assert text.startswith("Où vous adresser :\n• Chambre de commerce et d'industrie (CCI) : ")
    assert "France Services" not in text.split("Pour aller plus loin")[0]


def test_a_private_individual_is_sent_to_france_services_whatever_need_the_nlu_read(store_url):
    from actions.redirecting import ActionRedirectOutOfScope
    from bot.rasa_extensions.patches.typed_answers import private_person_request

    text = "Je suis un particulier et je n'arrive pas à déclarer mes impôts en ligne"
    parsed = private_person_request({"text": text, "intent": {"name": "demarches_en_ligne"}, "entities": []})
    assert parsed["intent"]["name"] == "out_of_scope"
    messages, _ = run(ActionRedirectOutOfScope(), make_tracker(text, "out_of_scope"))
    said_first = said(messages[0])
    assert said_first.splitlines()[1].startswith("• France Services : Donnez votre code postal")
    assert "impots.gouv.fr" not in said_first
    asking = {"text": "je suis un particulier, je veux parler à quelqu'un", "intent": {"name": "ask_human"}, "entities": []}
    assert private_person_request(asking) is asking
    business = {"text": "mes clients particuliers veulent payer en ligne", "intent": {"name": "nouveaux_services_digitaux"}}
    assert private_person_request(business) is business
