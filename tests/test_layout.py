"""The layout's import direction (design.md §2), checked by reading the source with `ast`, not importing it.

- `devices` is the pure contract: it imports neither `hub` nor `simulators` (nor paho: no I/O).
- `simulators` speak only the contract: they never import `hub`.
- services talk to the `Bus` protocol: inside `hub/`, only `hub/bus/` imports paho.
- topic strings are built and parsed in `devices/contract.py` alone.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("devices", "hub", "simulators")
TOPIC_ROOT = "hamlet/v1"
TOPIC_MODULE = Path("devices/contract.py")

# package -> top-level modules it must not import
FORBIDDEN = {
    "devices": {"hub", "simulators", "paho"},
    "simulators": {"hub"},
}


def sources() -> Iterator[Path]:
    """Every Python file of the three packages, relative to the repository root."""
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT)


def imported_modules(source: str, module: str) -> set[str]:
    """Absolute names of the modules `source` imports; `module` (dotted) resolves relative imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add(_absolute(node, module))
    return found


def _absolute(node: ast.ImportFrom, module: str) -> str:
    if node.level == 0:
        return node.module or ""
    # `from . import x` in a.b.c (a module) is relative to a.b; each extra dot goes one package up.
    base = module.split(".")[: -node.level]
    return ".".join([*base, node.module] if node.module else base)


def topic_literals(source: str) -> list[int]:
    """Lines of string literals holding a topic root; docstrings only describe topics, so they don't count."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and TOPIC_ROOT in node.value
        and id(node) not in docstrings
    ]


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes of a module and its classes and functions."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def module_name(path: Path) -> str:
    """devices/light.py -> devices.light; a package's __init__ stays a module inside the package."""
    return ".".join(path.with_suffix("").parts)


def top(name: str) -> str:
    return name.split(".")[0]


def violations(path: Path, source: str) -> list[str]:
    """What `path` breaks of the layout's rules, one line each."""
    package = path.parts[0]
    imports = imported_modules(source, module_name(path))
    out = [f"{path}: imports {name}" for name in sorted(imports) if top(name) in FORBIDDEN.get(package, set())]
    if package == "hub" and path.parts[:2] != ("hub", "bus"):
        out += [f"{path}: imports {name} outside hub/bus" for name in sorted(imports) if top(name) == "paho"]
    if path != TOPIC_MODULE:
        out += [f"{path}:{line}: topic string {TOPIC_ROOT!r}" for line in topic_literals(source)]
    return out


def test_the_packages_are_there() -> None:
    assert TOPIC_MODULE in set(sources())
    assert TOPIC_ROOT in (ROOT / TOPIC_MODULE).read_text(encoding="utf-8")


def test_the_layout_rules_hold() -> None:
    found = [v for path in sources() for v in violations(path, (ROOT / path).read_text(encoding="utf-8"))]
    assert found == []


# --- the checker itself: each rule catches what it should, so a passing suite means something


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("devices/light.py", "import hub.bus\n"),
        ("devices/light.py", "from hub.bus import base\n"),
        ("devices/site.py", "from simulators import fleet\n"),
        ("devices/site.py", "import paho.mqtt.client as mqtt\n"),
        ("devices/site.py", "def f() -> None:\n    import hub\n"),  # an import inside a function counts
        ("simulators/fleet.py", "from hub.bus.memory import MemoryBus\n"),
        ("simulators/sub/x.py", "from ...hub import settings\n"),  # relative, resolves to hub.settings
        ("hub/services/lights.py", "import paho.mqtt.client\n"),
        ("hub/api/devices.py", "from paho.mqtt.enums import CallbackAPIVersion\n"),
        ("hub/services/lights.py", 'TOPIC = "hamlet/v1/" + site\n'),
        ("simulators/light.py", 'def t(s: str) -> str:\n    return f"hamlet/v1/{s}/light"\n'),
        ("devices/light.py", 'PREFIX = "hamlet/v1"\n'),
    ],
)
def test_the_checker_catches(path: str, source: str) -> None:
    assert violations(Path(path), source) != []


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("hub/bus/mqtt.py", "import paho.mqtt.client as mqtt\n"),
        ("hub/services/lights.py", "from devices.contract import topic\nfrom hub.bus.base import Bus\n"),
        ("simulators/fleet.py", "import paho.mqtt.client\nfrom devices.kinds import spec\n"),
        ("devices/kinds.py", "from devices import camera, light, speaker\nfrom . import messages\n"),
        ("devices/contract.py", 'PREFIX = "hamlet/v1"\n'),
        ("hub/ingest/decode.py", '"""Topics look like hamlet/v1/{site}/..."""\n'),
        ("hub/x.py", 'class A:\n    """Reads hamlet/v1/# topics."""\n'),
        ("devices/x.py", "import hubris\n"),  # a name that merely starts like a package is not it
    ],
)
def test_the_checker_allows(path: str, source: str) -> None:
    assert violations(Path(path), source) == []


def test_relative_imports_resolve_against_the_module() -> None:
    assert imported_modules("from . import x", "hub.api.devices") == {"hub.api"}
    assert imported_modules("from ..bus import base", "hub.api.devices") == {"hub.bus"}
    assert imported_modules("from .light import LightState", "devices.__init__") == {"devices.light"}
