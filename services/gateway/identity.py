"""Who is calling the gateway (G2): the credential on the request, checked and turned into a
caller that is signed for the services (G4)."""

from __future__ import annotations

import hmac

from fastapi import Request

from services.gateway.config import Settings
from shared.auth import Caller, Role, Unauthenticated

BEARER = "bearer "


def presented_key(request: Request) -> str | None:
    """The API key from `Authorization: Bearer <key>` or `X-API-Key`, if any."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith(BEARER):
        return header[len(BEARER) :].strip()
    return request.headers.get("x-api-key")


def authenticate(request: Request) -> Caller:
    """The caller behind the request's credential; 401 when there is none or it is unknown."""
    settings: Settings = request.app.state.settings
    key = presented_key(request)
    if not key:
        raise Unauthenticated(
            "G2: no credential; send an API key as `Authorization: Bearer <key>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    bootstrap = settings.bootstrap_admin_key
    if bootstrap is not None and hmac.compare_digest(
        key.encode(), bootstrap.get_secret_value().encode()
    ):
        return Caller(
            subject="bootstrap-admin",
            roles=frozenset({Role.ADMIN}),
            org="HO",
            credential_id="bootstrap",
        )
    raise Unauthenticated(
        "G2: unknown or revoked credential", headers={"WWW-Authenticate": "Bearer"}
    )
