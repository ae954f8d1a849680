"""G2 JWTs (HS256 and RS256, expiry enforced) and G5 rate limits per credential (429 with
Retry-After), through the gateway in front of the real services."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .conftest import ADMIN, HS_SECRET, Stack, bearer, gateway_stack


def claims(**overrides: Any) -> dict[str, Any]:
    # Parametrised tokens are built when the suite is collected: valid for a day, so that
    # only the token meant to be expired is, however long the suite runs before this module.
    base = {"sub": "li.wei", "roles": ["branch"], "org": "HO/GZ", "exp": int(time.time()) + 86400}
    return {**base, **overrides}


def hs256(secret: str = HS_SECRET, **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), secret, algorithm="HS256")


def hs256_by_hand(payload: dict[str, Any], secret: bytes) -> str:
    """An HS256 token signed with any bytes (PyJWT refuses a PEM key as an HMAC secret)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(payload).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


@pytest.fixture(scope="module")
def rsa_pair() -> tuple[Any, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public_pem


async def test_g2_a_valid_hs256_token_is_a_caller_scoped_to_its_node(stack: Stack) -> None:
    token = hs256()
    me = await stack.client.get("/v1/me", headers=bearer(token))
    assert me.status_code == 200, me.text
    assert me.json()["kind"] == "jwt"
    assert (me.json()["credential_id"], me.json()["org"]) == ("jwt:li.wei", "HO/GZ")
    summary = await stack.client.get("/warnings/v1/summary", headers=bearer(token))
    assert summary.status_code == 200
    assert summary.json()["org"] == "HO/GZ"


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        (hs256(exp=int(time.time()) - 5), "G2: the token has expired"),
        (hs256(secret="another-secret-of-at-least-32-characters!"), "signature is not valid"),
        (hs256(roles=["teller"]), "`roles` has unknown roles: teller"),
        (hs256(roles=[]), "`roles` must be a non-empty list"),
        (hs256(org="Mars"), "`org` is not an organisation node"),
        (jwt.encode({"sub": "x", "roles": ["admin"], "org": "HO"}, HS_SECRET), "exp"),
        (jwt.encode(claims(), None, algorithm="none"), "none are not accepted"),
        ("eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln", "not valid"),
    ],
    ids=[
        "expired",
        "wrong-key",
        "unknown-role",
        "no-roles",
        "bad-org",
        "no-exp",
        "alg-none",
        "junk",
    ],
)
async def test_g2_a_bad_token_is_401(stack: Stack, token: str, detail: str) -> None:
    response = await stack.client.get("/warnings/v1/summary", headers=bearer(token))
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert detail in response.json()["detail"]


async def test_g2_rs256_tokens_with_the_configured_public_key(
    urls: dict[str, str], rsa_pair: tuple[Any, str]
) -> None:
    private, public_pem = rsa_pair
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    async with gateway_stack(urls, jwt_hs256_secret=None, jwt_rs256_public_key=public_pem) as s:
        good = jwt.encode(claims(roles=["viewer"]), private, algorithm="RS256")
        assert (await s.client.get("/v1/me", headers=bearer(good))).status_code == 200
        expired = jwt.encode(claims(exp=int(time.time()) - 1), private, algorithm="RS256")
        response = await s.client.get("/v1/me", headers=bearer(expired))
        assert (response.status_code, response.json()["detail"]) == (
            401,
            "G2: the token has expired",
        )
        forged = jwt.encode(claims(), other, algorithm="RS256")
        assert (await s.client.get("/v1/me", headers=bearer(forged))).status_code == 401
        # Algorithm confusion: the public key used as an HS256 secret is refused.
        confused = hs256_by_hand(claims(roles=["admin"]), public_pem.encode())
        response = await s.client.get("/v1/me", headers=bearer(confused))
        assert response.status_code == 401
        assert response.json()["detail"] == "G2: tokens signed with HS256 are not accepted"


async def test_g5_a_credential_over_its_limit_gets_429_with_retry_after(stack: Stack) -> None:
    limited = await stack.credential("viewer", rate_limit={"rate_per_s": 0.01, "burst": 2})
    other = await stack.credential("viewer")
    for _ in range(2):
        ok = await stack.client.get("/warnings/v1/summary", headers=bearer(limited["key"]))
        assert ok.status_code == 200
    refused = await stack.client.get("/warnings/v1/summary", headers=bearer(limited["key"]))
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["detail"].startswith(f"G5: rate limit of 0.01/s (burst 2) reached for "
                                               f"credential {limited['id']}")  # fmt: skip
    # Another credential has a bucket of its own.
    assert (await stack.client.get("/v1/me", headers=bearer(other["key"]))).status_code == 200


async def test_g5_limits_per_role_are_a_stored_policy(stack: Stack) -> None:
    default = await stack.client.get("/v1/policies/rate-limits", headers=ADMIN)
    assert default.json()["version"] == 0
    assert default.json()["document"]["roles"]["viewer"] == {"rate_per_s": 5, "burst": 30}

    bad = await stack.client.put(
        "/v1/policies/rate-limits",
        json={"default": {"rate_per_s": 1, "burst": 1}, "roles": {"teller": {}}},
        headers=ADMIN,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "/roles/teller"

    document = {
        "default": {"rate_per_s": 10, "burst": 10},
        "roles": {
            "viewer": {"rate_per_s": 0.01, "burst": 1},
            "risk": {"rate_per_s": 50, "burst": 5},
        },
    }
    stored = await stack.client.put("/v1/policies/rate-limits", json=document, headers=ADMIN)
    assert stored.status_code == 200
    assert stored.json()["version"] == 1
    viewer = (await stack.credential("viewer"))["key"]
    both = (await stack.credential("viewer", "risk"))["key"]
    assert (await stack.client.get("/v1/me", headers=bearer(viewer))).status_code == 200
    assert (await stack.client.get("/v1/me", headers=bearer(viewer))).status_code == 429
    # Several roles: the most generous limit of them applies.
    me = await stack.client.get("/v1/me", headers=bearer(both))
    assert me.json()["rate_limit"] == {"rate_per_s": 50.0, "burst": 5}
