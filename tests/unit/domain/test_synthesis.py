"""A dossier's synthesis in words (bot/domain/synthesis.py): labels, never ids; Paris times; what is
urgent first; the questionnaire answered or « non évalué »."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from bot.domain import situation, synthesis
from bot.domain.synthesis import AppointmentFact, Facts, NeedFact
from bot.language.textnorm import normalize

MONDAY = datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc)  # Monday 7 December 2026, 16 h in Paris


def plain(text: str) -> str:
    """Without the typography's no-break spaces (the data files' texts are typeset)."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def said(**facts) -> synthesis.Synthesis:
    return synthesis.synthesise(Facts(now=MONDAY, **facts))


def test_labels_not_ids_and_paris_time():
    text = said(
        needs=(NeedFact("demarches_en_ligne", 0.93, True),),
        profile={"secteur": "batiment", "effectif": "1-9", "role": "dirigeant"},
        nature="technique",
        redirect=("urssaf", "france_services"),
        appointment=AppointmentFact(datetime(2026, 12, 15, 13, 0, tzinfo=timezone.utc), "Camille", "R-ABC", "telephone"),
    ).text()
    assert "Besoin : Faire une démarche en ligne, confirmé par la personne" in text
    assert "Structures présentées à la personne : URSSAF; France Services" in text
    assert "Rendez-vous : mardi 15 décembre à 14\u00a0h avec Camille, par téléphone (référence R-ABC)" in text
    assert "Question « Métier » : bâtiment et travaux (BTP)" in text
    assert "Entreprise ou activité" not in text  # no questionnaire: only what the person gave
    for internal in ("demarches_en_ligne", "urssaf", "france_services", "batiment", "1-9", "dirigeant", "UTC", "13:00"):
        assert internal not in text


def test_an_unconfirmed_need_says_how_sure_and_out_of_scope_says_its_topic():
    text = said(needs=(NeedFact("presence_en_ligne", 0.62, None),), out_of_scope=("fiscalite",)).text()
    assert "Être plus visible en ligne, non confirmé par la personne (l'assistant en était sûr à 62 %)" in text
    assert "Hors du champ du service : les impôts, la TVA ou les cotisations" in text


def test_the_persons_words_come_first_quoted_and_greetings_left_out():
    request = synthesis.request_of(["Bonjour", "Je n'arrive pas à déclarer mon chiffre d'affaires à l'URSSAF"])
    lines = said(request=request).lines()
    assert lines[0] == "Demande de la personne : « Je n'arrive pas à déclarer mon chiffre d'affaires à l'URSSAF »"


def test_a_skipped_questionnaire_is_not_evaluated_not_beginner():
    # all skills questions skipped: the scoring says « Débutant », the synthesis does not
    answers = {"outils_actuels": "gestion", "visibilite": None, "projets": None, "aisance": "ne_repond_pas", "autonomie": None}
    text = plain(said(answers=answers, maturity_level=2, skill_level="debutant").text())
    assert "Compétences de la personne : non évaluées" in text and "Débutant" not in text
    assert "Maturité numérique de l'entreprise : En chemin (niveau 2 sur 4)" in text
    assert "Question « Vos clients peuvent-ils vous trouver sur internet ? » : non répondu" in text
    assert "Question « Devant un ordinateur ou un smartphone, vous vous sentez… » : Je préfère ne pas répondre" in text
    assert "Question « Code postal » : non répondu" in text
    never = said(maturity_level=None).text()
    assert "Questionnaire : non évalué" in never and "Compétences de la personne : non évaluées" in never


def test_what_was_missing_after_pas_vraiment_is_shown():
    text = said(solutions=("fiche_etablissement",), answered=False, missing="un exemple pour mon métier").text()
    assert "La réponse a-t-elle aidé : non, « Pas vraiment »" in text
    assert "Ce qui lui manque : « un exemple pour mon métier »" in text


