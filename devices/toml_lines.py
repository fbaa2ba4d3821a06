"""Where each key and array element of a TOML document starts: tomllib gives values but no positions.

`key_lines(text)` maps a location as pydantic spells it, e.g. ("devices", 3, "group") or
("roads", 0, "path", 5, "lat"), to the 1-based line it is written on; `line_of` looks a location up and
falls back to the nearest enclosing table or key (a missing key is reported at its table's header), then
to line 1. The scanner only reads documents tomllib has already accepted, so it skips values instead of
checking them; on anything it does not follow it stops and returns what it found so far.
"""

from __future__ import annotations

import bisect
import contextlib
import re
from typing import Final

Loc = tuple[str | int, ...]

_BARE_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END: Final = re.compile(r"[,\]}\n#]")


def key_lines(text: str) -> dict[Loc, int]:
    scanner = _Scanner(text)
    # Not a document tomllib accepted: keep the positions found so far.
    with contextlib.suppress(IndexError, ValueError):
        scanner.document()
    return scanner.lines


def line_of(lines: dict[Loc, int], loc: Loc) -> int:
    """The line of `loc`, else of its nearest enclosing key or table, else 1."""
    for end in range(len(loc), 0, -1):
        line = lines.get(loc[:end])
        if line is not None:
            return line
    return 1


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.lines: dict[Loc, int] = {}
        # Elements made so far of each array of tables, keyed by its resolved location: `[[a.b]]` appends
        # to `b` in the last `[[a]]`, so the count restarts under each new `a` element by construction.
        self.arrays: dict[Loc, int] = {}
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self) -> int:
        return bisect.bisect_right(self._starts, self.pos)

    def mark(self, loc: Loc) -> None:
        self.lines.setdefault(loc, self.line())

    def document(self) -> None:
        table: Loc = ()
        while self._skip(newlines=True) < len(self.text):
            if self.text.startswith("[", self.pos):
                table = self._header()
            else:
                self._key_value(table)

    def _header(self) -> Loc:
        is_array = self.text.startswith("[[", self.pos)
        self.pos += 2 if is_array else 1
        keys = self._key()
        self.pos += 2 if is_array else 1
        loc = (*self._resolve(keys[:-1]), keys[-1])
        if is_array:
            index = self.arrays.get(loc, 0)
            self.arrays[loc] = index + 1
            loc = (*loc, index)
        for end in range(1, len(loc) + 1):
            self.mark(loc[:end])  # `[a.b]` also places `a`, so a problem with `a` has a line
        return loc

    def _resolve(self, keys: list[str]) -> Loc:
        """A header's parent path, with each array-of-tables part pointing at its last element."""
        loc: Loc = ()
        for key in keys:
            loc = (*loc, key)
            if loc in self.arrays:
                loc = (*loc, self.arrays[loc] - 1)
        return loc

    def _key_value(self, table: Loc) -> None:
        loc = table
        for key in self._key():
            loc = (*loc, key)
            self.mark(loc)
        self._skip()
        self.pos += 1  # '='
        self._value(loc)

    def _key(self) -> list[str]:
        keys: list[str] = []
        while True:
            self._skip()
            keys.append(self._simple_key())
            self._skip()
            if not self.text.startswith(".", self.pos):
                return keys
            self.pos += 1

    def _simple_key(self) -> str:
        quote = self.text[self.pos]
        if quote in "\"'":
            start = self.pos + 1
            self._string()
            return self.text[start : self.pos - 1]
        match = _BARE_KEY.match(self.text, self.pos)
        if match is None:
            raise ValueError(f"no key at offset {self.pos}")
        self.pos = match.end()
        return match.group()

    def _value(self, loc: Loc) -> None:
        self._skip()
        char = self.text[self.pos]
        if char in "\"'":
            self._string()
        elif char == "[":
            self._array(loc)
        elif char == "{":
            self._inline_table(loc)
        else:
            match = _SCALAR_END.search(self.text, self.pos)
            self.pos = match.start() if match else len(self.text)

    def _array(self, loc: Loc) -> None:
        self.pos += 1
        index = 0
        while self._skip(newlines=True) < len(self.text) and self.text[self.pos] != "]":
            self.mark((*loc, index))
            self._value((*loc, index))
            if self._skip(newlines=True) < len(self.text) and self.text[self.pos] == ",":
                self.pos += 1
            index += 1
        self.pos += 1

    def _inline_table(self, loc: Loc) -> None:
        self.pos += 1
        while self._skip(newlines=True) < len(self.text) and self.text[self.pos] != "}":
            if self.text[self.pos] == ",":
                self.pos += 1
                continue
            self._key_value(loc)
        self.pos += 1

    def _string(self) -> None:
        quote = self.text[self.pos]
        delimiter = quote * 3 if self.text.startswith(quote * 3, self.pos) else quote
        self.pos += len(delimiter)
        while not self.text.startswith(delimiter, self.pos):
            if self.pos >= len(self.text):
                raise ValueError("unterminated string")
            # Only basic ("...") strings have escapes; a literal ('...') string ends at the next quote.
            self.pos += 2 if quote == '"' and self.text[self.pos] == "\\" else 1
        self.pos += len(delimiter)
        # A multi-line string may end with up to two quotes of its own right before its delimiter.
        extra = 0
        while len(delimiter) == 3 and extra < 2 and self.text.startswith(quote, self.pos):
            self.pos += 1
            extra += 1

    def _skip(self, newlines: bool = False) -> int:
        """Skip spaces and comments (and newlines when asked); return the new position."""
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t\r" or (newlines and char == "\n"):
                self.pos += 1
            elif char == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            else:
                break
        return self.pos
