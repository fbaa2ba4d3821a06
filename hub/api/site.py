"""GET /api/site: the layout the map is drawn from (roads, alleys, zones, gates, device positions)."""

from __future__ import annotations

from fastapi import APIRouter

from devices.site import Site
from hub.api.access import ANY_ROLE, allow
from hub.api.deps import HubDep

router = APIRouter(prefix="/api/site", tags=["site"], dependencies=[allow(*ANY_ROLE)])


@router.get("", response_model=Site)
def get_site(hub: HubDep) -> Site:
    return hub.site
