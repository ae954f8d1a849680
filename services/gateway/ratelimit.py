"""Rate limits per credential (G5): a token bucket per credential, limits per role.

The limits are a policy document (`GET/PUT /v1/policies/rate-limits`, stored in the gateway's
database; `DEFAULT_POLICY` applies until one is stored). A credential may carry a limit of its
own, which wins; otherwise it gets the most generous limit among its roles, else `default`.
Buckets live in each gateway replica: with N replicas behind a balancer a credential may get
up to N times its limit.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.auth import Role
from shared.errors import ServiceError, invalid_from_pydantic


class Limit(BaseModel):
    """A token bucket: `rate_per_s` tokens a second, at most `burst` saved up."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rate_per_s: float = Field(gt=0, le=100_000)
    burst: int = Field(ge=1, le=1_000_000)


class RateLimitPolicy(BaseModel):
    """G5 limits: per role, and a default for roles not listed."""

    model_config = ConfigDict(extra="forbid")

    default: Limit
    roles: dict[Role, Limit] = Field(default_factory=dict)


DEFAULT_POLICY: dict[str, Any] = {
    "default": {"rate_per_s": 20, "burst": 60},
    "roles": {
        "admin": {"rate_per_s": 100, "burst": 300},
        "producer": {"rate_per_s": 50, "burst": 200},
        "head_office": {"rate_per_s": 30, "burst": 90},
        "risk": {"rate_per_s": 30, "burst": 90},
        "committee": {"rate_per_s": 20, "burst": 60},
        "branch": {"rate_per_s": 20, "burst": 60},
        "sub_branch": {"rate_per_s": 20, "burst": 60},
        "officer": {"rate_per_s": 10, "burst": 30},
        "viewer": {"rate_per_s": 5, "burst": 30},
    },
}


def parse_policy(document: Any) -> RateLimitPolicy:
    """Validate a rate-limit policy document; a 422 names each bad field (G5)."""
    try:
        return RateLimitPolicy.model_validate(document)
    except ValidationError as exc:
        raise invalid_from_pydantic(exc, rule="G5", drop=("[key]",)) from None


def limit_for(policy: RateLimitPolicy, roles: Iterable[Role], own: Limit | None = None) -> Limit:
    """G5: the credential's own limit, else the most generous of its roles', else default."""
    if own is not None:
        return own
    limits = [policy.roles[r] for r in roles if r in policy.roles]
    if not limits:
        return policy.default
    return max(limits, key=lambda lim: (lim.rate_per_s, lim.burst))


class TooManyRequests(ServiceError):
    status = 429
    type = "too-many-requests"
    title = "Too many requests"


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """One bucket per credential id (least recently used dropped past `max_entries`)."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str, limit: Limit, now: float) -> float:
        """Take one token; 0.0 when granted, else the seconds until one is available (G5)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(limit.burst), at=now)
            self._buckets[key] = bucket
            if len(self._buckets) > self.max_entries:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            elapsed = max(0.0, now - bucket.at)
            bucket.tokens = min(float(limit.burst), bucket.tokens + elapsed * limit.rate_per_s)
            bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / limit.rate_per_s


def retry_after(wait_s: float) -> str:
    """The Retry-After header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait_s)))
