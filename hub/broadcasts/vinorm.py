"""Vietnamese text normalisation for speech: what a hamlet head types -> what a loudspeaker should say.
Pure. Northern reading, as in Phú Thọ: "linh" for a zero ten, "mốt/tư/lăm" after "mươi", "nghìn".

Written here because the normalisers on PyPI got the cases of tests/broadcasts/speech_cases.py wrong
(measured 2026-11-29): vietnormalizer 0.2.3 35/53 (reads 1.005.000 as "một triệu năm nghìn", a phone
number as one big number, "ngày 2/9" as "ngày ngày…"), vinormx 1.0.8 18/53 ("2025" as "…hai mươi năm",
"1.000" as "một phẩy không không không"), soe-vinorm 0.3.2 0/53 offline (it downloads a model from the
Hugging Face hub at first use, and pins numpy 1.x). See docs/broadcasts.md.

The rules run in order, most specific first (a phone number before a date before a time before a plain
number), each a regex with a function that reads its match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Final

DIGITS: Final = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
SCALES: Final = ("", "nghìn", "triệu", "tỷ", "nghìn tỷ")
ABBREVIATIONS: Final = {
    "UBND": "Ủy ban nhân dân", "HĐND": "Hội đồng nhân dân", "MTTQ": "Mặt trận Tổ quốc", "HTX": "hợp tác xã",
    "THCS": "trung học cơ sở", "THPT": "trung học phổ thông", "BHYT": "bảo hiểm y tế", "BHXH": "bảo hiểm xã hội",
    "CCCD": "căn cước công dân", "PCCC": "phòng cháy chữa cháy", "ĐT": "điện thoại", "SĐT": "số điện thoại",
}
UNITS: Final = {
    "kWh": "ki-lô-oát giờ", "kW": "ki-lô-oát", "W": "oát", "km/h": "ki-lô-mét trên giờ", "km": "ki-lô-mét",
    "kg": "ki-lô-gam", "mm": "mi-li-mét", "cm": "xăng-ti-mét", "m²": "mét vuông", "m2": "mét vuông", "m": "mét",
    "ha": "héc-ta", "°C": "độ C", "độ C": "độ C", "đồng": "đồng", "đ": "đồng", "VNĐ": "đồng", "VND": "đồng",
    "vnđ": "đồng",
}
NUMBER: Final = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?(?!\d)|\d+(?:[,.]\d+)?"
_UNIT_ALT: Final = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))


def read_int(n: int) -> str:
    """An integer in words: 2025 -> "hai nghìn không trăm hai mươi lăm"."""
    if n < 0:
        return "âm " + read_int(-n)
    if n == 0:
        return DIGITS[0]
    if n >= 10**15:
        return read_digits(str(n))
    groups = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    words: list[str] = []
    for scale in range(len(groups) - 1, -1, -1):
        if groups[scale]:
            words += _hundreds(groups[scale], full=bool(words))
            words += [SCALES[scale]] if SCALES[scale] else []
    return " ".join(words)


def _hundreds(n: int, full: bool) -> list[str]:
    """0-999; `full` after a higher group: 25 -> "không trăm hai mươi lăm", 5 -> "không trăm linh năm"."""
    h, t, u = n // 100, n // 10 % 10, n % 10
    words = [DIGITS[h], "trăm"] if h or full else []
    if t == 0:
        return words + (["linh"] if words and u else []) + ([DIGITS[u]] if u else [])
    if t == 1:
        return [*words, "mười", *(["lăm" if u == 5 else DIGITS[u]] if u else [])]
    last = {1: "mốt", 4: "tư", 5: "lăm"}.get(u, DIGITS[u]) if u else None
    return [*words, DIGITS[t], "mươi", *([last] if last else [])]


def read_digits(text: str) -> str:
    return " ".join(DIGITS[int(c)] for c in text if c.isdigit())


def read_number(text: str) -> str:
    """"1.500.000" -> một triệu năm trăm nghìn; "2,5" -> hai phẩy năm; "2,05" -> hai phẩy không năm."""
    sign = "âm " if text.startswith("-") else ""
    text = text.lstrip("-")
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", text):
        text = text.replace(".", "")
    whole, _, frac = text.replace(".", ",").partition(",")
    words = read_int(int(whole))
    if frac:
        words += " phẩy " + (read_digits(frac) if frac.startswith("0") else read_int(int(frac)))
    return sign + words


def _month(m: int) -> str:
    return "tư" if m == 4 else read_int(m)


def _date(match: re.Match[str]) -> str:
    word, d, m, y = match.group("w"), int(match["d"]), int(match["m"]), match["y"]
    if not (1 <= d <= 31 and 1 <= m <= 12):
        return match.group(0).replace("/", " trên ")
    said = f"{word or 'ngày'} {read_int(d)} tháng {_month(m)}"
    return said + (f" năm {read_int(int(y))}" if y else "")


def _month_year(match: re.Match[str]) -> str:
    m = int(match["m"])
    if not 1 <= m <= 12:
        return match.group(0)
    return f"{match['w'] or 'tháng'} {_month(m)} năm {read_int(int(match['y']))}"


def _time(match: re.Match[str]) -> str:
    minutes = int(match["min"] or match["min2"] or 0)
    return f"{read_int(int(match['h']))} giờ" + (f" {read_int(minutes)} phút" if minutes else "")


def _phone(match: re.Match[str]) -> str:
    """Digit by digit, in the groups as typed, else 4-3-3 (or 3-3-3 after +84): the pauses help."""
    raw = match.group(0)
    prefix, body = ("cộng tám tư, ", raw[3:].strip(" .-")) if raw.startswith("+84") else ("", raw)
    if re.search(r"[ .-]", body):
        groups = re.split(r"[ .-]", body)
    else:
        cuts = (0, 3, 6, 9) if prefix else (0, 4, 7)
        groups = [body[a:b] for a, b in zip(cuts, (*cuts[1:], None), strict=True)]
    return prefix + ", ".join(read_digits(g) for g in groups if g)


def _with_unit(match: re.Match[str]) -> str:
    return f"{read_number(match['n'])} {UNITS[match['u']]}"


def _ordinal(match: re.Match[str]) -> str:
    n = int(match["n"])
    return f"{match['w']} " + {1: "nhất", 4: "tư"}.get(n, read_int(n))


def _abbreviation(match: re.Match[str]) -> str:
    return ABBREVIATIONS[match.group(0)]


Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str] | str]
_ABBR = "|".join(sorted(ABBREVIATIONS, key=len, reverse=True))
RULES: Final[tuple[Rule, ...]] = (
    (re.compile(rf"(?<!\w)(?:{_ABBR})(?!\w)"), _abbreviation),
    (re.compile(r"(?<![\w+.,])(?:\+84[ .-]?|0)\d(?:[ .-]?\d){7,9}(?![\w]|[.,]\d)"), _phone),
    (re.compile(r"(?<=\d)\s+[-–]\s+(?=\d)"), " đến "),  # "7:30 - 11:00"
    (re.compile(r"(?:(?P<w>\b[Nn]gày)\s+)?(?<![\d/])(?P<d>\d{1,2})(?P<s>[/-])(?P<m>\d{1,2})(?P=s)(?P<y>\d{4})(?!\d)"),
     _date),
    (re.compile(r"(?:(?P<w>\b[Tt]háng)\s+)?(?<![\d/])(?P<m>\d{1,2})/(?P<y>\d{4})(?![\d/])"), _month_year),
    (re.compile(r"(?:(?P<w>\b[Nn]gày)\s+)?(?<![\d/])(?P<d>\d{1,2})/(?P<m>\d{1,2})(?P<y>)(?![\d/])"), _date),
    (re.compile(r"(?<![\d:.,])(?P<h>[01]?\d|2[0-4])(?::(?P<min>[0-5]\d)|[hg](?P<min2>[0-5]\d)?)(?![\w:])"),
     _time),
    (re.compile(r"(giờ|phút)\s*[-–]\s*(?=\S)"), r"\1 đến "),  # "15h30-17h"
    (re.compile(rf"(?P<n>-?(?:{NUMBER}))\s?%"), lambda m: f"{read_number(m['n'])} phần trăm"),
    (re.compile(rf"(?P<n>-?(?:{NUMBER}))\s?(?P<u>{_UNIT_ALT})(?!\w)"), _with_unit),
    (re.compile(r"(?P<w>\b[Tt]hứ)\s+(?P<n>[1-7])(?!\d)"), _ordinal),
    (re.compile(r"(?<=\d)[-–](?=\d)"), " đến "),
    (re.compile(r"(?<![\w)])-(?=\d)"), "âm "),
    (re.compile(r"(?<=\d)(?=[^\W\d_])"), " "),  # "12A": a house number's letter is said apart
    (re.compile(NUMBER), lambda m: read_number(m.group(0))),
)


def normalise(text: str) -> str:
    """`text` as it should be spoken: numbers, dates, times, phones, units and abbreviations in words."""
    out = unicodedata.normalize("NFC", text)
    for pattern, replace in RULES:
        out = pattern.sub(replace, out)
    return re.sub(r"[ \t]+", " ", out).strip()
