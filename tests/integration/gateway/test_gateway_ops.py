"""G6 access log lines, G7 aggregated readiness and merged OpenAPI, G8 static files."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from .conftest import ADMIN, Stack, bearer, gateway_stack


def refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(refs(v) for v in node)) if node else set()
    return set()


async def test_g7_merged_openapi_has_every_service_path_under_its_prefix(stack: Stack) -> None:
    response = await stack.client.get("/v1/openapi.json")  # docs need no credential
    assert response.status_code == 200
    merged = response.json()
    for name, app in stack.services.items():
        own = app.openapi()
        for path, operations in own["paths"].items():
            assert f"/{name}{path}" in merged["paths"], (name, path)
            for method in operations:
                assert method in merged["paths"][f"/{name}{path}"], (name, path, method)
    for path in ("/v1/credentials", "/v1/credentials/{credential_id}/rotate", "/v1/me",
                 "/v1/policies/rate-limits", "/readyz"):  # fmt: skip
        assert path in merged["paths"], path
    assert "requestBody" in merged["paths"]["/v1/events"]["post"]  # the warnings intake
    components = merged["components"]
    for ref in refs(merged):
        section, name = ref.removeprefix("#/components/").split("/", 1)
        assert name in components[section], ref
    operation_ids = [
        op["operationId"]
        for item in merged["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    ]
    assert len(operation_ids) == len(set(operation_ids))
    summary = merged["paths"]["/warnings/v1/summary"]["get"]
    assert summary["security"] == [{"credential": []}]
    assert "x-unavailable-services" not in merged["info"]


async def test_g7_readyz_aggregates_the_services(stack: Stack) -> None:
    response = await stack.client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["gateway"] == {"status": "ready"}
    assert body["services"] == {n: {"status": "ready"} for n in ("scoring", "officers", "warnings")}


async def test_g7_readyz_names_a_service_that_is_down(urls: dict[str, str]) -> None:
    async with gateway_stack(urls, down=("officers",)) as stack:
        response = await stack.client.get("/readyz")
        merged = (await stack.client.get("/v1/openapi.json")).json()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["services"]["officers"]["status"] == "unreachable"
    assert body["services"]["warnings"] == {"status": "ready"}
    assert merged["info"]["x-unavailable-services"] == ["officers"]
    assert "/warnings/v1/warnings" in merged["paths"]


async def test_g6_one_access_line_per_call_with_credential_id_never_the_key(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    issued = await stack.credential("viewer", org="HO/GZ")
    key = issued["key"]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="access"):
        ok = await stack.client.get(
            "/warnings/v1/summary", headers={**bearer(key), "X-Request-ID": "rid-g6"}
        )
        refused = await stack.client.get("/warnings/v1/summary", headers=bearer(key + "x"))
    assert ok.status_code == 200
    assert ok.headers["x-request-id"] == "rid-g6"
    assert refused.status_code == 401
    gateway_lines = [
        r for r in caplog.records if r.name == "access" and r.__dict__.get("path", "").startswith(
            "/warnings/v1/summary")
    ]  # fmt: skip
    assert len(gateway_lines) == 2
    first, second = gateway_lines
    assert (first.method, first.status, first.credential_id, first.org) == (
        "GET",
        200,
        issued["id"],
        "HO/GZ",
    )
    assert first.service == "warnings"
    assert first.latency_ms >= 0
    assert first.request_id == "rid-g6"
    assert second.status == 401
    assert not hasattr(second, "credential_id")
    for record in caplog.records:
        text = " ".join(str(v) for v in record.__dict__.values())
        assert key not in text


async def test_g8_the_dashboard_files_need_no_credential(stack: Stack) -> None:
    page = await stack.client.get("/dashboard")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/dashboard/dashboard.js"' in page.text
    script = await stack.client.get("/dashboard/dashboard.js")
    assert script.status_code == 200
    assert "If-None-Match" in script.text
    cached = await stack.client.get(
        "/dashboard/dashboard.css", headers={"If-None-Match": script.headers["etag"]}
    )
    assert cached.status_code == 200
    again = await stack.client.get(
        "/dashboard/dashboard.js", headers={"If-None-Match": script.headers["etag"]}
    )
    assert again.status_code == 304
    assert (await stack.client.get("/dashboard/secrets.txt")).status_code == 404
    # The data behind it does need one.
    assert (await stack.client.get("/warnings/v1/summary")).status_code == 401
    assert (await stack.client.get("/warnings/v1/summary", headers=ADMIN)).status_code == 200


async def test_g1_etag_polling_through_the_gateway_answers_304(stack: Stack) -> None:
    first = await stack.client.get("/warnings/v1/warnings", params={"state": "open"}, headers=ADMIN)
    tag = first.headers["etag"]
    again = await stack.client.get(
        "/warnings/v1/warnings",
        params={"state": "open"},
        headers={**ADMIN, "If-None-Match": tag},
    )
    assert again.status_code == 304
    assert again.headers["etag"] == tag


async def test_g2_every_gateway_route_but_health_needs_a_credential(stack: Stack) -> None:
    checked = 0
    for template, operations in stack.gateway.openapi()["paths"].items():
        if template in ("/healthz", "/readyz", "/metrics"):
            continue
        path = template.replace("{", "").replace("}", "")
        for method in operations:
            response = await stack.client.request(method.upper(), path, json={})
            assert response.status_code == 401, (method, template, response.text)
            checked += 1
    assert checked >= 8
