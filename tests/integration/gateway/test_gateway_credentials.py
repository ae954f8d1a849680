"""G2-G4 credentials at runtime: API keys stored hashed, created, listed, rotated and revoked
through the gateway's admin API, taking effect at once."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select

from services.gateway.models import Credential
from shared.db import make_engine, make_sessionmaker

from .conftest import ADMIN, Stack, bearer, gateway_stack


async def stored_rows(url: str) -> list[Credential]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            return list(await session.scalars(select(Credential)))
    finally:
        await engine.dispose()


async def me(stack: Stack, key: str) -> Any:
    return await stack.client.get("/v1/me", headers=bearer(key))


async def test_g2_a_key_is_shown_once_and_only_its_hash_is_stored(
    stack: Stack, urls: dict[str, str]
) -> None:
    issued = await stack.credential("branch", org="HO/GZ", name="Guangzhou core banking")
    key = issued["key"]
    assert key.startswith("lrk_")
    assert len(key) >= 40
    assert issued["key_prefix"] == key[:10]
    assert (issued["roles"], issued["org"], issued["active"]) == (["branch"], "HO/GZ", True)

    listed = (await stack.client.get("/v1/credentials", headers=ADMIN)).json()["items"]
    assert [c["id"] for c in listed] == [issued["id"]]
    assert "key" not in listed[0]
    one = await stack.client.get(f"/v1/credentials/{issued['id']}", headers=ADMIN)
    assert "key" not in one.json()

    (row,) = await stored_rows(urls["gateway"])
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in repr([getattr(row, c.key) for c in Credential.__table__.columns])


async def test_g2_g3_g4_a_new_key_works_at_once_with_its_roles_and_node(stack: Stack) -> None:
    issued = await stack.credential("sub_branch", "officer", org="HO/GZ/LS03")
    response = await me(stack, issued["key"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["credential_id"] == body["subject"] == issued["id"]
    assert (body["roles"], body["org"], body["kind"]) == (
        ["officer", "sub_branch"],
        "HO/GZ/LS03",
        "api_key",
    )
    # X-API-Key works as well as the Bearer form.
    assert (await stack.client.get("/v1/me", headers={"X-API-Key": issued["key"]})).is_success


async def test_g2_rotation_stops_the_old_key_at_once(stack: Stack) -> None:
    issued = await stack.credential("viewer")
    old = issued["key"]
    assert (await me(stack, old)).status_code == 200  # now cached by the gatekeeper
    rotated = await stack.client.post(f"/v1/credentials/{issued['id']}/rotate", headers=ADMIN)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["key"]
    assert new != old
    assert rotated.json()["key_version"] == 2
    refused = await me(stack, old)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "G2: unknown or revoked credential"
    assert (await me(stack, new)).status_code == 200


async def test_g2_revocation_stops_the_key_at_once_and_is_idempotent(stack: Stack) -> None:
    issued = await stack.credential("producer", org="HO/GZ")
    key = issued["key"]
    assert (await stack.client.get("/warnings/v1/summary", headers=bearer(key))).status_code == 403
    path = f"/v1/credentials/{issued['id']}/revoke"
    first = await stack.client.post(path, headers=ADMIN)
    assert first.status_code == 200
    assert first.json()["active"] is False
    assert (await stack.client.get("/warnings/v1/summary", headers=bearer(key))).status_code == 401
    again = await stack.client.post(path, headers=ADMIN)
    assert again.json()["revoked_at"] == first.json()["revoked_at"]
    rotate = await stack.client.post(f"/v1/credentials/{issued['id']}/rotate", headers=ADMIN)
    assert rotate.status_code == 409
    assert rotate.json()["detail"].startswith("G2:")
    listed = (await stack.client.get("/v1/credentials", headers=ADMIN)).json()
    assert listed == {"items": [], "next_cursor": None}
    everything = await stack.client.get(
        "/v1/credentials", params={"include_revoked": "true"}, headers=ADMIN
    )
    assert [c["id"] for c in everything.json()["items"]] == [issued["id"]]


async def test_g2_another_replica_without_cache_sees_a_revocation_at_once(
    stack: Stack, urls: dict[str, str]
) -> None:
    issued = await stack.credential("viewer")
    async with gateway_stack(urls, credential_cache_ttl_s=0) as replica:
        assert (await me(replica, issued["key"])).status_code == 200
        revoked = await stack.client.post(f"/v1/credentials/{issued['id']}/revoke", headers=ADMIN)
        assert revoked.status_code == 200
        assert (await me(replica, issued["key"])).status_code == 401


async def test_g2_the_bootstrap_admin_key_keeps_working(stack: Stack) -> None:
    response = await stack.client.get("/v1/me", headers=ADMIN)
    assert response.json()["credential_id"] == "bootstrap"
    assert response.json()["kind"] == "bootstrap"
    assert (await stack.client.get("/warnings/v1/summary", headers=ADMIN)).status_code == 200


async def test_g2_bad_credential_requests_name_the_field(stack: Stack) -> None:
    bad = await stack.client.post(
        "/v1/credentials",
        json={"name": "x", "roles": ["teller"], "org": "Mars", "rate_limit": {"burst": 0}},
        headers=ADMIN,
    )
    assert bad.status_code == 422
    pointers = {e["pointer"] for e in bad.json()["errors"]}
    assert {"/roles/0", "/org", "/rate_limit/burst", "/rate_limit/rate_per_s"} <= pointers
    await stack.credential("viewer", id="dash-1")
    twice = await stack.client.post(
        "/v1/credentials", json={"name": "x", "roles": ["viewer"], "org": "HO", "id": "dash-1"},
        headers=ADMIN,
    )  # fmt: skip
    assert twice.status_code == 409
    assert "shown once" in twice.json()["detail"]


async def test_g4_a_branch_admin_manages_only_its_subtree(stack: Stack) -> None:
    branch_admin = (await stack.credential("admin", org="HO/GZ"))["key"]
    other = await stack.credential("viewer", org="HO/SZ")
    mine = await stack.client.post(
        "/v1/credentials",
        json={"name": "ls03 teller", "roles": ["officer"], "org": "HO/GZ/LS03"},
        headers=bearer(branch_admin),
    )
    assert mine.status_code == 201
    outside = await stack.client.post(
        "/v1/credentials",
        json={"name": "sz", "roles": ["officer"], "org": "HO/SZ"},
        headers=bearer(branch_admin),
    )
    assert outside.status_code == 403
    assert outside.json()["detail"].startswith("G4")
    listed = await stack.client.get("/v1/credentials", headers=bearer(branch_admin))
    assert {c["org"] for c in listed.json()["items"]} == {"HO/GZ", "HO/GZ/LS03"}
    for action in ("", "/rotate", "/revoke"):
        path = f"/v1/credentials/{other['id']}{action}"
        method = stack.client.get if not action else stack.client.post
        assert (await method(path, headers=bearer(branch_admin))).status_code == 404
    assert (await me(stack, other["key"])).status_code == 200  # untouched


async def test_g3_only_admins_manage_credentials(stack: Stack) -> None:
    head_office = (await stack.credential("head_office", "risk"))["key"]
    for method, path in (
        ("GET", "/v1/credentials"),
        ("POST", "/v1/credentials"),
        ("GET", "/v1/policies/rate-limits"),
    ):
        response = await stack.client.request(method, path, json={}, headers=bearer(head_office))
        assert response.status_code == 403, (method, path)
        assert response.json()["detail"] == "G3: this route needs the role: admin"
