"""API keys at rest (G2): created, listed, rotated and revoked at runtime, stored hashed.

A key is `lrk_` + 43 characters of a 256-bit random secret. Only its SHA-256 is stored: with
that much entropy a fast hash cannot be reversed or guessed, and the lookup stays one indexed
equality per cache miss. The key is shown once, in the answer of create or rotate.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.models import Credential, GatewayPolicy
from services.gateway.ratelimit import Limit
from services.gateway.schemas import CredentialCreate, CredentialIssued, CredentialRead
from shared.auth import Caller, Role
from shared.errors import Conflict, NotFound
from shared.paging import keyset

KEY_PREFIX = "lrk_"


def new_key() -> str:
    """A fresh API key (256 random bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    """What is stored of a key: its SHA-256, hex (G2)."""
    return hashlib.sha256(key.encode()).hexdigest()


def _shown_prefix(key: str) -> str:
    return key[: len(KEY_PREFIX) + 6]


def credential_read(row: Credential) -> CredentialRead:
    """The listing shape of a credential (no key, no hash)."""
    return CredentialRead(
        id=row.id,
        name=row.name,
        roles=[Role(r) for r in row.roles],
        org=row.org,
        key_prefix=row.key_prefix,
        key_version=row.key_version,
        rate_limit=Limit.model_validate(row.rate_limit) if row.rate_limit else None,
        active=row.revoked_at is None,
        created_at=row.created_at,
        created_by=row.created_by,
        rotated_at=row.rotated_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
    )


def issued(row: Credential, key: str) -> CredentialIssued:
    return CredentialIssued(**credential_read(row).model_dump(), key=key)


async def create(
    session: AsyncSession, data: CredentialCreate, *, by: Caller, now: datetime
) -> tuple[Credential, str]:
    """G2: store a new credential (hashed key) and return it with its key, shown once."""
    cred_id = data.id or "c-" + uuid.uuid4().hex[:16]
    if await session.get(Credential, cred_id) is not None:
        raise Conflict(
            f"G2: credential {cred_id} exists; its key was shown once at creation "
            "(rotate it for a new key)"
        )
    key = new_key()
    row = Credential(
        id=cred_id,
        name=data.name,
        roles=sorted({r.value for r in data.roles}),
        org=data.org,
        key_hash=key_hash(key),
        key_prefix=_shown_prefix(key),
        rate_limit=data.rate_limit.model_dump() if data.rate_limit else None,
        key_version=1,
        created_at=now,
        created_by=by.subject,
    )
    session.add(row)
    await session.flush()
    return row, key


async def visible(
    session: AsyncSession, caller: Caller, cred_id: str, *, to_change: bool = False
) -> Credential:
    """The credential if it lies in the caller's subtree; 404 otherwise (G4). `to_change`:
    row-locked for the change (a read takes no lock: GET sessions are read-only)."""
    row = await session.get(Credential, cred_id, with_for_update=to_change)
    if row is None or not caller.sees(row.org):
        raise NotFound(f"credential {cred_id} does not exist")
    return row


async def listing(
    session: AsyncSession, *, org: str, include_revoked: bool, limit: int, cursor: str | None
) -> Sequence[Credential]:
    """A page (up to `limit + 1` rows) of the credentials of the subtree under `org` (G4),
    oldest first."""
    stmt = select(Credential).where(
        or_(Credential.org == org, Credential.org.startswith(org + "/", autoescape=True))
    )
    if not include_revoked:
        stmt = stmt.where(Credential.revoked_at.is_(None))
    order = [(Credential.created_at, False), (Credential.id, False)]
    return (await session.scalars(keyset(stmt, order, cursor=cursor, limit=limit))).all()


async def rotate(session: AsyncSession, row: Credential, *, now: datetime) -> str:
    """G2: a new key for the credential; the old one stops working at once."""
    if row.revoked_at is not None:
        raise Conflict(f"G2: credential {row.id} is revoked; create a new one")
    key = new_key()
    row.key_hash = key_hash(key)
    row.key_prefix = _shown_prefix(key)
    row.key_version += 1
    row.rotated_at = now
    await session.flush()
    return key


async def revoke(session: AsyncSession, row: Credential, *, by: Caller, now: datetime) -> None:
    """G2: the key stops working at once (a repeat changes nothing)."""
    if row.revoked_at is None:
        row.revoked_at = now
        row.revoked_by = by.subject
        await session.flush()


async def active_by_hash(session: AsyncSession, digest: str) -> Credential | None:
    """The active credential whose key hashes to `digest`, if any."""
    row = await session.scalar(select(Credential).where(Credential.key_hash == digest))
    if row is None or row.revoked_at is not None:
        return None
    return row


async def get_policy(session: AsyncSession, name: str) -> GatewayPolicy | None:
    return await session.get(GatewayPolicy, name)


async def put_policy(
    session: AsyncSession, name: str, document: dict[str, Any], *, by: Caller, now: datetime
) -> GatewayPolicy:
    """Store the next version of a named policy."""
    row = await session.get(GatewayPolicy, name, with_for_update=True)
    if row is None:
        row = GatewayPolicy(name=name, version=1, document=document, updated_at=now)
        row.updated_by = by.subject
        session.add(row)
    else:
        row.version += 1
        row.document = document
        row.updated_at = now
        row.updated_by = by.subject
    await session.flush()
    return row
