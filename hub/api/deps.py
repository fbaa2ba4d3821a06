"""Shared FastAPI dependencies.

Routers depend on the narrowest thing they use: one service (`service_dep`), the registry, the site. The
whole hub (`HubDep`) remains for the bridge's own routes (health, metrics, dead letters) that read its parts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

from fastapi import Depends, HTTPException, Request

from devices.site import Site
from hub.lights.service import Lights
from hub.registry import Registry

if TYPE_CHECKING:
    from hub.runtime import Hub

S = TypeVar("S")


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def get_registry(request: Request) -> Registry:
    registry: Registry = request.app.state.hub.registry
    return registry


def get_site(request: Request) -> Site:
    site: Site = request.app.state.hub.site
    return site


def service_dep(name: str, kind: type[S]) -> Callable[[Request], S]:
    """A dependency giving a route the service `name` (of type `kind`) and nothing else of the hub:
    `LightsDep = Annotated[Lights, Depends(service_dep("lights", Lights))]`. 503 when the hub runs without it."""

    def get_service(request: Request) -> S:
        found = request.app.state.hub.services.get(name)
        if not isinstance(found, kind):
            raise HTTPException(503, f"the {name} service is not running on this hub")
        return found

    get_service.__name__ = f"get_{name}"
    return get_service


HubDep = Annotated["Hub", Depends(get_hub)]
RegistryDep = Annotated[Registry, Depends(get_registry)]
SiteDep = Annotated[Site, Depends(get_site)]
LightsDep = Annotated[Lights, Depends(service_dep("lights", Lights))]
