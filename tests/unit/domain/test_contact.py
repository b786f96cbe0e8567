from datetime import date

import pytest

from bot.domain.contact import (
    contact_problem,
    email_problem,
    normalize_email,
    normalize_phone,
    parse_contact,
    parse_deadline,
    says_no_deadline,
)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("06.12.34.56.78", ("phone", "+33612345678")),
        ("+33 6 12 34 56 78", ("phone", "+33612345678")),
        ("0033 6 12 34 56 78", ("phone", "+33612345678")),
        ("mon num c 0612345678 merci", ("phone", "+33612345678")),
        ("mon tel : (0)6 12 34 56 78", ("phone", "+33612345678")),
        ("Jean.Dupont@Orange.fr", ("email", "jean.dupont@orange.fr")),
        ("ecrivez moi a marie@exemple.fr svp", ("email", "marie@exemple.fr")),
        ("o'neil@orange.fr", ("email", "o'neil@orange.fr")),  # an apostrophe is allowed
        ("contact@café.fr", ("email", "contact@café.fr")),  # an internationalised domain
        ("<contact@café.fr>.", ("email", "contact@café.fr")),
        ("jean..dupont@free.fr", None),
        ("paul@orange", None),
        ("0612", None),
        ("jsp", None),
    ],
)
def test_parse_contact(text, expected):
    assert parse_contact(text) == expected


@pytest.mark.parametrize(
    "typed,e164",
    [
        # overseas departments and territories, in the international and in the national form
        ("+262 692 12 34 56", "+262692123456"),
        ("0692 12 34 56", "+262692123456"),  # La Réunion
        ("0262 21 21 21", "+262262212121"),
        ("+262 639 01 23 45", "+262639012345"),
        ("0639 01 23 45", "+262639012345"),  # Mayotte
        ("+590 690 12 34 56", "+590690123456"),
        ("0590 12 34 56", "+590590123456"),  # Guadeloupe
        ("+596 696 12 34 56", "+596696123456"),  # Martinique
        ("+594 694 12 34 56", "+594694123456"),  # Guyane
        ("+269 321 23 45", "+2693212345"),  # Comores
        # neighbouring countries
        ("+32 470 12 34 56", "+32470123456"),
        ("0032 470 12 34 56", "+32470123456"),  # Belgique
        ("+41 79 123 45 67", "+41791234567"),  # Suisse
        ("+352 621 123 456", "+352621123456"),  # Luxembourg
        ("+49 151 23456789", "+4915123456789"),  # Allemagne
        ("+34 612 34 56 78", "+34612345678"),  # Espagne
        ("+39 312 345 6789", "+393123456789"),  # Italie
        ("+377 6 12 34 56 78", "+377612345678"),  # Monaco
        ("+508 55 12 34", "+508551234"),  # Saint-Pierre-et-Miquelon
    ],
)
def test_phones_are_stored_in_e164(typed, e164):
    assert normalize_phone(typed) == e164
    assert parse_contact(f"mon numero c'est {typed} merci") == ("phone", e164)


def test_malformed_addresses_get_a_clear_french_reason():
    assert email_problem("jean..dupont@free.fr") == "Une adresse e-mail ne peut pas contenir deux points à la suite (« .. »)."
    assert "il manque la fin" in email_problem("paul@orange")
    assert email_problem("jean dupont@free.fr") == "Une adresse e-mail ne contient pas d'espace."
    assert contact_problem("c'est jean..dupont@free.fr") == email_problem("jean..dupont@free.fr")
    assert contact_problem("0612") is None  # no address typed: the usual question again
    assert email_problem("o'neil@orange.fr") is None and email_problem("contact@café.fr") is None


def test_normalizers_refuse_garbage():
    assert normalize_phone("00 00 00 00 00") is None and normalize_phone("+33 12") is None
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


def test_stored_numbers_are_shown_the_way_people_read_them():
    from bot.domain.contact import display_phone

    assert display_phone("+33612345678") == "06 12 34 56 78"
    assert display_phone("+32470123456") == "+32 470 12 34 56"
    assert display_phone("06 12 34 56 78") == "06 12 34 56 78"  # stored before E.164
    assert display_phone(None) == ""
