"""Read back what landed in a real influxd 1.x, by device and seq, through its InfluxQL /query API."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections import defaultdict


def seqs_by_device(url: str, database: str, measurement: str = "light") -> dict[str, list[int]]:
    query = f'SELECT "seq" FROM "{measurement}" GROUP BY "device"'
    params = urllib.parse.urlencode({"db": database, "q": query, "epoch": "ms"})
    with urllib.request.urlopen(f"{url}/query?{params}", timeout=30) as r:
        body = json.loads(r.read())
    out: dict[str, list[int]] = defaultdict(list)
    for result in body.get("results", []):
        for series in result.get("series", []):
            device = series["tags"]["device"]
            out[device].extend(int(row[1]) for row in series["values"])
    return {device: sorted(values) for device, values in out.items()}
