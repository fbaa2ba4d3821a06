"""Positions of keys and array elements in TOML text, as pydantic spells their locations."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator

from devices.site_loader import MODEL_SITE_PATH
from devices.toml_lines import Loc, key_lines, line_of

TRICKY = '''\
# strings that look like syntax must not confuse the scanner
title = "a # not a comment [[devices]] x = 1"
quote = 'C:\\path\\'   # a literal string ends at its quote
escaped = "say \\"hi\\" = ok"
poem = """
[[devices]]
id = "not-a-device"
"""
verbatim = \'\'\'
also = "not a key"
\'\'\'
ends_with_quotes = """x"""""
position = { lat = 1.5, lon = 2 }
dotted.key = 3
"quoted.key" = 4

[[roads]]
id = "r1"
path = [
  # a comment inside an array
  { lat = 1, lon = 2 },

  { lat = 3, lon = 4 }, { lat = 5, lon = 6 },
]

[roads.extra]
nested = [[1, 2], [3,
  4]]

[[roads.signs]]
text = "Ngõ 1"

[[roads]]
id = "r2"

[[roads.signs]]
text = "Ngõ 2"

[[devices]]
id = "d0"

[devices.position]
lat = 1
'''


def leaves(value: object, loc: Loc = ()) -> Iterator[Loc]:
    """Every location tomllib produced: each table key and each array element."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*loc, key)
            yield from leaves(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*loc, index)
            yield from leaves(item, (*loc, index))


def at(needle: str, nth: int = 0) -> int:
    """The line of the nth occurrence of `needle` in TRICKY."""
    pos = -1
    for _ in range(nth + 1):
        pos = TRICKY.index(needle, pos + 1)
    return TRICKY.count("\n", 0, pos) + 1


def test_every_location_tomllib_sees_has_a_line() -> None:
    # ...and nothing else: text inside strings or comments is never taken for a key.
    assert set(key_lines(TRICKY)) == set(leaves(tomllib.loads(TRICKY)))


def test_keys_are_placed_on_their_own_lines() -> None:
    lines = key_lines(TRICKY)
    assert lines[("title",)] == at("title =")
    assert lines[("poem",)] == at("poem =")
    assert lines[("ends_with_quotes",)] == at("ends_with_quotes")
    assert lines[("position", "lon")] == at("position =")
    assert lines[("dotted", "key")] == at("dotted.key")
    assert lines[("quoted.key",)] == at('"quoted.key"')
    # Text inside strings is not taken for tables or keys.
    assert ("devices", 1) not in lines
    assert ("also",) not in lines


def test_array_elements_and_arrays_of_tables_are_counted() -> None:
    lines = key_lines(TRICKY)
    assert lines[("roads", 0)] == at("[[roads]]", 0)
    assert lines[("roads", 1)] == at("[[roads]]", 1)
    assert lines[("roads", 1, "id")] == at('id = "r2"')
    assert lines[("roads", 0, "path", 0, "lat")] == at("{ lat = 1, lon = 2 }")
    assert lines[("roads", 0, "path", 1)] == at("{ lat = 3, lon = 4 }")
    assert lines[("roads", 0, "path", 2, "lon")] == at("{ lat = 3, lon = 4 }")
    assert lines[("roads", 0, "extra", "nested", 1, 1)] == at("  4]]")
    # [[roads.signs]] belongs to the latest [[roads]]: its count starts again under each road.
    assert lines[("roads", 0, "signs", 0, "text")] == at('"Ngõ 1"')
    assert lines[("roads", 1, "signs", 0, "text")] == at('"Ngõ 2"')
    assert lines[("devices", 0, "position", "lat")] == at("lat = 1\n")


def test_line_of_falls_back_to_the_enclosing_table_then_line_one() -> None:
    lines = key_lines(TRICKY)
    assert line_of(lines, ("roads", 1, "name")) == at("[[roads]]", 1)  # a missing key: its table
    assert line_of(lines, ("roads", 0, "path", 1, "lat", "x")) == at("{ lat = 3, lon = 4 }")
    assert line_of(lines, ("nowhere",)) == 1
    assert line_of(lines, ()) == 1


def test_text_that_is_not_toml_gives_what_was_found_so_far() -> None:
    lines = key_lines('a = 1\nb = "unterminated\n')
    assert lines[("a",)] == 1


def test_every_location_of_the_model_site_has_a_line() -> None:
    text = MODEL_SITE_PATH.read_text(encoding="utf-8")
    lines = key_lines(text)
    assert set(lines) == set(leaves(tomllib.loads(text)))
    # Spot check against the text itself: the 10th device's id is on the line after its header.
    headers = [n for n, line in enumerate(text.splitlines(), 1) if line == "[[devices]]"]
    assert lines[("devices", 9)] == headers[9]
    assert lines[("devices", 9, "id")] == headers[9] + 1
