"""Dependencies of the gateway's routes: the verified principal, its roles, the pooled client
(all async: FastAPI would send sync ones to its thread pool, on every request)."""

from __future__ import annotations

import time
from typing import Annotated

import httpx
from fastapi import Depends, Request

from services.gateway.identity import Gatekeeper, Principal, authenticate
from shared.auth import Caller, Forbidden, Role, sign_caller

PrincipalDep = Annotated[Principal, Depends(authenticate)]


async def get_client(request: Request) -> httpx.AsyncClient:
    client: httpx.AsyncClient = request.app.state.http
    return client


ClientDep = Annotated[httpx.AsyncClient, Depends(get_client)]


async def get_gatekeeper(request: Request) -> Gatekeeper:
    gatekeeper: Gatekeeper = request.app.state.gatekeeper
    return gatekeeper


GatekeeperDep = Annotated[Gatekeeper, Depends(get_gatekeeper)]


async def signed_caller(request: Request, principal: PrincipalDep) -> str:
    """The verified caller signed for the services (G4), valid for 60 s."""
    secret = request.app.state.settings.internal_secret.get_secret_value()
    return sign_caller(principal.caller, secret=secret, now=time.time())


CallerHeaderDep = Annotated[str, Depends(signed_caller)]


async def admin(principal: PrincipalDep) -> Caller:
    """G3: the gateway's own management routes are for admins only."""
    if Role.ADMIN not in principal.caller.roles:
        raise Forbidden("G3: this route needs the role: admin")
    return principal.caller


AdminDep = Annotated[Caller, Depends(admin)]
