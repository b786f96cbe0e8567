from datetime import date

import pytest

from bot.contact import normalize_email, normalize_phone, parse_contact, parse_deadline, says_no_deadline


@pytest.mark.parametrize("text,expected", [
    ("06.12.34.56.78", ("phone", "06 12 34 56 78")),
    ("+33 6 12 34 56 78", ("phone", "06 12 34 56 78")),
    ("mon num c 0612345678 merci", ("phone", "06 12 34 56 78")),
    ("Jean.Dupont@Orange.fr", ("email", "jean.dupont@orange.fr")),
    ("ecrivez moi a marie@exemple.fr svp", ("email", "marie@exemple.fr")),
    ("paul@orange", None),
    ("0612", None),
    ("jsp", None),
])
def test_parse_contact(text, expected):
    assert parse_contact(text) == expected


def test_normalizers_refuse_garbage():
    assert normalize_phone("00 00 00 00 00") is None
    assert normalize_email("a@b") is None and normalize_email("x" * 250 + "@exemple.fr") is None


def test_deadlines():
    today = date(2026, 11, 28)  # a Saturday
    assert parse_deadline("cette semaine", today) == date(2026, 11, 29)
    assert parse_deadline("ce mois-ci", today) == date(2026, 11, 30)
    assert parse_deadline("avant le 15/12", today) == date(2026, 12, 15)
    assert parse_deadline("3/1", today) == date(2027, 1, 3)  # January: next year
    assert parse_deadline("15/12/2026", today) == date(2026, 12, 15)
    assert parse_deadline("1/1/2020", today) is None  # in the past
    assert parse_deadline("31/02", today) is None and parse_deadline("bientôt", today) is None
    assert says_no_deadline("pas d'échéance") and says_no_deadline("non pas urgent")
    assert not says_no_deadline("le 15/12")
