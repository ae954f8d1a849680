"""Hostile credentials (G2-G4, G6): expired and wrongly signed JWTs (wrong HS256 key,
`alg: none`, RS256 key confusion), revoked and rotated-away API keys, another branch's record
and a forged or unsigned caller header sent straight to a service are refused with the right
status, logged with the reason, and the credential appears in no log record and no response."""

from __future__ import annotations

import base64
import logging
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.warnings.app import create_app as create_warnings
from services.warnings.config import Settings as WarningsSettings
from shared.auth import CALLER_HEADER, Role, sign_caller
from shared.config import DEV_INTERNAL_SECRET
from tests.support.apps import serve
from tests.support.auth import caller

from .conftest import ADMIN, HS_SECRET, Stack, bearer, gateway_stack
from .test_gateway_jwt_and_limits import claims, hs256, hs256_by_hand

ROUTE = "/warnings/v1/summary"


def assert_absent(secret: str, response: httpx.Response, caplog: pytest.LogCaptureFixture) -> None:
    """The credential is in no response (body, headers) and no log record (message, fields)."""
    assert secret not in response.text
    assert all(secret not in v for v in response.headers.values())
    assert secret not in caplog.text
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in " ".join(str(v) for v in record.__dict__.values())


def refusals(caplog: pytest.LogCaptureFixture, message: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == message]


def access_lines(caplog: pytest.LogCaptureFixture, status: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "access" and r.__dict__["status"] == status]


async def assert_refused_and_logged(
    stack: Stack, token: str, caplog: pytest.LogCaptureFixture, detail: str
) -> None:
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        response = await stack.client.get(ROUTE, headers=bearer(token))
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]
    (refusal,) = refusals(caplog, "credential refused")
    assert refusal.levelno == logging.WARNING
    assert detail in refusal.__dict__["reason"]
    assert access_lines(caplog, 401), "the refusal has its access line"
    assert_absent(token, response, caplog)


@pytest.mark.parametrize(
    ("make", "detail"),
    [
        (lambda: hs256(exp=int(time.time()) - 5), "G2: the token has expired"),
        (lambda: hs256(secret="another-secret-of-at-least-32-characters!"), "not valid"),
        (lambda: jwt.encode(claims(roles=["admin"]), None, algorithm="none"), "none"),
        (lambda: hs256(roles=["admin"], org="HO")[:-6] + "AAAAAA", "not valid"),
    ],
    ids=["expired", "wrong-hs256-key", "alg-none", "tampered-signature"],
)
async def test_g2_bad_jwts_are_401_logged_without_the_token(
    stack: Stack, caplog: pytest.LogCaptureFixture, make: Any, detail: str
) -> None:
    await assert_refused_and_logged(stack, make(), caplog, detail)


