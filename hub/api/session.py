"""POST/DELETE /api/session (log in, log out), GET/PATCH /api/me.

The browser gets two cookies: `hamlet_session` (HttpOnly, SameSite=Strict: scripts cannot read it, other
sites cannot send it) and `hamlet_csrf` (readable by the app's JS, echoed in X-CSRF-Token on every
state-changing request). Scripts ask for `{"token": true}` and send `Authorization: Bearer`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from hub.api.access import (
    ANY_ROLE,
    CSRF_COOKIE,
    SESSION_COOKIE,
    Principal,
    allow,
    client_address,
    presented_token,
    public,
)
from hub.api.auth_models import LoginCreate, MePublic, MeUpdate, TokenPublic
from hub.api.deps import HubDep
from hub.auth.errors import AuthError
from hub.auth.service import Login
from hub.auth.sessions import Via
from hub.auth.tokens import csrf_for
from hub.timeutil import now_ms

router = APIRouter(prefix="/api", tags=["session"])

AnyUser = Annotated[Principal, allow(*ANY_ROLE)]


@router.post("/session", dependencies=[public()], response_model=MePublic | TokenPublic,
             responses={401: {}, 403: {}, 429: {}})
def login(body: LoginCreate, request: Request, response: Response, hub: HubDep) -> MePublic | TokenPublic:
    via: Via = "bearer" if body.token else "cookie"
    done = hub.auth.login(body.phone, body.password, via, client_address(request))
    if body.token:
        return TokenPublic(token=done.token, expires_ms=done.expires_ms)
    set_session_cookies(request, response, done)
    return MePublic.of(done.principal)


@router.delete("/session", status_code=204)
def logout(request: Request, response: Response, hub: HubDep, user: AnyUser) -> None:
    presented = presented_token(request)
    assert presented is not None  # allow() admitted the request, so it carried one
    hub.auth.logout(user, presented[0], client_address(request))
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.get("/me", response_model=MePublic)
def me(user: AnyUser) -> MePublic:
    return MePublic.of(user)


@router.patch("/me", response_model=MePublic, openapi_extra={
    "requestBody": {"content": {"application/json": {"schema": MeUpdate.model_json_schema()}}},
})
def update_me(user: AnyUser, hub: HubDep, request: Request, body: Annotated[dict[str, Any], Body()]) -> MePublic:
    # Validated here rather than by FastAPI so a refused change (`{"role": "head"}`) reaches the audit log.
    try:
        changes = MeUpdate.model_validate(body)
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
        hub.auth.audit.record(user, "me.update", f"user:{user.user_id}", "denied", f"refused fields: {fields}",
                              address=client_address(request))
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False, include_input=False)]
        ) from None
    return MePublic.of(hub.auth.update_profile(user, changes.name, changes.language, client_address(request)))


def set_session_cookies(request: Request, response: Response, done: Login) -> None:
    secure = request.url.scheme == "https"
    max_age = max(0, (done.expires_ms - now_ms()) // 1000)
    response.set_cookie(SESSION_COOKIE, done.token, max_age=max_age, path="/", httponly=True,
                        samesite="strict", secure=secure)
    # Not HttpOnly: the app reads it to echo it in X-CSRF-Token. It is derived from the session token
    # with an HMAC, so it reveals nothing about it.
    response.set_cookie(CSRF_COOKIE, csrf_for(done.token), max_age=max_age, path="/", httponly=False,
                        samesite="strict", secure=secure)


async def auth_error(request: Request, exc: Exception) -> JSONResponse:
    """The app's handler for hub.auth's refusals: their status and message, e.g. 429 with Retry-After."""
    assert isinstance(exc, AuthError)
    return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=exc.headers)
