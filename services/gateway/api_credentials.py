"""The gateway's own management routes: credentials (G2-G4), rate-limit policy (G5), whoami.

Each write runs in its own transaction here (not the per-request session) so that the
gatekeeper's cache is cleared only after the change has committed: a rotated or revoked key
stops working at once in this replica.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.gateway import credentials
from services.gateway.deps import AdminDep, GatekeeperDep, PrincipalDep
from services.gateway.identity import RATE_POLICY
from services.gateway.ratelimit import DEFAULT_POLICY, parse_policy
from services.gateway.schemas import (
    CallerRead,
    CredentialCreate,
    CredentialId,
    CredentialIssued,
    CredentialRead,
    PolicyRead,
)
from shared.auth import Forbidden, narrowest
from shared.db import SAFE_METHODS
from shared.org import OrgPath
from shared.paging import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/v1", tags=["gateway"])

CredentialPath = Annotated[CredentialId, Path()]


@asynccontextmanager
async def transaction(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction, committed when the block ends without an error; read-only for a GET
    (on SQLite it then takes no write lock, `shared.db.make_read_sessionmaker`)."""
    state = request.app.state
    reads = request.method in SAFE_METHODS
    maker: async_sessionmaker[AsyncSession] = (
        state.read_sessionmaker if reads else state.sessionmaker
    )
    async with maker.begin() as session:
        yield session


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/me", response_model=CallerRead)
async def whoami(principal: PrincipalDep, gatekeeper: GatekeeperDep) -> CallerRead:
    """The caller behind the presented credential: roles, node, rate limit (G2-G5)."""
    caller = principal.caller
    return CallerRead(
        subject=caller.subject,
        name=principal.name,
        roles=sorted(caller.roles),
        org=caller.org,
        credential_id=caller.credential_id,
        kind=principal.kind,
        rate_limit=await gatekeeper.limit_of(principal),
        server_time=_now(),
    )


@router.post("/credentials", status_code=201, response_model=CredentialIssued)
async def create_credential(
    data: CredentialCreate, request: Request, caller: AdminDep, gatekeeper: GatekeeperDep
) -> CredentialIssued:
    """G2: a new API key with its roles (G3) and node (G4); the key is in this answer only."""
    if not caller.sees(data.org):
        raise Forbidden(f"G4: /org: {data.org} is outside your subtree {caller.org}")
    async with transaction(request) as session:
        row, key = await credentials.create(session, data, by=caller, now=_now())
    gatekeeper.credentials_changed()
    return credentials.issued(row, key)


@router.get("/credentials", response_model=Page[CredentialRead])
async def list_credentials(
    request: Request,
    caller: AdminDep,
    org: Annotated[OrgPath | None, Query(description="subtree root")] = None,
    include_revoked: Annotated[bool, Query()] = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[CredentialRead]:
    """G2: the credentials of a subtree (never their keys), oldest first, a page at a time
    (issue 13)."""
    async with transaction(request) as session:
        rows = await credentials.listing(
            session,
            org=narrowest(caller, org),
            include_revoked=include_revoked,
            limit=limit,
            cursor=cursor,
        )
        page, after = page_of(rows, limit, lambda r: (r.created_at, r.id))
        return Page(items=[credentials.credential_read(r) for r in page], next_cursor=after)


@router.get("/credentials/{credential_id}", response_model=CredentialRead)
async def get_credential(
    request: Request, caller: AdminDep, credential_id: CredentialPath
) -> CredentialRead:
    """One credential (404 outside the caller's subtree, G4)."""
    async with transaction(request) as session:
        row = await credentials.visible(session, caller, credential_id)
        return credentials.credential_read(row)


@router.post("/credentials/{credential_id}/rotate", response_model=CredentialIssued)
async def rotate_credential(
    request: Request, caller: AdminDep, gatekeeper: GatekeeperDep, credential_id: CredentialPath
) -> CredentialIssued:
    """G2: a new key for the credential, shown once; the old key stops working at once."""
    async with transaction(request) as session:
        row = await credentials.visible(session, caller, credential_id, to_change=True)
        key = await credentials.rotate(session, row, now=_now())
    gatekeeper.credentials_changed()
    return credentials.issued(row, key)


@router.post("/credentials/{credential_id}/revoke", response_model=CredentialRead)
async def revoke_credential(
    request: Request, caller: AdminDep, gatekeeper: GatekeeperDep, credential_id: CredentialPath
) -> CredentialRead:
    """G2: the key stops working at once; a repeat answers the same."""
    async with transaction(request) as session:
        row = await credentials.visible(session, caller, credential_id, to_change=True)
        await credentials.revoke(session, row, by=caller, now=_now())
    gatekeeper.credentials_changed()
    return credentials.credential_read(row)


@router.get("/policies/rate-limits", response_model=PolicyRead)
async def get_rate_limits(request: Request, caller: AdminDep) -> PolicyRead:
    """G5: the rate limits per role in force (version 0: the defaults)."""
    del caller
    async with transaction(request) as session:
        row = await credentials.get_policy(session, RATE_POLICY)
    if row is None:
        return PolicyRead(
            name=RATE_POLICY, version=0, document=DEFAULT_POLICY, updated_at=None, updated_by=None
        )
    return PolicyRead.model_validate(row, from_attributes=True)


@router.put("/policies/rate-limits", response_model=PolicyRead)
async def put_rate_limits(
    request: Request,
    caller: AdminDep,
    gatekeeper: GatekeeperDep,
    document: Annotated[dict[str, Any], Body()],
) -> PolicyRead:
    """G5: replace the rate limits per role (validated; a 422 names the field); applies at once
    in this replica, within `GATEWAY_POLICY_CACHE_TTL_S` in the others."""
    policy = parse_policy(document)
    stored = policy.model_dump(mode="json")
    async with transaction(request) as session:
        row = await credentials.put_policy(session, RATE_POLICY, stored, by=caller, now=_now())
    gatekeeper.policy_changed()
    return PolicyRead.model_validate(row, from_attributes=True)
