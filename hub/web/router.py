"""Serves the web app: `/` is the shell (index.html), `/app/{file}` its CSS and JS modules.

The files are few and small, so they are read once, gzipped once and served from memory. Phones on a weak
4G signal get the gzipped bytes, and on later visits a 304 for each file whose ETag they already hold.
There is no build step: what is in static/ is what the browser runs.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from fastapi import APIRouter, HTTPException, Request, Response

from hub.api.access import public

STATIC: Final = Path(__file__).resolve().parent / "static"
TYPES: Final = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml"}
# The app loads nothing from elsewhere (the hamlet may have no internet); the QR code is a data: image.
CSP: Final = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
HEADERS: Final = {
    "Cache-Control": "no-cache",  # always revalidate (a 304 is ~150 bytes): an update reaches every phone
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Vary": "Accept-Encoding",
}

router = APIRouter(tags=["web"], dependencies=[public()], include_in_schema=False)


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes
    etag: str
    media_type: str


@cache
def assets() -> dict[str, Asset]:
    """Every file under static/, keyed by its path relative to it (e.g. "js/main.js")."""
    out: dict[str, Asset] = {}
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            body = path.read_bytes()
            media = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            charset = "; charset=utf-8" if media.startswith("text/") or media.endswith("+xml") else ""
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            out[path.relative_to(STATIC).as_posix()] = Asset(body, gzip.compress(body, 9, mtime=0), etag,
                                                             media + charset)
    return out


def _serve(request: Request, name: str) -> Response:
    asset = assets().get(name)
    if asset is None:
        raise HTTPException(404, "no such file")
    headers = {**HEADERS, "ETag": asset.etag}
    if asset.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@router.get("/")
def index(request: Request) -> Response:
    return _serve(request, "index.html")


@router.get("/app/{name:path}")
def app_file(request: Request, name: str) -> Response:
    # Only names of files found under static/ at start are served: no path is ever joined from the request.
    return _serve(request, name)
