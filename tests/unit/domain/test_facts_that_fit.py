"""Issue 27 §3: facts that fit the person, each with its source and check date, and the sentences
a person receives (rendered from domain.yml as the channel would)."""

from __future__ import annotations

import re
from datetime import date

import pytest
import yaml

from bot import paths
from bot.domain import advice, catalog, facts, france_services, knowledge, referrals, topics
from bot.domain.advice import Profile
from bot.schemas import NEED_IDS


def plain(text: str) -> str:
    """Typography aside (non-breaking spaces, typographic apostrophes), for readable assertions."""
    return text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2019", "'")


def said(response: str, **values) -> str:
    """The text a person reads for a response of domain.yml filled with the action's values."""
    text = yaml.safe_load(paths.DOMAIN.read_text(encoding="utf-8"))["responses"][response][0]["text"]
    return plain(text.format(**values))


# --- sources and check dates -------------------------------------------------------------------


def test_no_fact_lacks_a_source_page_or_a_check_date():
    found = facts.all_facts()
    assert facts.missing(found) == []
    solutions = sum(len(knowledge.entry(n).solutions) for n in NEED_IDS)
    assert solutions == 37 and len(found) > 90  # every solution is a fact now, not 12 of 37


def test_make_facts_fails_when_an_entry_lacks_its_source(monkeypatch, capsys):
    from bot.ops import cli

    planted = facts.all_facts() + [facts.Fact("knowledge/x.yml: sans_source", "", None)]
    monkeypatch.setattr(facts, "all_facts", lambda: planted)
    assert cli.cmd_facts(None) == 1
    out = capsys.readouterr()
    assert "MISSING" in out.out and "knowledge/x.yml: sans_source" in out.out
    assert "Every fact needs a source page" in out.err
    monkeypatch.setattr(facts, "all_facts", lambda: planted[:-1])
    assert cli.cmd_facts(None) == 0


def test_home_page_sources_are_marked_for_replacement():
    table = facts.render([facts.Fact("a", "https://www.urssaf.fr", date(2026, 1, 1))], today=date(2026, 1, 2))
    assert "[home page]" in table and "1 sourced to a home page only" in table


# --- cash registers ------------------------------------------------------------------------------


def test_cash_register_says_who_is_exempt_the_proof_and_the_fine():
    text = plain(knowledge.solution("outils_internes", "logiciel_gestion_metier").description)
    assert "franchise de TVA" in text and "exonérées de TVA" in text
    assert "certificat, délivré par un organisme accrédité" in text
    assert "7 500 euros par caisse" in text
    solution = knowledge.solution("outils_internes", "logiciel_gestion_metier")
    assert not solution.source.endswith("ce-qui-change-au-1er")  # the cut URL is gone
    assert "article 125" in solution.note  # the 2026 finance law's attestation, flagged for checking


# --- e-invoicing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("need", ["demarches_en_ligne", "outils_internes"])
def test_e_invoicing_is_said_to_businesses_subject_to_vat_in_plain_words(need):
    obligation = knowledge.entry(need).obligation
    assert plain(obligation.summary).startswith("Si votre entreprise est soumise à la TVA en France")
    text = said("utter_obligation_detail", titre=obligation.title, details=obligation.details)
    assert "« plateforme agréée » est un service autorisé par l'État" in text
    assert "1er septembre 2026" in text and "À partir du 1er septembre 2027" in text
    assert "ventes aux particuliers" in text and "(on parle d'« e-reporting »)" in text
    assert not re.search(r"\bPA\b", text)


# --- training of the self-employed --------------------------------------------------------------------


def test_independents_training_funds_are_named_in_words_before_their_acronyms():
    text = plain(knowledge.solution("former_salaries", "fonds_formation_independants").description)
    assert "Conseil de la formation de votre chambre de métiers" in text
    assert "fonds d'assurance formation des chefs d'entreprise artisanale (FAFCEA)" in text
    for acronym in ("FAFCEA", "AGEFICE", "FIF PL", "VIVEA"):
        assert f"({acronym})" in text and text.count(acronym) == 1, acronym
    assert "Président de SAS : voyez plutôt l'opérateur de compétences" in text
    opco = knowledge.solution("former_salaries", "formation_financee_opco")
    assert "opérateur de compétences (OPCO)" in plain(opco.title) and "président d'une SAS" in plain(opco.description)


def test_the_cpf_fee_is_given_with_its_year():
    for solution in ("compte_personnel_formation", "cpf_titulaire"):
        text = plain(knowledge.solution("former_salaries", solution).description)
        assert "103,20 euros en 2026" in text and "chaque 1er janvier" in text
    assert "103,20 euros en 2026" in plain(referrals.by_id("mon_compte_formation").why)


