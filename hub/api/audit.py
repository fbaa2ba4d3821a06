"""GET /api/audit: the audit log (nhật ký thao tác), newest first, for the head and technicians."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from hub.api.access import Role, allow
from hub.api.auth_models import AuditEntryPublic, AuditPage
from hub.api.deps import HubDep

router = APIRouter(prefix="/api/audit", tags=["audit"], dependencies=[allow(Role.HEAD, Role.TECHNICIAN)])


@router.get("", response_model=AuditPage)
def audit(
    hub: HubDep,
    user: Annotated[int | None, Query(ge=1, description="only this user's actions")] = None,
    action: Annotated[str | None, Query(max_length=100, description="e.g. session.login, or session")] = None,
    before: Annotated[int | None, Query(ge=1, description="next_before of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    entries = hub.auth.audit.page(user_id=user, action=action, before=before, limit=limit)
    items = [AuditEntryPublic.model_validate(e) for e in entries]
    return AuditPage(items=items, next_before=items[-1].id if len(items) == limit else None)
