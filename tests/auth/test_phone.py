"""Vietnamese phone numbers: every way people type one becomes one canonical form; garbage is refused."""

from __future__ import annotations

import pytest

from hub.auth.phone import PhoneError, display_phone, local_phone, normalise_phone


@pytest.mark.parametrize("raw", [
    "0912345678", "0912 345 678", "0912.345.678", "0912-345-678", " (091) 234-5678 ",
    "+84912345678", "+84 912 345 678", "84912345678", "0084912345678", "+840912345678",
])
def test_one_mobile_number_many_spellings(raw: str) -> None:
    assert normalise_phone(raw) == "+84912345678"


@pytest.mark.parametrize(("raw", "canonical"), [
    ("0387 654 321", "+84387654321"),  # Viettel 03x
    ("0563 123 456", "+84563123456"),
    ("0210 3812 345", "+842103812345"),  # Phú Thọ landline: 0210 + 7 digits
    ("024 3825 1234", "+842438251234"),  # Hà Nội landline
])
def test_mobile_and_landline_prefixes(raw: str, canonical: str) -> None:
    assert normalise_phone(raw) == canonical


@pytest.mark.parametrize(("raw", "says"), [
    ("", "type the number as"),
    ("12345", "type the number as"),
    ("091234567", "10 digits"),  # one digit short
    ("09123456789", "10 digits"),  # one too many
    ("0112345678", "10 digits"),  # no 01x mobile prefix
    ("01234567890", "changed in 2018"),  # the old 11-digit mobiles
    ("+1 650 253 0000", "Vietnamese"),
    ("0912abc678", "only digits"),
    ("０９１２３４５６７８", "type the number as"),  # full-width digits
    ("0" * 40, "too long"),
])
def test_garbage_is_refused_with_a_reason(raw: str, says: str) -> None:
    with pytest.raises(PhoneError, match=says):
        normalise_phone(raw)


def test_display_forms() -> None:
    assert display_phone("+84912345678") == "0912 345 678"
    assert display_phone("+842103812345") == "0210 3812 345"
    assert local_phone("+84912345678") == "0912345678"