async def test_g2_rs256_key_confusion_is_401_logged_without_the_token(
    urls: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    # Both algorithms configured: the public key used as the HS256 secret must not verify.
    async with gateway_stack(urls, jwt_rs256_public_key=public_pem) as stack:
        confused = hs256_by_hand(claims(roles=["admin"], org="HO"), public_pem.encode())
        await assert_refused_and_logged(stack, confused, caplog, "signature is not valid")
        good = jwt.encode(claims(roles=["viewer"]), private, algorithm="RS256")
        assert (await stack.client.get(ROUTE, headers=bearer(good))).status_code == 200


async def test_g2_revoked_and_rotated_away_keys_are_401_logged_without_the_key(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    revoked = await stack.credential("viewer", org="HO/GZ")
    assert (await stack.client.get(ROUTE, headers=bearer(revoked["key"]))).status_code == 200
    path = f"/v1/credentials/{revoked['id']}/revoke"
    assert (await stack.client.post(path, headers=ADMIN)).status_code == 200
    await assert_refused_and_logged(stack, revoked["key"], caplog, "unknown or revoked")

    rotated = await stack.credential("viewer", org="HO/GZ")
    assert (await stack.client.get(ROUTE, headers=bearer(rotated["key"]))).status_code == 200
    path = f"/v1/credentials/{rotated['id']}/rotate"
    new = await stack.client.post(path, headers=ADMIN)
    assert new.status_code == 200
    await assert_refused_and_logged(stack, rotated["key"], caplog, "unknown or revoked")
    assert rotated["key"] not in new.text  # the answer of the rotation shows the new key only


async def test_g2_a_key_sent_as_x_api_key_is_never_logged(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    issued = await stack.credential("viewer", org="HO/GZ")
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        ok = await stack.client.get(ROUTE, headers={"X-API-Key": issued["key"]})
        bad = await stack.client.get(ROUTE, headers={"X-API-Key": issued["key"] + "x"})
    assert (ok.status_code, bad.status_code) == (200, 401)
    assert_absent(issued["key"], ok, caplog)
    assert_absent(issued["key"], bad, caplog)


async def test_g4_another_branchs_record_is_404_logged_without_the_key(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    for node in (
        {"id": "HO", "name": "HO"},
        {"id": "HO/GZ", "name": "GZ"},
        {"id": "HO/SZ", "name": "SZ"},
        {"id": "HO/SZ/BA02", "name": "BA", "county": "Bao'an", "sub_branch_class": 3},
    ):
        created = await stack.client.post("/officers/v1/orgs", json=node, headers=ADMIN)
        assert created.status_code == 201, created.text
    officer = {
        "id": "OF-SZ",
        "name": "Chen",
        "org_id": "HO/SZ/BA02",
        "gender": "male",
        "birth_date": "1990-01-01",
        "hire_date": "2015-01-01",
        "financial_work_start_date": "2015-01-01",
    }
    created = await stack.client.post("/officers/v1/officers", json=officer, headers=ADMIN)
    assert created.status_code == 201, created.text
    gz = await stack.credential("branch", org="HO/GZ")
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        response = await stack.client.get("/officers/v1/officers/OF-SZ", headers=bearer(gz["key"]))
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "HO/SZ" not in response.text  # nothing of the other subtree leaks
    gateway_line = [r for r in access_lines(caplog, 404) if "service" in r.__dict__]
    assert gateway_line
    assert gateway_line[0].__dict__["credential_id"] == gz["id"]
    assert_absent(gz["key"], response, caplog)


def _unsigned(header: str) -> str:
    return header.partition(".")[0]


def _tampered(header: str) -> str:
    """The gateway's signature kept, the claims changed to a head-office admin."""
    payload, _, signature = header.partition(".")
    claims_json = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    forged = claims_json.replace(b'"HO/GZ"', b'"HO"').replace(b'"viewer"', b'"admin"')
    return base64.urlsafe_b64encode(forged).rstrip(b"=").decode() + "." + signature


@pytest.mark.parametrize(
    ("forge", "detail"),
    [
        (
            lambda: sign_caller(
                caller(Role.ADMIN), secret="not-the-shared-secret!", now=time.time()
            ),
            "not signed by the gateway",
        ),
        (
            lambda: _unsigned(sign_caller(caller(Role.ADMIN), secret="x" * 20, now=time.time())),
            "not signed by the gateway",
        ),
        (
            lambda: _tampered(
                sign_caller(
                    caller(Role.VIEWER, org="HO/GZ"),
                    secret=DEV_INTERNAL_SECRET,
                    now=time.time(),
                )
            ),
            "not signed by the gateway",
        ),
        (
            lambda: sign_caller(
                caller(Role.ADMIN),
                secret=DEV_INTERNAL_SECRET,
                now=time.time() - 3600,
            ),
            "expired",
        ),
    ],
    ids=["wrong-secret", "unsigned", "tampered-claims", "replayed-old"],
)
async def test_g4_a_forged_caller_header_sent_straight_to_a_service_is_401_and_logged(
    warnings_db: str, caplog: pytest.LogCaptureFixture, forge: Any, detail: str
) -> None:
    header = forge()
    app = create_warnings(WarningsSettings(database_url=warnings_db))
    async with serve(app, who=None) as client:
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            response = await client.get("/v1/summary", headers={CALLER_HEADER: header})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]
    (refusal,) = refusals(caplog, "caller identity refused")
    assert detail in refusal.__dict__["reason"]
    assert access_lines(caplog, 401)
    assert_absent(header, response, caplog)


async def test_g4_a_forged_caller_header_through_the_gateway_is_dropped(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    forged = sign_caller(caller(Role.ADMIN), secret=DEV_INTERNAL_SECRET,
                         now=time.time())  # fmt: skip
    viewer = await stack.credential("viewer", org="HO/GZ")
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        alone = await stack.client.get(ROUTE, headers={CALLER_HEADER: forged})
        with_key = await stack.client.get(
            ROUTE, headers={CALLER_HEADER: forged, **bearer(viewer["key"])}
        )
    assert alone.status_code == 401
    assert with_key.status_code == 200
    assert with_key.json()["org"] == "HO/GZ"  # the key's node, not the forged admin's HO
    assert_absent(forged, alone, caplog)
    assert_absent(viewer["key"], with_key, caplog)
    assert HS_SECRET not in caplog.text
