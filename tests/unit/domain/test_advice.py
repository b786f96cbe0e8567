"""Advice that fits the person (bot/domain/advice.py): the profile changes what is proposed and its order."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.datafiles import DataFileError, load_yaml
from bot.domain import advice, facts, knowledge
from bot.domain.advice import Profile
from bot.schemas import NEED_IDS, REFERRALS

ALONE = Profile(size="seul")
TEAM = Profile(size="1-9")
EMPLOYEES = re.compile(r"\b(vos|chaque|le|du|un|votre) salarié|équipe", re.IGNORECASE)


def _said(found: advice.Advice) -> str:
    return " ".join(s.title + " " + s.description for s in found.solutions)


@pytest.mark.parametrize("need", NEED_IDS)
def test_someone_alone_is_never_offered_what_needs_employees(need):
    found = advice.advise(need, ALONE)
    assert 2 <= len(found.solutions) <= 3
    assert not any(s.team_only for s in found.solutions)
    assert not EMPLOYEES.search(_said(found)), need


def test_training_for_someone_alone_is_their_own_not_their_employees():
    alone = [s.id for s in advice.advise("former_salaries", ALONE).solutions]
    team = [s.id for s in advice.advise("former_salaries", TEAM).solutions]
    assert "cpf_titulaire" in alone and "compte_personnel_formation" not in alone
    assert "formation_financee_opco" in team and "cpf_titulaire" not in team


def test_a_beginner_gets_the_least_effort_first():
    beginner = advice.advise("presence_en_ligne", Profile(skills="debutant"))
    efforts = [advice.EFFORT_ORDER[s.effort] for s in beginner.solutions]
    assert efforts == sorted(efforts) and beginner.simplest_first
    assert not advice.advise("presence_en_ligne", Profile(skills="intermediaire")).simplest_first


def test_an_advanced_well_equipped_business_gets_the_furthest_reaching_first():
    found = advice.advise("presence_en_ligne", Profile(skills="avance", maturity=4))
    assert found.solutions[0].id == "site_vitrine_prestataire_local"


def test_strategic_questions_offer_a_mediator_first_and_an_employee_hears_about_management():
    assert advice.advise("strategie_numerique", Profile()).mediator_first
    assert not advice.advise("presence_en_ligne", Profile()).mediator_first
    assert advice.advise("presence_en_ligne", Profile(nature="strategique")).mediator_first
    assert advice.advise("strategie_numerique", Profile(role="salarie")).ask_management
    assert not advice.advise("strategie_numerique", Profile(role="dirigeant")).ask_management


def test_the_sector_picks_its_own_chamber():
    assert "cma" in [s.id for s in advice.advise("presence_en_ligne", Profile(sector="batiment")).structures]
    assert "cci" in [s.id for s in advice.advise("presence_en_ligne", Profile(sector="commerce")).structures]


# --- facts with a source and a check date ----------------------------------------------------


def test_every_fact_has_a_source_and_a_check_date():
    found = facts.all_facts()
    assert len(found) > 60
    assert all(f.source.startswith("https://") and isinstance(f.checked, date) for f in found)


def test_facts_are_listed_oldest_check_first_with_an_age_from_the_given_day():
    older = facts.Fact("a", "https://a.fr", date(2025, 1, 1))
    newer = facts.Fact("b", "https://b.fr", date(2026, 1, 1))
    assert facts.by_age([newer, older]) == [older, newer]
    table = facts.render([newer, older], today=date(2026, 1, 11))
    assert table.index("a  (https://a.fr)") < table.index("b  (https://b.fr)")
    assert "  10d  b" in table and "375d  a" in table


def test_a_referral_without_a_check_date_is_refused(tmp_path):
    path = tmp_path / "referrals.yml"
    path.write_text(
        "structures:\n  - {id: x, name: X, what: w, why: y, how: h, url: 'https://x.fr', scope: national,"
        " needs: [], topics: [], source: 'https://x.fr/page'}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataFileError, match="checked"):
        load_yaml(path, REFERRALS)


def test_the_wrong_facts_of_issue_16_are_gone():
    from bot import paths

    everything = " ".join(
        p.read_text(encoding="utf-8") for p in [paths.DATA / "referrals.yml", *(paths.DATA / "knowledge").glob("*.yml")]
    )
    assert "appelez le 17Cyber" not in everything and "17cyber.gouv.fr" in everything
    assert "Appelez le 3414" not in everything and "0 800 08 32 08" in everything
    assert "obligatoire si vous encaissez des particuliers" not in everything
    assert "et ceux de vos salariés" not in everything and "103,20 euros en 2026" in everything
    assert "certifier gratuitement" not in everything
    assert all(s.id != "plateforme_agreee_facture_electronique" for s in knowledge.entry("demarches_en_ligne").solutions)
    assert "depuis le 1er septembre 2026" in knowledge.entry("demarches_en_ligne").obligation.summary


# --- the service's contact as settings ---------------------------------------------------------


def test_service_contact_comes_from_the_environment_and_demo_values_warn(monkeypatch):
    from bot.domain import catalog

    monkeypatch.delenv("SERVICE_PHONE", raising=False)
    monkeypatch.delenv("SERVICE_EMAIL", raising=False)
    assert len(catalog.demo_contact_warnings()) == 2
    monkeypatch.setenv("SERVICE_PHONE", "04 72 00 00 01")
    monkeypatch.setenv("SERVICE_EMAIL", "mediation@ville-exemple.fr")
    contact = catalog.service_contact()
    assert (contact.phone, contact.email) == ("04 72 00 00 01", "mediation@ville-exemple.fr")
    assert catalog.demo_contact_warnings() == []
