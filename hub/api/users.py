"""The Residents page: GET /api/users, POST /api/users/{id}/disable|enable (head), and invitations:
POST /api/invites (head) and POST /api/invites/{code}/accept (public: the new resident has no account yet).

A technician manages no accounts here; accounts other than residents are the command line's business.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from hub.api.access import Principal, Role, allow, client_address, public
from hub.api.auth_models import InviteAccept, InvitePublic, MePublic, UserPublic
from hub.api.deps import HubDep
from hub.api.session import set_session_cookies
from hub.auth.invites import invite_link, qr_svg

router = APIRouter(prefix="/api", tags=["residents"])

Head = Annotated[Principal, allow(Role.HEAD)]
UserId = Annotated[int, Path(ge=1, le=2**62)]


@router.get("/users", response_model=list[UserPublic])
def list_users(hub: HubDep, _: Head) -> list[UserPublic]:
    return [UserPublic.of(u) for u in hub.auth.users.all()]


@router.post("/users/{user_id}/disable", response_model=UserPublic)
def disable_user(user_id: UserId, hub: HubDep, head: Head, request: Request) -> UserPublic:
    return UserPublic.of(hub.auth.set_disabled(head, user_id, True, client_address(request)))


@router.post("/users/{user_id}/enable", response_model=UserPublic)
def enable_user(user_id: UserId, hub: HubDep, head: Head, request: Request) -> UserPublic:
    return UserPublic.of(hub.auth.set_disabled(head, user_id, False, client_address(request)))


@router.post("/invites", status_code=201, response_model=InvitePublic)
def create_invite(hub: HubDep, head: Head, request: Request) -> InvitePublic:
    invite = hub.auth.create_invite(head, client_address(request))
    # The link uses the address the head reached the hub by: the one residents' phones can reach too.
    link = invite_link(str(request.base_url), invite.code)
    return InvitePublic(code=invite.code, link=link, qr_svg=qr_svg(link), expires_ms=invite.expires_ms)


@router.post("/invites/{code}/accept", status_code=201, response_model=MePublic, dependencies=[public()],
             responses={404: {}, 409: {}, 410: {}, 429: {}})
def accept_invite(
    code: Annotated[str, Path(min_length=4, max_length=32)],
    body: InviteAccept,
    hub: HubDep,
    request: Request,
    response: Response,
) -> MePublic:
    done = hub.auth.accept_invite(code, body.phone, body.name, body.password, body.language,
                                  client_address(request))
    set_session_cookies(request, response, done)
    return MePublic.of(done.principal)
