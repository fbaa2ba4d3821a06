"""The route table as the access tests see it: every API route of the real app with its declaration,
and example values for path parameters so each route can be called for real."""

from __future__ import annotations

import re
from collections.abc import Mapping

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from hub.api.access import DeclaredRoute, declared_routes

# FastAPI's own documentation routes (plain Starlette routes, not APIRoutes): kept public on purpose,
# see the report in tests/auth/test_access.py.
FASTAPI_OWN = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})

# One value per path parameter name, like a real request would carry. A route with a new parameter name
# fails the access tests until its example is added here.
PARAMS: dict[str, str] = {
    "device": "den-1",  # a light of tests.hub.sites.small_site
    "code": "NOSUCHCODE23",
    "name": "missing.js",
    "id": "1",
    "rule_id": "1",
    "command_id": "1",
    "fault_id": "1",
    "bulletin_id": "b1",
    "sha256": "0" * 64,
}

_PARAM = re.compile(r"{(\w+)(?::\w+)?}")


def concrete(path: str, extra: Mapping[str, str] = {}) -> str:
    values = {**PARAMS, **extra}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"path parameter {{{name}}} of {path}: add an example value to PARAMS in {__name__}")
        return values[name]

    return _PARAM.sub(fill, path)


def operations(app: FastAPI) -> list[tuple[str, str, DeclaredRoute]]:
    """(method, path template, route) for every method of every API route, HEAD left out."""
    return sorted(
        ((m, r.path, r) for r in declared_routes(app) for m in r.methods if m != "HEAD"), key=lambda o: o[:2]
    )


def undeclared(app: FastAPI) -> list[str]:
    """What default deny refuses: API routes with no allow()/public(), and any other kind of route (a mount
    or a plain Starlette route cannot carry a declaration) except FastAPI's documentation."""
    problems = [f"{sorted(r.methods)} {r.path}: no allow()/public()" for r in declared_routes(app) if not r.rules]
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) and context.path not in FASTAPI_OWN:
            problems.append(f"{type(route).__name__} {context.path}: serve it from an APIRoute with public()")
    return problems


def body_operations(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) of the routes that read a request body: where a streamed body is counted."""
    found = set()
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.dependant.body_params:
            found |= {(m, str(context.path)) for m in context.methods or () if m != "HEAD"}
    return sorted(found)
