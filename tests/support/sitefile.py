"""Write a Site as an inventory TOML file, so a hub subprocess can load a site built in a test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from devices.site import Site


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def site_toml(site: Site) -> str:
    data = site.model_dump(mode="json", exclude_none=True)
    lines = [f"{k} = {_value(v)}" for k, v in data.items() if not isinstance(v, list)]
    for table, items in data.items():
        if isinstance(items, list):
            for item in items:
                lines += ["", f"[[{table}]]"] + [f"{k} = {_value(v)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"


def write_site(site: Site, path: Path) -> Path:
    path.write_text(site_toml(site), encoding="utf-8")
    return path
