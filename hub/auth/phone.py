"""Vietnamese phone numbers: one canonical form (E.164, `+84912345678`) however people type them.

`0912 345 678`, `0912.345.678`, `+84 912 345 678`, `84912345678` and `0084912345678` are one account.
Since the 2018 renumbering a mobile number is 0 + 9 digits (03x, 05x, 07x, 08x, 09x) and a landline is
0 + 10 digits starting 02 (area code, e.g. 0210 for Phú Thọ); the old 11-digit 01x mobiles are gone.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s.\-()]")
MOBILE_PREFIXES = frozenset("35789")
MAX_INPUT = 32


class PhoneError(ValueError):
    """Not a Vietnamese phone number; the message says what to type instead."""


def normalise_phone(raw: str) -> str:
    """Canonical E.164 form of a Vietnamese number, or PhoneError with a message a person can act on."""
    if len(raw) > MAX_INPUT:
        raise PhoneError("phone number is too long")
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("+"):
        if not text.startswith("+84"):
            raise PhoneError("only Vietnamese numbers (+84) are accepted")
        national = text[3:]
    elif text.startswith("0084"):
        national = text[4:]
    elif text.startswith("84") and len(text) == 11:  # 84 + mobile; a national number never starts with 8
        national = text[2:]
    elif text.startswith("0"):
        national = text[1:]
    else:
        raise PhoneError("type the number as 0912 345 678 or +84 912 345 678")
    if national and not (national.isascii() and national.isdigit()):
        raise PhoneError("a phone number has only digits, spaces, dots and dashes")
    return "+84" + _check_national(national.removeprefix("0"))


def _check_national(national: str) -> str:
    if len(national) == 10 and national.startswith("1"):
        raise PhoneError("11-digit 01x numbers changed in 2018: use the new 10-digit number")
    if len(national) == 9 and national[0] in MOBILE_PREFIXES:
        return national
    if len(national) == 10 and national.startswith("2"):
        return national
    raise PhoneError("a Vietnamese number has 10 digits (mobile, 0912 345 678) or 11 (landline, 02xx)")


def display_phone(canonical: str) -> str:
    """How people write it: `0912 345 678` (mobile) or `0210 3xxx xxx` (landline)."""
    national = "0" + canonical.removeprefix("+84")
    if len(national) == 10:
        return f"{national[:4]} {national[4:7]} {national[7:]}"
    return f"{national[:4]} {national[4:8]} {national[8:]}"


def local_phone(canonical: str) -> str:
    """The national form without spaces (`0912345678`): what a person types on the login page."""
    return "0" + canonical.removeprefix("+84")
