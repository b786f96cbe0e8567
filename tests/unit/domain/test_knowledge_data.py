"""Knowledge base, referral directory, maturity questionnaire, France Services: valid and useful."""

from __future__ import annotations

import re

import pytest

from bot import paths
from bot.datafiles import load_yaml
from bot.domain import catalog, france_services, knowledge, maturity, referrals
from bot.schemas import KNOWLEDGE, NEED_IDS, OUT_OF_SCOPE_TOPICS

# Brands must not appear in what the assistant recommends (neutrality of the seed).
BRANDS = re.compile(
    r"\b(google|facebook|instagram|meta|microsoft|word|excel|apple|wordpress|wix|shopify|amazon|"
    r"doctolib|planity|qonto|chatgpt|openai|whatsapp|tiktok|linkedin|canva|dropbox|zoom|teams)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("need", NEED_IDS)
def test_knowledge_entry_is_valid_neutral_and_covers_every_maturity_level(need):
    path = paths.DATA / "knowledge" / f"{need}.yml"
    load_yaml(path, KNOWLEDGE)
    entry = knowledge.entry(need)
    for level in (1, 2, 3, 4):
        assert sum(level in s.levels for s in entry.solutions) >= 2, (need, level)
        assert 2 <= len(knowledge.solutions_for(need, level)) <= 3
    text = " ".join([s.title + " " + s.description + " ".join(s.advantages + s.drawbacks) for s in entry.solutions] + [entry.tip])
    assert BRANDS.findall(text) == []
    assert len({s.id for s in entry.solutions}) == len(entry.solutions)


def test_solutions_fall_back_to_all_levels_when_maturity_is_unknown():
    assert [s.id for s in knowledge.solutions_for("presence_en_ligne")] == [
        s.id for s in knowledge.entry("presence_en_ligne").solutions[:3]
    ]


def test_referral_directory_covers_every_need_and_topic_with_valid_sectors():
    structures = referrals.structures()
    assert len({s.id for s in structures}) == len(structures)
    sectors = set(catalog.sectors())
    for s in structures:
        assert set(s.sectors) <= sectors, s.id
    for need in NEED_IDS:
        assert referrals.for_need(need), need
    for topic in set(OUT_OF_SCOPE_TOPICS) - {"autre", "sante_personnel"}:
        assert referrals.for_topic(topic), topic
    assert {"france_services", "cci", "cma", "chambre_agriculture", "urssaf", "pix", "cybermalveillance"} <= {
        s.id for s in structures
    }


def test_chambers_are_offered_to_their_own_sectors_only():
    assert "cma" in [s.id for s in referrals.structures() if s.serves_sector("batiment")]
    assert "cma" not in [s.id for s in referrals.structures() if s.serves_sector("commerce")]
    assert "chambre_agriculture" in [s.id for s in referrals.structures() if s.serves_sector("agriculture")]


def test_questionnaire_is_short_with_a_way_not_to_answer_and_consistent_levels():
    data = maturity.questionnaire()
    assert len(data["questions"]) <= 6
    for q in data["questions"]:
        assert any("sais pas" in a["title"] or "pas répondre" in a["title"] for a in q["answers"]), q["id"]
        key = "nature" if q["measures"] == "nature" else "score"
        assert all(key in a for a in q["answers"]), q["id"]
    for dimension in ("structure", "skills"):
        thresholds = [lvl["min_score"] for lvl in data["levels"][dimension]]
        assert thresholds[0] == 0 and thresholds == sorted(set(thresholds))
        best = sum(max(a["score"] for a in q["answers"]) for q in data["questions"] if q["measures"] == dimension)
        assert thresholds[-1] <= best, dimension


def test_assessment_from_answers():
    nothing = maturity.assess({})
    assert (nothing.structure_level, nothing.skill_level, nothing.nature) == (1, "debutant", "technique")
    best = {q["id"]: max(q["answers"], key=lambda a: a.get("score", 0))["id"] for q in maturity.questionnaire()["questions"]}
    best["nature_besoin"] = next(
        a["id"] for a in maturity.question("nature_besoin")["answers"] if a.get("nature") == "strategique"
    )
    top = maturity.assess(best)
    assert (top.structure_level, top.skill_level, top.nature) == (4, "avance", "strategique")
    assert "Pix" in top.pix_advice
    assert maturity.assess({"outils_actuels": "no-such-answer"}).structure_level == 1


def test_nearest_france_services_sites():
    lyon = france_services.nearest("69003")
    assert len(lyon) == 3 and all(s.postal_code.startswith("69") for s in lyon)
    # a postal code with no site of its own still gets the sites of its area
    assert france_services.nearest("69124", limit=1)[0].postal_code.startswith("69")
    assert france_services.nearest("2A000") == [] and france_services.nearest("99999") == []
    assert france_services.nearest("abc") == []
    assert all(s.phone or s.email for s in france_services.nearest("75011"))
    assert "ANCT" in (paths.DATA / "france_services" / "SOURCE.md").read_text()


def test_domain_has_one_slot_and_ask_action_per_question():
    """The maturity questions, then the situation questions (data/situation.yml): each its slot in the
    form, mapped from text only inside the questionnaire, and its ask action."""
    import yaml

    from bot.domain import situation

    domain = yaml.safe_load((paths.DOMAIN).read_text(encoding="utf-8"))
    ids = [q["id"] for q in maturity.questionnaire()["questions"]] + [q["id"] for q in situation.questions()]
    assert len(ids) == len(set(ids))  # one slot q_<id> per question across both files
    form = domain["forms"]["qualification_form"]["required_slots"]
    assert [s for s in form if s.startswith("q_")] == [f"q_{i}" for i in ids]
    actions = {a if isinstance(a, str) else next(iter(a)) for a in domain["actions"]}  # `- name: {send_domain: …}`
    assert {f"action_ask_q_{i}" for i in ids} <= actions
    for i in ids:
        [mapping] = domain["slots"][f"q_{i}"]["mappings"]
        assert mapping["type"] == "from_text" and mapping["not_intent"] == "ask_human", i
        assert mapping["conditions"] == [{"active_loop": "qualification_form", "requested_slot": f"q_{i}"}], i


def test_topics_file_is_valid_and_every_topic_has_structures():
    from bot.domain import topics
    from bot.schemas import TOPICS

    load_yaml(paths.DATA / "topics.yml", TOPICS)
    for topic in topics.keywords():
        assert referrals.for_topic(topic), topic


@pytest.mark.parametrize(
    "text,topic",
    [
        ("je dois licencier un salarié, quelle procédure ?", "rh_droit_du_travail"),
        ("quel taux de TVA sur mes gâteaux", "fiscalite"),
        ("mon propriétaire augmente le loyer du local", "locaux_bail"),
        ("il me faut un prêt pour ma boulangerie", "financement"),
        ("raconte moi une blague", None),
    ],
)
def test_topic_detection(text, topic):
    from bot.domain import topics

    assert topics.detect(text) == topic