def test_urgency_a_cyber_attack_a_penalty_a_deadline_within_a_week():
    assert (
        said(said=("On m'a piraté ma boîte mail, ils demandent une rançon",))
        .urgent[0]
        .startswith("attaque informatique peut-être en cours : « On m'a piraté")
    )
    assert said(said=("Mon compte bloqué sur le site des impôts",)).urgent
    assert said(said=("J'ai reçu une majoration de retard",)).urgent[0].startswith("pénalité ou sanction évoquée")
    assert said(said=("je dois déclarer avant vendredi",)).urgent == ("échéance dans 4 jours, le vendredi 11 décembre",)
    assert said(deadline=date(2026, 12, 8)).urgent == ("échéance demain, le mardi 8 décembre",)
    assert said(deadline=date(2026, 12, 20), said=("je veux un site internet",)).urgent == ()  # 13 days: not urgent


def test_a_blocked_account_answering_the_login_question_is_a_login_problem_not_an_attack():
    # « compte bloqué » typed as the answer to « Arrivez-vous à vous connecter… » (data/situation.yml)
    assert said(said=("compte bloqué",), said_to=("acces_espaces",)).urgent == ()
    assert said(said=("Mon compte bloqué, mot de passe perdu",), said_to=("acces_espaces",)).urgent == ()
    # the same words said anywhere else, or an attack said at that question, still are one
    assert said(said=("compte bloqué",), said_to=(None,)).urgent
    assert said(said=("compte bloqué",), said_to=("expert_comptable",)).urgent
    attack = said(said=("compte bloqué", "on m'a piraté, mon compte est bloqué"), said_to=("acces_espaces", None))
    assert attack.urgent == ("attaque informatique peut-être en cours : « on m'a piraté, mon compte est bloqué »",)
    assert said(said=("on m'a piraté mon compte bloqué",), said_to=("acces_espaces",)).urgent


def test_the_words_left_out_at_a_question_are_cyber_words_of_a_situation_question():
    left_out = synthesis.data()["urgency"]["not_cyber_in_answer_to"]
    cyber = {normalize(w) for w in synthesis.data()["urgency"]["cyber"]}
    assert left_out and all(situation.question(question) for question in left_out)
    assert all(normalize(w) in cyber for words in left_out.values() for w in words)
    assert "compte bloque" not in synthesis.cyber_words("acces_espaces") and "pirate" in synthesis.cyber_words("acces_espaces")
    assert "compte bloque" in synthesis.cyber_words(None)


def test_a_deadline_written_in_a_message_counts_from_the_day_it_was_written():
    week_before = MONDAY - timedelta(days=7)
    assert said(said=("je dois déclarer avant vendredi",), said_at=(week_before,)).urgent == ()  # that Friday has passed
    two_days_before = MONDAY - timedelta(days=2)  # Saturday 5 December: « avant vendredi » is the 11th
    assert said(said=("je dois déclarer avant vendredi",), said_at=(two_days_before,)).urgent == (
        "échéance dans 4 jours, le vendredi 11 décembre",
    )


def test_the_situation_says_each_answer_in_words_and_only_what_the_need_asked():
    # asked for an outils_internes need: legal form, accountant (skipped), VAT
    answers = {"outils_actuels": "gestion", "forme_juridique": "micro_entreprise", "expert_comptable": None, "tva": "franchise"}
    lines = [plain(line) for line in said(answers=answers, maturity_level=2, skill_level="debutant").lines()]
    assert (
        "Situation : forme juridique : micro-entreprise (auto-entrepreneur); expert-comptable : non répondu; "
        "TVA : ne facture pas la TVA (franchise en base)"
    ) in lines
    assert not [line for line in lines if "équipement" in line or "micro_entreprise" in line or "franchise :" in line]
    # « je préfère ne pas répondre » is no answer either
    assert "Situation : équipement : non répondu" in plain(said(answers={"equipement": "ne_repond_pas"}).text())
    # a need that called for none, or a questionnaire declined: no situation at all
    assert "Situation" not in said(answers={"outils_actuels": "gestion"}, maturity_level=2).text()
    assert "Situation" not in said(answers=None).text()
