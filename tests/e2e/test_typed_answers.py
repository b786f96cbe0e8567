"""Typed answers to questions with options: the synonyms data, the held-out test set and its
score, the contextual reading of a typed answer, dates and moments in French words, slots."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
import yaml

from bot import paths
from bot.domain import maturity, options
from bot.evaluation import typed_answers
from bot.language import answers, dates
from bot.language.textnorm import normalize

# Set just under what `make eval` measures (docs/conversation.md), so that a regression fails.
MIN_ACCURACY = 0.95  # measured 0.964 on 499 held-out answers on 2026-12-01 (issue 15 asks for 95 %)


def test_every_question_and_option_of_the_synonyms_exists():
    from actions.handover_menu import RESUME_BUTTON

    added_by_actions = {"utter_human_options": {RESUME_BUTTON["payload"]}}  # offered only after a paused form
    for question, by_option in options.answers_data()["questions"].items():
        keys = {o.key for o in options.for_question(question)}  # KeyError for an unknown question
        keys |= added_by_actions.get(question, set())
        assert set(by_option) <= keys, (question, set(by_option) - keys)


def test_every_maturity_question_and_every_domain_question_with_options_has_synonyms():
    known = set(options.questions())
    assert {f"q_{q['id']}" for q in maturity.questionnaire()["questions"]} <= known
    asked_with_buttons = {
        "utter_reformulate_need",
        "utter_offer_human",
        "utter_answer_next",
        "utter_human_options",
        "utter_anything_else",
        "utter_ask_accord_questions",
        "utter_ask_consentement",
        "utter_ask_suivi",
        "utter_ask_echeance_confirmee",
        "utter_ask_effectif",
        "utter_ask_role",
        "utter_ask_moment_rappel",
        "utter_ask_satisfaction",
    }
    assert asked_with_buttons <= known


def test_a_synonym_belongs_to_one_option_of_a_question():
    for question in options.questions():
        forms = Counter(f for o in options.for_question(question) for f in {normalize(s) for s in (o.title, *o.synonyms)})
        assert [f for f, n in forms.items() if n > 1] == [], question


def test_the_test_set_is_big_enough_and_copies_no_synonym():
    held_out = typed_answers.test_answers()
    assert len(held_out) >= 300
    assert typed_answers.copied_synonyms(held_out) == [], "test answers copied from data/answers.yml"
    data = yaml.safe_load(typed_answers.TEST_SET.read_text(encoding="utf-8"))
    for question, by_option in data.items():
        assert set(by_option) <= {o.key for o in options.for_question(question)}, question


def test_typed_answers_are_mapped_to_the_right_option():
    score = typed_answers.evaluate()
    print("\n" + typed_answers.report(score).splitlines()[0])
    assert score.accuracy >= MIN_ACCURACY


@pytest.mark.parametrize(
    "question, text, expected",
    [
        ("q_outils_actuels", "téléphone et mails", "telephone_email"),
        ("q_visibilite", "non pas de site", "non"),
        ("q_autonomie", "avec de l'aide", "avec_aide"),
        ("q_projets", "pas le temps", "pas_encore"),
        ("utter_ask_satisfaction", "4/5", "4"),
        ("utter_ask_satisfaction", "je mettrais 4 sur 5", "4"),
        ("utter_ask_effectif", "le premier", "Je travaille seul"),
        ("utter_ask_role", "le 2e", "salarié"),
        ("utter_ask_accord_questions", "ça me va", "/affirm"),
        ("utter_anything_else", "non merci ce sera tout", "/goodbye"),
        ("utter_human_options", "rappelez-moi", '/ask_human{"mode_contact": "rappel"}'),
        ("utter_human_options", "un rendez-vous ce serait bien", '/ask_human{"mode_contact": "rendez_vous"}'),
    ],
)
def test_the_answers_the_issue_saw_refused(question, text, expected):
    result = options.understand(question, text)
    assert result.option is not None and result.option.key == expected


def test_two_equally_close_options_are_offered_back_and_nothing_close_is_said():
    result = options.understand("q_visibilite", "oui")  # a page, a site, or more?
    assert result.option is None and result.ambiguous and len(result.candidates) >= 2
    nothing = options.understand("utter_ask_role", "zkqj")
    assert nothing.option is None and not nothing.ambiguous
    assert answers.said_as_list(options.for_question("q_projets")[:2]) == "« Pas encore » ou « J'y pense »"


@pytest.mark.parametrize(
    "question, text, expected",
    [
        ("q_outils_actuels", "tel et mail", "telephone_email"),  # short forms written out
        ("q_visibilite", "juste insta", "fiche"),
        ("q_visibilite", "oui ils peuvent reserver", "service_en_ligne"),  # « réservent » in another form
        ("utter_reformulate_need", "oué", "/affirm"),  # a plain yes or no to a yes/no question
        ("utter_reformulate_need", "nn", "/deny"),
        ("utter_ask_accord_questions", "je prefere pas", "/deny"),
        ("utter_anything_else", "oui une derniere", "/affirm"),  # « dernière » is not the last button here
        ("utter_ask_effectif", "deux employés", "1 à 9 salariés"),
        ("utter_ask_effectif", "moins de dix", "1 à 9 salariés"),
        ("utter_ask_effectif", "une douzaine", "10 salariés ou plus"),
    ],
)
def test_general_french_rules_read_answers_no_synonym_lists(question, text, expected):
    result = options.understand(question, text)
    assert result.option is not None and result.option.key == expected, result


def test_a_numbered_piste_is_opened_by_its_number_or_its_words():
    shown = options.for_buttons(
        "utter_answer_next",
        [
            {"title": "Oui, merci", "payload": "/affirm"},
            {"title": "Pas vraiment", "payload": "/deny"},
            {"title": "1. Une fiche Google", "payload": '/voir_detail{"detail": "fiche"}'},
            {"title": "2. Un site vitrine", "payload": '/voir_detail{"detail": "site"}'},
        ],
    )
    for typed, detail in [
        ("details de la 2", "site"),
        ("la deuxieme", "site"),
        ("voir la piste 1", "fiche"),
        ("le site vitrine", "site"),
        ("2", "site"),
    ]:
        assert answers.match(shown, typed).option.key == f'/voir_detail{{"detail": "{detail}"}}', typed
    assert answers.match(shown, "oui merci").option.key == "/affirm"


def test_a_yes_with_a_negative_word_after_it_stays_a_yes_and_c_est_is_not_doubled():
    assert answers.polarity("oui pas de probleme") == 1
    assert answers.polarity("pas pour l'instant") == -1
    assert answers.polarity("je crois pas") == -1
    assert answers.polarity("mardi matin") == 0
    assert answers.expand("c'est flou") == "c est flou" and answers.expand("c tout") == "c est tout"
    assert options.understand("utter_answer_next", "c'est flou pour moi").option is None


def test_what_a_request_for_a_person_says_besides_asking_is_kept_for_the_second_reading():
    assert options.topic_words("je veux un rdv avec un médiateur pour la facture électronique") == "facture electronique"
    assert options.topic_words("rdv avec vous svp") == ""
    assert options.topic_words("appelez-moi demain matin") == ""
    assert "reservation ligne" in options.topic_words("un rdv pour la prise de rendez-vous en ligne au salon")


def test_a_negation_is_not_read_as_yes():
    for text in ("non c'est bon", "non pas d'accord", "ça m'aide pas du tout"):
        assert options.understand("utter_answer_next", text).option.key == "/deny", text


# --- the typed answer read in the light of the question just asked ----------------------------------


def _question(name: str) -> dict:
    return {
        "question": name,
        "buttons": yaml.safe_load(paths.DOMAIN.read_text(encoding="utf-8"))["responses"][name][0]["buttons"],
    }


def _parse(text: str, intent: str, confidence: float = 0.9) -> dict:
    return {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}


def test_a_typed_choice_becomes_the_button_it_means():
    from bot.rasa_extensions.patches.typed_answers import reinterpret

    read = reinterpret(_parse("rappelez moi svp", "ask_human"), _question("utter_human_options"))
    assert read["intent"]["name"] == "ask_human"
    assert {"entity": "mode_contact", "value": "rappel", "extractor": "typed_answer"} in read["entities"]
    read = reinterpret(_parse("non merci ce sera tout", "deny"), _question("utter_anything_else"))
    assert read["intent"]["name"] == "goodbye"
    read = reinterpret(_parse("allez-y", "nlu_fallback", 0.2), _question("utter_ask_accord_questions"))
    assert read["intent"]["name"] == "affirm" and read["typed_answer"]["option"] == "Oui, allons-y"


def test_inside_a_form_a_short_yes_or_no_first_is_the_answer_whatever_it_names():
    from bot.rasa_extensions.patches.typed_answers import reinterpret

    typed = _parse("oui envoyez-le moi par mail", "naviguer_internet")  # « mail » reads as a need
    assert reinterpret(typed, _question("utter_ask_synthese"), in_form=True)["intent"]["name"] == "affirm"
    assert reinterpret(typed, _question("utter_ask_synthese"))["intent"]["name"] == "naviguer_internet"  # no form
    same = _parse("oui envoyez le a la meme adresse", "naviguer_internet")  # close to no synonym: yes all the same
    assert reinterpret(same, _question("utter_ask_synthese"), in_form=True)["intent"]["name"] == "affirm"
    longer = _parse("non, je voulais savoir comment vendre mes paniers en ligne", "nouveaux_services_digitaux")
    assert reinterpret(longer, _question("utter_ask_synthese"), in_form=True) == longer


def test_a_message_that_says_more_keeps_its_own_reading():
    from bot.rasa_extensions.patches.typed_answers import reinterpret

    need = _parse("non, je voulais savoir comment vendre mes paniers en ligne", "nouveaux_services_digitaux")
    assert reinterpret(need, _question("utter_reformulate_need")) == need
    assert reinterpret(_parse("/affirm", "affirm"), _question("utter_offer_human"))["intent"]["name"] == "affirm"
    assert reinterpret(_parse("oui", "affirm"), None)["intent"]["name"] == "affirm"


# --- dates and moments: today always given -------------------------------------------------------

TODAY = date(2026, 12, 1)  # a Tuesday


@pytest.mark.parametrize(
    "text, expected",
    [
        ("avant le 20 décembre", date(2026, 12, 20)),
        ("avant le 15 janvier", date(2027, 1, 15)),
        ("fin janvier", date(2027, 1, 31)),
        ("dans quinze jours", date(2026, 12, 16)),
        ("la semaine prochaine", date(2026, 12, 13)),
        ("d'ici vendredi", date(2026, 12, 4)),
        ("15/12", date(2026, 12, 15)),
        ("mi-janvier", date(2027, 1, 15)),
    ],
)
def test_deadlines_in_french_words(text, expected):
    assert dates.parse_deadline(text, TODAY) == expected


def test_a_deadline_is_never_in_the_past_and_is_said_back_in_french():
    assert dates.parse_deadline("20/11/2026", TODAY) is None
    assert dates.parse_deadline("n'importe quoi", TODAY) is None
    assert dates.parse_deadline("pas de date précise", TODAY) is None
    assert dates.french_date(date(2026, 12, 20), TODAY) == "dimanche 20 décembre"
    assert dates.french_date(date(2027, 1, 15), TODAY) == "vendredi 15 janvier 2027"
    # the same words another day give another date: nothing here reads the clock
    assert dates.parse_deadline("dans quinze jours", date(2027, 3, 1)) == date(2027, 3, 16)


def test_call_back_moments():
    assert dates.parse_moment("demain en fin de matinée", TODAY).said(TODAY) == "demain mercredi 2 décembre, en fin de matinée"
    assert dates.parse_moment("jeudi vers 14h", TODAY).said(TODAY) == "jeudi 3 décembre, vers 14\u00a0h"
    assert dates.parse_moment("jeudi vers 9h30", TODAY).said(TODAY) == "jeudi 3 décembre, vers 9\u00a0h\u00a030"
    assert dates.parse_moment("peu importe", TODAY) == dates.Moment(None, None)
    assert dates.parse_moment("blabla", TODAY) is None


def test_slot_titles_use_the_one_time_format():
    from datetime import datetime

    from actions.slot_matching import french_datetime
    from bot.settings import PARIS

    assert french_datetime(datetime(2026, 12, 2, 14, 0, tzinfo=PARIS)) == "mercredi 2 décembre à 14\u00a0h"
    assert french_datetime(datetime(2026, 12, 2, 9, 30, tzinfo=PARIS)) == "mercredi 2 décembre à 9\u00a0h\u00a030"
    assert french_datetime(datetime(2027, 1, 1, 10, 0, tzinfo=PARIS)) == "vendredi 1er janvier à 10\u00a0h"


def test_slots_chosen_by_typing():
    from datetime import datetime

    from actions.slot_matching import french_datetime, match_slot_moment
    from bot.settings import PARIS

    starts = [datetime(2026, 12, 2, 10, 0), datetime(2026, 12, 2, 14, 30), datetime(2026, 12, 3, 9, 0)]
    shown = [
        answers.Option(
            f'/inform{{"creneau": "{i}"}}', f"{french_datetime(start.replace(tzinfo=PARIS))} " f"(téléphone) avec {who}"
        )
        for i, (start, who) in enumerate(zip(starts, ["Claire", "Karim", "Claire"], strict=True), 1)
    ]

    def chosen(text):
        result = answers.match(shown, text)
        if result.option is None and not result.ambiguous:
            result = match_slot_moment(shown, text)
        return result

    assert chosen("le premier").option.key.endswith('"1"}')
    assert chosen("le 2e").option.key.endswith('"2"}')
    assert chosen("mercredi matin").option.key.endswith('"1"}')
    assert chosen("mercredi 14h").option.key.endswith('"2"}')
    assert chosen("celui de jeudi").option.key.endswith('"3"}')
    assert chosen("mercredi").ambiguous  # two on Wednesday: which one?
    assert chosen("vendredi").option is None and not chosen("vendredi").ambiguous
    assert chosen("jeudi 9h").option.key.endswith('"3"}') and chosen("mercredi aprem").option.key.endswith('"2"}')
    assert chosen("le 3 décembre").option.key.endswith('"3"}') and chosen("avec Karim").option.key.endswith('"2"}')


def test_a_need_and_a_request_for_a_person_keep_both_on_held_out_messages(model):
    from bot.evaluation import human_topic

    score = human_topic.evaluate(model)
    print("\n" + human_topic.report(score))
    assert score.kept >= 26 and score.wrong_topic <= 1  # measured 28/30 and 0/20 on 2026-12-01
