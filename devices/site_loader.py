"""Read a site inventory (TOML, see docs/site-inventory.md) into a `Site`.

A wrong file raises `SiteError`, whose message names the file, the line and the field path of every
problem, e.g. `son-vi-khu-10.toml line 42: devices[3].group: 'ngo-99' is not a known group for a light`.
tomllib reports no positions for values, so the field paths pydantic gives are mapped back to lines by
scanning the text (devices/toml_lines.py).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from devices.contract import ID_PATTERN
from devices.site import Site
from devices.toml_lines import Loc, key_lines, line_of

MODEL_SITE_PATH: Final = Path(__file__).parent / "sites" / "son-vi-khu-10.toml"

# A check_references message starts with the path it is about: "devices[7].group: ...".
_PATH_PREFIX: Final = re.compile(r"(?P<path>[A-Za-z_][\w-]*(?:\[\d+\])?(?:\.[A-Za-z_][\w-]*(?:\[\d+\])?)*): ")
_PATH_PART: Final = re.compile(r"([A-Za-z_][\w-]*)|\[(\d+)\]")
_TOML_POSITION: Final = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")
_NO_DATES: Final = "dates and times are not used in a site file: write a number or a quoted string"


@dataclass(frozen=True, slots=True)
class Problem:
    line: int  # 1-based
    path: str  # e.g. "devices[3].group"; empty for a problem with the file's syntax
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: {self.path}: " if self.path else f"line {self.line}: "
        return where + self.message


class SiteError(ValueError):
    """A site file that cannot be used; `problems` holds each one in line order (at least one)."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(sorted(problems, key=lambda p: p.line))
        super().__init__("\n".join(f"{source} {p}" for p in self.problems))

    @property
    def line(self) -> int:
        return self.problems[0].line

    @property
    def path(self) -> str:
        return self.problems[0].path


def load_site(path: Path) -> Site:
    """Read and check a site file; OSError if it cannot be read, SiteError if it is wrong."""
    return parse_site(_decode(path.read_bytes(), str(path)), str(path))


def load_model_site() -> Site:
    """The model site shipped with the package: khu dân cư số 10, xã Sơn Vi."""
    return load_site(MODEL_SITE_PATH)


def parse_site(text: str, source: str = "<string>") -> Site:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SiteError(source, [_syntax_problem(str(exc), text)]) from exc
    lines = key_lines(text)
    dated = [Problem(line_of(lines, loc), format_path(loc), _NO_DATES) for loc in _datetimes(data, ())]
    if dated:
        raise SiteError(source, dated)
    try:
        # Validated as JSON: strict models take enum values ("light") from JSON but only enum members from
        # Python objects, and every TOML type but dates (refused above) has a JSON twin.
        return Site.model_validate_json(json.dumps(data, ensure_ascii=False))
    except ValidationError as exc:
        raise SiteError(source, [_problem(error, lines) for error in exc.errors()]) from exc


def _decode(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8-sig")  # tolerate the BOM some Windows editors write
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SiteError(source, [Problem(line, "", "the file is not UTF-8 text")]) from exc


def _syntax_problem(message: str, text: str) -> Problem:
    """tomllib's message ends with "(at line L, column C)" or "(at end of document)"."""
    match = _TOML_POSITION.search(message)
    if match is None:
        return Problem(1, "", f"TOML syntax error: {message}")
    line = int(match[1]) if match[1] else text.count("\n") + 1
    column = f" (column {match[2]})" if match[2] else ""
    return Problem(line, "", f"TOML syntax error: {message[: match.start()]}{column}")


def _datetimes(value: object, loc: Loc) -> Iterator[Loc]:
    if isinstance(value, date | time):  # datetime is a date
        yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _datetimes(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _datetimes(item, (*loc, index))


def _problem(error: ErrorDetails, lines: dict[Loc, int]) -> Problem:
    loc: Loc = tuple(error["loc"])
    message = _message(error)
    if not loc:  # a model validator (check_references): the path leads its message
        match = _PATH_PREFIX.match(message)
        if match:
            loc, message = parse_path(match["path"]), message[match.end() :]
    return Problem(line_of(lines, loc), format_path(loc), message)


def _message(error: ErrorDetails) -> str:
    kind, loc, value = error["type"], error["loc"], error.get("input")
    if kind == "extra_forbidden":
        return f"unknown key {loc[-1]!r}: not part of the site format (see docs/site-inventory.md)"
    if kind == "missing":
        return f"required key {loc[-1]!r} is missing"
    if kind == "value_error":
        return str(_ctx(error, "error") or error["msg"])
    if kind == "string_pattern_mismatch" and _ctx(error, "pattern") == ID_PATTERN:
        return (
            f"{value!r} is not a valid id: use 1-32 lowercase letters, digits or '-', starting with a letter or digit"
        )
    if isinstance(value, str | int | float | bool):
        return f"{error['msg']} (got {value!r})"
    return error["msg"]


def _ctx(error: ErrorDetails, key: str) -> Any:
    return error.get("ctx", {}).get(key)


def format_path(loc: Loc) -> str:
    """("devices", 3, "group") -> "devices[3].group", the spelling check_references uses."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def parse_path(path: str) -> Loc:
    """Parse a field path, e.g. "devices[3].group" -> ("devices", 3, "group"); the inverse of format_path."""
    return tuple(int(index) if index else name for name, index in _PATH_PART.findall(path))
