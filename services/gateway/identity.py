"""Who is calling the gateway (G2): the credential on the request, checked and turned into a
caller that is signed for the services (G4), then admitted by its rate limit (G5).

Three kinds of credential, in `Authorization: Bearer <credential>` (or `X-API-Key` for keys):
the bootstrap admin key from the settings, API keys stored hashed in the gateway's database,
and JWTs (HS256 and/or RS256, claims `sub`, `roles`, `org`, `exp`).

Verified keys are cached per replica for `credential_cache_ttl_s`: a rotation or revocation
through this replica clears the cache after its commit (and a lookup that raced with it is not
cached), so it takes effect at once here; other replicas see it within the TTL.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from fastapi import Request
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.gateway import credentials
from services.gateway.config import Settings
from services.gateway.ratelimit import (
    DEFAULT_POLICY,
    Limit,
    RateLimitPolicy,
    TokenBuckets,
    TooManyRequests,
    limit_for,
    parse_policy,
    retry_after,
)
from shared.auth import Caller, Role, Unauthenticated
from shared.org import OrgPath

log = logging.getLogger("gateway.identity")

BEARER = "bearer "
RATE_POLICY = "rate-limits"
_ORG = TypeAdapter(OrgPath)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Principal:
    """A verified credential: the caller it stands for, its kind and its own rate limit."""

    caller: Caller
    kind: str
    own_limit: Limit | None = None
    name: str = ""


def refuse(detail: str) -> Unauthenticated:
    return Unauthenticated(f"G2: {detail}", headers=_CHALLENGE)


def presented_credential(request: Request) -> str | None:
    """The credential from `Authorization: Bearer <it>` or `X-API-Key`, if any."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == BEARER:
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None


class TtlCache:
    """A small LRU of verified keys with a time to live and a generation: `clear()` bumps the
    generation, and a value looked up before it is not stored after it."""

    def __init__(self, ttl_s: float, max_entries: int) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.generation = 0
        self._items: OrderedDict[str, tuple[float, Principal | None]] = OrderedDict()

    def get(self, key: str, now: float) -> tuple[bool, Principal | None]:
        item = self._items.get(key)
        if item is None or item[0] <= now:
            return False, None
        return True, item[1]

    def put(self, key: str, value: Principal | None, *, now: float, generation: int) -> None:
        if self.ttl_s <= 0 or generation != self.generation:
            return
        self._items[key] = (now + self.ttl_s, value)
        self._items.move_to_end(key)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self.generation += 1
        self._items.clear()


