import pytest

from bot.domain.profile import NOT_GIVEN, profile_values, role_of, size_bucket


@pytest.mark.parametrize(
    "text,bucket",
    [
        ("Je travaille seul(e)", "seul"),
        ("1 à 9 salariés", "1-9"),
        ("9 salariés", "1-9"),
        ("3 salaries", "1-9"),
        ("10 salariés ou plus", "10+"),
        ("une dizaine", "10+"),
        ("on est 25", "10+"),
        ("Je préfère ne pas répondre", NOT_GIVEN),
        ("beaucoup", None),
    ],
)
def test_size_buckets(text, bucket):
    assert size_bucket(text) == bucket


def test_roles():
    assert role_of("Dirigeant(e)") == "dirigeant" and role_of("je suis la gérante") == "dirigeant"
    assert role_of("Secrétariat, administratif") == "secretariat" and role_of("Autre") == "autre"
    assert role_of("Je préfère ne pas répondre") == NOT_GIVEN and role_of("euh") is None


def test_profile_values_normalise_and_drop_unanswered():
    slots = {"effectif": "9 salariés", "role": NOT_GIVEN, "code_postal": None, "secteur": "commerce"}
    assert profile_values(slots) == {"effectif": "1-9", "secteur": "commerce"}


def test_sector_from_words():
    from bot.domain.profile import sector_of

    assert sector_of("je suis boulangère") == "artisanat_alimentaire"
    assert sector_of("on fait de la plomberie") == "batiment"
    assert sector_of("Je préfère ne pas répondre") == NOT_GIVEN
    assert sector_of("euh") is None


def test_a_trade_is_written_back_spelled_right_never_with_the_persons_typo():
    from bot.domain.profile import trade_spelling

    assert trade_spelling("electricien") == "électricien" and trade_spelling("hotel") == "hôtel"
    assert trade_spelling("boulangrie") == "boulangerie"  # a near miss is corrected
    assert trade_spelling("restaurant") == "restaurant"  # not the training data's « réstaurant »
    assert trade_spelling("xyzzy") is None  # unknown: not echoed at all
