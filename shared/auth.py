"""The caller and its organisation subtree, as verified by the gateway and signed for services.

The gateway authenticates a credential (G2) and forwards the identity in one header,
`X-Loanrisk-Caller: <base64url(json)>.<base64url(hmac-sha256)>`, signed with a secret only the
gateway and the services share (G4). Every service verifies it on every call but health and
metrics, so a direct call without the gateway's signature is refused; services then filter
by the caller's subtree themselves (defence in depth).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request

from shared.errors import NotFound, ServiceError
from shared.org import is_within

log = logging.getLogger("shared.auth")

CALLER_HEADER = "x-loanrisk-caller"
MAX_AGE_S = 60


class Role(StrEnum):
    """G3 roles."""

    OFFICER = "officer"
    SUB_BRANCH = "sub_branch"
    BRANCH = "branch"
    HEAD_OFFICE = "head_office"
    RISK = "risk"
    COMMITTEE = "committee"
    PRODUCER = "producer"
    VIEWER = "viewer"
    ADMIN = "admin"


class Unauthenticated(ServiceError):
    status = 401
    type = "unauthenticated"
    title = "Unauthenticated"


class Forbidden(ServiceError):
    status = 403
    type = "forbidden"
    title = "Forbidden"


@dataclass(frozen=True)
class Caller:
    """Who is calling (credential id and subject), with which roles, over which subtree."""

    subject: str
    roles: frozenset[Role]
    org: str
    credential_id: str

    def sees(self, org: str) -> bool:
        """G4: the node lies in the caller's subtree."""
        return is_within(org, self.org)

    def has_any(self, roles: Iterable[Role]) -> bool:
        return Role.ADMIN in self.roles or bool(self.roles & set(roles))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def sign_caller(caller: Caller, *, secret: str, now: float) -> str:
    """The header value the gateway forwards for `caller` (valid for MAX_AGE_S seconds)."""
    claims = {
        "sub": caller.subject,
        "roles": sorted(caller.roles),
        "org": caller.org,
        "cid": caller.credential_id,
        "iat": int(now),
    }
    payload = _b64(orjson.dumps(claims))
    return f"{payload}.{_mac(secret, payload)}"


def verify_caller(value: str, *, secret: str, now: float) -> Caller:
    """Check the signature and age of a caller header; raise 401 otherwise (G4)."""
    payload, _, signature = value.partition(".")
    if not signature or not hmac.compare_digest(signature, _mac(secret, payload)):
        raise Unauthenticated("G4: the caller identity is not signed by the gateway")
    try:
        claims: dict[str, Any] = orjson.loads(_unb64(payload))
        caller = Caller(
            subject=str(claims["sub"]),
            roles=frozenset(Role(r) for r in claims["roles"]),
            org=str(claims["org"]),
            credential_id=str(claims["cid"]),
        )
        issued = float(claims["iat"])
    except (ValueError, KeyError, TypeError) as exc:
        raise Unauthenticated("G4: the caller identity is malformed") from exc
    if not (now - MAX_AGE_S <= issued <= now + 5):
        raise Unauthenticated("G4: the caller identity has expired")
    return caller


async def get_caller(request: Request) -> Caller:
    """The verified caller of this request (401 without a valid gateway signature)."""
    value = request.headers.get(CALLER_HEADER)
    try:
        if not value:
            raise Unauthenticated("G4: no caller identity; call this service through the gateway")
        secret: str = request.app.state.settings.internal_secret.get_secret_value()
        caller = verify_caller(value, secret=secret, now=time.time())
    except Unauthenticated as exc:
        # Logged with the reason only: the header itself is a bearer credential (G6).
        log.warning(
            "caller identity refused", extra={"reason": exc.detail, "path": request.url.path}
        )
        raise
    note_caller(request.scope, caller)
    return caller


def note_caller(scope: MutableMapping[str, Any], caller: Caller) -> None:
    """Name the caller in the request's access log line (credential id, node; G6)."""
    scope.setdefault("state", {})["access_extra"] = {
        "credential_id": caller.credential_id,
        "org": caller.org,
    }


CallerDep = Annotated[Caller, Depends(get_caller)]


def allow(*roles: Role) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency admitting callers with any of `roles` (admin always); 403 otherwise (G3)."""
    names = ", ".join(sorted(roles))

    async def check(caller: CallerDep) -> Caller:
        if not caller.has_any(roles):
            raise Forbidden(f"G3: this route needs one of the roles: {names}")
        return caller

    return check


#: Every staff role (not event producers): who may read the services' records (G3).
READERS = (
    Role.OFFICER,
    Role.SUB_BRANCH,
    Role.BRANCH,
    Role.HEAD_OFFICE,
    Role.RISK,
    Role.COMMITTEE,
    Role.VIEWER,
)
ReaderDep = Annotated[Caller, Depends(allow(*READERS))]


def narrowest(caller: Caller, requested: str | None) -> str:
    """The subtree a listing covers: the requested node within the caller's subtree, else the
    caller's own node (G4). A node outside the caller's subtree lists nothing of it."""
    if requested is None or requested == caller.org:
        return caller.org
    if caller.sees(requested):
        return requested
    if is_within(caller.org, requested):
        return caller.org  # asked for an ancestor: the caller's own part of it
    raise NotFound(f"organisation node {requested} does not exist")
