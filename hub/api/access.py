"""Who may call a route. Default deny: every route declares `allow(...)` or `public()`, and a test walks
the route table for the marker these leave (`AccessRule.roles` / `AccessRule.public`).

    router = APIRouter(dependencies=[allow(*ANY_ROLE)])           # whole router
    @router.post("", dependencies=[allow(Role.HEAD)])              # one route
    def f(user: Annotated[Principal, allow(Role.HEAD)]) -> ...     # and receive the caller

Credentials: the `hamlet_session` cookie (browser) or `Authorization: Bearer` (scripts, scrapers).
A state-changing request authenticated by cookie must carry `X-CSRF-Token` equal to the `hamlet_csrf`
cookie, which is itself derived from the session (signed double-submit); bearer requests need none,
since a browser never attaches an Authorization header on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from hub.api import forwarded
from hub.auth.principal import ANY_ROLE, Principal, Role
from hub.auth.sessions import Via
from hub.auth.tokens import csrf_for, same

__all__ = [
    "ANY_ROLE", "CSRF_COOKIE", "CSRF_HEADER", "SESSION_COOKIE", "AccessRule", "DeclaredRoute", "Principal",
    "Role", "allow", "client_address", "declared_routes", "presented_token", "public",
]

SESSION_COOKIE = "hamlet_session"
CSRF_COOKIE = "hamlet_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Gate(Protocol):
    """What the access rules need from the hub's auth service (`hub.auth`)."""

    def principal_for(self, token: str, via: Via) -> Principal | None: ...

    def denied(self, who: Principal | None, target: str, address: str | None, reason: str) -> None: ...


class AccessRule:
    """A dependency callable that also carries the declaration, so tests can read it off `app.routes`."""

    def __init__(self, roles: tuple[Role, ...], *, public: bool = False) -> None:
        self.roles = roles
        self.public = public

    def __repr__(self) -> str:
        return "public()" if self.public else f"allow({', '.join(r.value for r in self.roles)})"


class _Allow(AccessRule):
    # A plain `def`: FastAPI runs it in the threadpool, so the SQLite session lookup never blocks the loop.
    def __call__(self, request: Request) -> Principal:
        gate: Gate = request.app.state.hub.auth
        principal, via = _authenticate(request, gate)
        if principal is None:
            _deny(gate, None, request, 401, "not logged in", "missing or invalid credentials")
        if principal.role not in self.roles:
            _deny(gate, principal, request, 403, "this role may not do this", f"role {principal.role}")
        if via == "cookie" and request.method not in SAFE_METHODS and not _csrf_ok(request):
            _deny(gate, principal, request, 403, "missing or wrong CSRF token", "csrf")
        return principal


class _Public(AccessRule):
    def __call__(self) -> None:
        return None


def allow(*roles: Role) -> Any:
    """`Depends` that admits only these roles: 401 without valid credentials, 403 for another role."""
    if not roles:
        raise ValueError("allow() needs at least one role; use public() for an open route")
    return Depends(_Allow(tuple(dict.fromkeys(roles))))


def public() -> Any:
    """`Depends` marking a route as deliberately open (login, healthz, invite acceptance, the web app)."""
    return Depends(_Public((), public=True))


@dataclass(frozen=True)
class DeclaredRoute:
    path: str
    methods: frozenset[str]
    name: str
    rules: tuple[AccessRule, ...]  # empty: the route declares nothing, which the default-deny test refuses


def declared_routes(app: FastAPI) -> list[DeclaredRoute]:
    """Every API route of the app with its access declarations (router + route + parameters). FastAPI
    >= 0.137 keeps included routers lazily in `app.routes`, so walk the effective routes it resolves."""
    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            dependant: Dependant = context.dependant
            found.append(DeclaredRoute(
                str(context.path), frozenset(context.methods or ()), str(context.name), _rules(dependant)
            ))
    return found


def _rules(root: Dependant) -> tuple[AccessRule, ...]:
    found: list[AccessRule] = []
    stack = [root]
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, AccessRule):
            found.append(dependant.call)
        stack.extend(dependant.dependencies)
    return tuple(found)


def presented_token(request: Request) -> tuple[str, Via] | None:
    """The credential the request carries: a bearer token wins over the cookie (scripts set it on purpose)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip(), "bearer"
    if token := request.cookies.get(SESSION_COOKIE):
        return token, "cookie"
    return None


def client_address(request: Request) -> str | None:
    """The address logins are limited and audited by (hub.api.forwarded: X-Forwarded-For only from a
    trusted proxy)."""
    peer = request.client.host if request.client else None
    proxies = request.app.state.hub.settings.trusted_proxies
    return forwarded.client_address(peer, ",".join(request.headers.getlist("x-forwarded-for")), proxies)


def _authenticate(request: Request, gate: Gate) -> tuple[Principal | None, Via | None]:
    cached: tuple[Principal | None, Via | None] | None = getattr(request.state, "hamlet_auth", None)
    if cached is not None:  # a route may carry two rules (router + parameter): look up once
        return cached
    presented = presented_token(request)
    result: tuple[Principal | None, Via | None] = (None, None)
    if presented is not None:
        result = (gate.principal_for(*presented), presented[1])
    request.state.hamlet_auth = result
    return result


def _csrf_ok(request: Request) -> bool:
    header = request.headers.get(CSRF_HEADER, "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    session = request.cookies.get(SESSION_COOKIE, "")
    return bool(header) and same(header, cookie) and same(header, csrf_for(session))


def _deny(
    gate: Gate, who: Principal | None, request: Request, status: int, message: str, reason: str
) -> NoReturn:
    # Anonymous reads are the web app's first load, not an attempt: keep them out of the audit log.
    if who is not None or request.method not in SAFE_METHODS or _presented(request):
        gate.denied(who, f"{request.method} {request.url.path}", client_address(request), reason)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    raise HTTPException(status, message, headers=headers)


def _presented(request: Request) -> bool:
    return SESSION_COOKIE in request.cookies or "authorization" in request.headers