# --- referral directory ------------------------------------------------------------------------------


def test_urssaf_is_sourced_on_urssaf_fr_and_france_services_on_its_data_date():
    assert referrals.by_id("urssaf").source.startswith("https://www.urssaf.fr/")
    assert "secu-independants" not in (paths.DATA / "referrals.yml").read_text(encoding="utf-8")
    france = referrals.by_id("france_services")
    assert france.checked == "2024-08-01" and "1er août 2024" in plain(france.note)
    assert "1er août 2024" in plain(france_services.CREDIT)


# --- routing -----------------------------------------------------------------------------------------


def redirect_text(message: str, sector=None, size=None) -> str:
    topic = topics.detect(message)
    structures = referrals.for_topic(topic, sector, size)[:3]
    return said("utter_out_of_scope_redirect", structures="\n".join(f"• {s.name} : {s.how}" for s in structures))


def test_contributions_go_to_urssaf_not_to_the_tax_pages():
    text = redirect_text("mon appel de cotisations est beaucoup trop élevé")
    assert "• URSSAF : Connectez-vous à votre espace sur urssaf.fr" in text
    assert "impots.gouv.fr" not in text
    assert "MSA" in redirect_text("mes cotisations sociales", sector="agriculture")


def test_a_legal_dispute_goes_to_point_justice_not_the_formalities_site():
    text = redirect_text("j'ai un litige avec un client, il menace d'aller au tribunal")
    assert text.index("• Point-justice : Appelez le 3039") < text.index("Entreprendre.Service-Public.fr")
    assert "Guichet unique" not in text
    assert referrals.by_id("point_justice").source == "https://www.justice.fr/acces-droit"


def test_a_private_individual_goes_to_france_services():
    text = redirect_text("je suis un particulier, je dois refaire ma carte grise")
    assert text.splitlines()[1].startswith("• France Services : Donnez votre code postal")


def test_a_business_of_ten_or_more_goes_to_the_chambers_business_services():
    for need in ("demarches_en_ligne", "utiliser_ordinateur"):
        small = [s.id for s in advice.advise(need, Profile(size="1-9")).structures]
        large = [s.id for s in advice.advise(need, Profile(size="10+")).structures]
        assert "france_services" in small and "france_services" not in large
        assert large[:2] == ["cci", "cma"], (need, large)
    assert [s.id for s in advice.advise("presence_en_ligne", Profile(size="10+", sector="batiment")).structures][0] == "cma"
    assert [s.id for s in referrals.for_topic("litige", None, "10+")][:2] == ["cci", "cma"]


# --- the follow-up date --------------------------------------------------------------------------------


def test_the_follow_up_date_skips_public_holidays_as_well_as_weekends():
    assert catalog.follow_up_date(None, date(2026, 4, 17)) == date(2026, 5, 11)  # Friday 8 May -> Monday 11
    assert catalog.follow_up_date(None, date(2026, 6, 23)) == date(2026, 7, 15)  # Tuesday 14 July -> 15
    assert catalog.follow_up_date(None, date(2026, 10, 11)) == date(2026, 11, 2)  # Sunday 1 November -> Monday 2
    assert catalog.follow_up_date(date(2026, 12, 18), date(2026, 12, 1)) == date(2026, 12, 28)  # 25th: holiday, weekend


# --- France Services near a postal code typed anywhere ---------------------------------------------------


def test_a_postal_code_with_where_words_asks_for_the_nearest_france_services():
    assert france_services.asked_near("je suis à Lyon 69003, où aller ?") == "69003"
    assert france_services.asked_near("J'habite au 33000, il y a un lieu près de chez moi ?") == "33000"
    assert france_services.asked_near("69003") is None  # a bare answer to another question
    assert france_services.asked_near("ma facture 12345 est fausse") is None


def test_the_france_services_answer_gives_the_opening_hours_the_data_holds():
    site = france_services.nearest("01200")[0]
    assert site.name == "France services de Valserhône"
    text = said("utter_france_services_near", credit=france_services.CREDIT, sites=france_services.describe(site))
    assert "• France services de Valserhône, 5-9 Rue des Papetiers, 01200 Valserhône, tél. 04 50 56 87 49." in text
    assert "Horaires : lundi de 13 h 30 à 17 h ; mardi de 9 h à 12 h et de 13 h 30 à 17 h" in text
    assert "vendredi de 9 h à 12 h et de 13 h 30 à 16 h." in text
    assert "mise à jour du 1er août 2024" in text
    assert france_services.hours_text("sur rendez-vous le matin") == "sur rendez-vous le matin"