class JwtVerifier:
    """G2: JWTs signed HS256 with the configured secret or RS256 with the configured key."""

    def __init__(self, settings: Settings) -> None:
        self.keys: dict[str, Any] = {}
        if settings.jwt_hs256_secret is not None:
            self.keys["HS256"] = settings.jwt_hs256_secret.get_secret_value()
        pem = settings.rs256_public_key()
        if pem:
            self.keys["RS256"] = jwt.algorithms.RSAAlgorithm(
                jwt.algorithms.RSAAlgorithm.SHA256
            ).prepare_key(pem)
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.leeway = settings.jwt_leeway_s

    def verify(self, token: str) -> Principal:
        """The caller of a valid, unexpired token; 401 otherwise."""
        if not self.keys:
            raise refuse("JWTs are not accepted here (no key configured); use an API key")
        try:
            alg = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError:
            raise refuse("the token is not a well-formed JWT") from None
        key = self.keys.get(str(alg))
        if key is None:
            raise refuse(f"tokens signed with {alg} are not accepted")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[str(alg)],
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway,
                options={"require": ["exp", "sub"], "verify_aud": self.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise refuse("the token has expired") from None
        except jwt.InvalidSignatureError:
            raise refuse("the token's signature is not valid") from None
        except jwt.PyJWTError as exc:
            raise refuse(f"the token is not valid: {exc}") from None
        caller = _jwt_caller(claims)
        return Principal(caller=caller, kind="jwt", name=str(claims.get("name") or caller.subject))


def _jwt_caller(claims: dict[str, Any]) -> Caller:
    sub, roles, org = claims.get("sub"), claims.get("roles"), claims.get("org")
    if not isinstance(sub, str) or not 1 <= len(sub) <= 128:
        raise refuse("the token's `sub` must be a string of 1-128 characters")
    if not isinstance(roles, list) or not roles or not all(isinstance(r, str) for r in roles):
        raise refuse("the token's `roles` must be a non-empty list of role names")
    known = {r.value for r in Role}
    if unknown := [r for r in roles if r not in known]:
        raise refuse(f"the token's `roles` has unknown roles: {', '.join(unknown[:5])} (G3)")
    try:
        node = _ORG.validate_python(org)
    except ValidationError:
        raise refuse("the token's `org` is not an organisation node (G4)") from None
    parsed = frozenset(Role(r) for r in roles)
    return Caller(subject=sub, roles=parsed, org=node, credential_id=f"jwt:{sub}")


def _looks_like_jwt(token: str) -> bool:
    return token.startswith("eyJ") and token.count(".") == 2


class Gatekeeper:
    """Authenticates credentials (G2) and applies rate limits (G5) for one gateway replica."""

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        secret = settings.bootstrap_admin_key
        self.bootstrap = secret.get_secret_value().encode() if secret is not None else None
        self.jwt = JwtVerifier(settings)
        self.keys = TtlCache(settings.credential_cache_ttl_s, settings.credential_cache_size)
        self.policy_ttl_s = settings.policy_cache_ttl_s
        self._policy: tuple[float, RateLimitPolicy] | None = None
        self._last_policy: RateLimitPolicy | None = None
        self.policy_generation = 0
        self.buckets = TokenBuckets()

    async def authenticate(self, token: str | None) -> Principal:
        """The principal behind a presented credential; 401 when missing, unknown or invalid."""
        if not token:
            raise refuse("no credential; send an API key or a JWT as `Authorization: Bearer`")
        if self.bootstrap is not None and hmac.compare_digest(token.encode(), self.bootstrap):
            caller = Caller("bootstrap-admin", frozenset({Role.ADMIN}), "HO", "bootstrap")
            return Principal(caller=caller, kind="bootstrap", name="bootstrap admin key")
        if _looks_like_jwt(token):
            return self.jwt.verify(token)
        principal = await self._api_key(credentials.key_hash(token))
        if principal is None:
            raise refuse("unknown or revoked credential")
        return principal

    async def _api_key(self, digest: str) -> Principal | None:
        now = self.clock()
        found, cached = self.keys.get(digest, now)
        if found:
            return cached
        generation = self.keys.generation
        async with self.sessionmaker() as session:
            row = await credentials.active_by_hash(session, digest)
        principal = None
        if row is not None:
            caller = Caller(row.id, frozenset(Role(r) for r in row.roles), row.org, row.id)
            own = Limit.model_validate(row.rate_limit) if row.rate_limit else None
            principal = Principal(caller=caller, kind="api_key", own_limit=own, name=row.name)
        self.keys.put(digest, principal, now=now, generation=generation)
        return principal

    def credentials_changed(self) -> None:
        """Call after a credential change has committed: cached keys are dropped (G2)."""
        self.keys.clear()

    async def rate_policy(self) -> RateLimitPolicy:
        """The G5 policy in force (cached for `policy_cache_ttl_s`)."""
        now = self.clock()
        if self._policy is not None and self._policy[0] > now:
            return self._policy[1]
        generation = self.policy_generation
        try:
            async with self.sessionmaker() as session:
                row = await credentials.get_policy(session, RATE_POLICY)
            policy = parse_policy(row.document if row is not None else DEFAULT_POLICY)
            self._last_policy = policy
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            # Limits fail open to the last policy read (or the defaults): the bootstrap key and
            # JWTs, which need no database, keep working while it is away.
            policy = self._last_policy or parse_policy(DEFAULT_POLICY)
            log.warning("G5: rate-limit policy unreadable (%s); using the last one read", exc)
        if generation == self.policy_generation:
            self._policy = (now + self.policy_ttl_s, policy)
        return policy

    def policy_changed(self) -> None:
        """Call after a policy change has committed."""
        self.policy_generation += 1
        self._policy = None

    async def limit_of(self, principal: Principal) -> Limit:
        return limit_for(await self.rate_policy(), principal.caller.roles, principal.own_limit)

    async def admit(self, principal: Principal) -> None:
        """G5: take a token from the credential's bucket; 429 with Retry-After when empty."""
        limit = await self.limit_of(principal)
        wait = self.buckets.take(principal.caller.credential_id, limit, self.clock())
        if wait > 0:
            raise TooManyRequests(
                f"G5: rate limit of {limit.rate_per_s:g}/s (burst {limit.burst}) reached for "
                f"credential {principal.caller.credential_id}; retry after {wait:.2f} s",
                headers={"Retry-After": retry_after(wait)},
            )


def _kind(token: str | None) -> str:
    if not token:
        return "none"
    return "jwt" if _looks_like_jwt(token) else "api_key"


async def authenticate(request: Request) -> Principal:
    """The request's principal, admitted by its rate limit (G2, G5). A refusal is logged with
    its reason and the credential's kind, never the credential itself (G6)."""
    gatekeeper: Gatekeeper = request.app.state.gatekeeper
    token = presented_credential(request)
    try:
        principal = await gatekeeper.authenticate(token)
    except Unauthenticated as exc:
        kind = _kind(token)
        request.scope.setdefault("state", {})["access_extra"] = {"refused": kind}
        log.warning(
            "credential refused",
            extra={"reason": exc.detail, "credential_kind": kind, "path": request.url.path},
        )
        raise
    request.scope.setdefault("state", {})["access_extra"] = {
        "credential_id": principal.caller.credential_id,
        "org": principal.caller.org,
    }
    await gatekeeper.admit(principal)
    return principal
