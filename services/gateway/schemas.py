"""Request and response models of the gateway's own routes (G2-G5)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.gateway.ratelimit import Limit
from shared.auth import Role
from shared.org import OrgPath

CredentialId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]


class CredentialCreate(BaseModel):
    """A new API key (G2): its roles (G3), its organisation node (G4), optionally its id and
    a rate limit of its own (G5)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    roles: list[Role] = Field(min_length=1, max_length=9)
    org: OrgPath
    id: CredentialId | None = Field(
        default=None, description="your own id (a repeat is a 409: the key is shown only once)"
    )
    rate_limit: Limit | None = None


class CredentialRead(BaseModel):
    """A credential as listed: never the key, only its first characters to recognise it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    roles: list[Role]
    org: str
    key_prefix: str
    key_version: int
    rate_limit: Limit | None
    active: bool
    created_at: datetime
    created_by: str
    rotated_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None


class CredentialIssued(CredentialRead):
    """Answer of create and rotate: the key itself, shown this once (only its hash is kept)."""

    key: str


class CallerRead(BaseModel):
    """Who the presented credential is (G2-G5)."""

    subject: str
    name: str = Field(description="the key's name, or the token's `name` (else its `sub`)")
    roles: list[Role]
    org: str
    credential_id: str
    kind: str = Field(description="api_key, jwt or bootstrap")
    rate_limit: Limit
    server_time: datetime = Field(description="the gateway's clock (the dashboard's countdowns)")


class PolicyRead(BaseModel):
    name: str
    version: int = Field(description="0: the defaults, no stored version yet")
    document: dict[str, Any]
    updated_at: datetime | None
    updated_by: str | None
