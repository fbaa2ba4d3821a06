"""The normaliser on the table of what a listener expects (tests/broadcasts/speech_cases.py)."""

from __future__ import annotations

import pytest

from hub.broadcasts.vinorm import normalise, read_int
from tests.broadcasts.speech_cases import CASES


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize(("typed", "spoken"), CASES, ids=[c[0] for c in CASES])
def test_spoken_form(typed: str, spoken: str) -> None:
    assert normalise(typed) == spoken


@pytest.mark.parametrize(("n", "words"), [
    (1, "một"), (4, "bốn"), (14, "mười bốn"), (24, "hai mươi tư"), (31, "ba mươi mốt"), (55, "năm mươi lăm"),
    (1001, "một nghìn không trăm linh một"), (1010, "một nghìn không trăm mười"),
    (1_000_500, "một triệu năm trăm"), (10**12, "một nghìn tỷ"),
])
def test_read_int(n: int, words: str) -> None:
    assert read_int(n) == words


def test_nothing_is_left_in_digits() -> None:
    text = normalise("Lúc 17:30 ngày 2/9/2025, 350 hộ, 2,5%, gọi 0912345678, 150 kWh, 50.000đ, thứ 4.")
    assert not any(c.isdigit() for c in text), text
