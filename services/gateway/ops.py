"""G7: the aggregated readiness and the merged OpenAPI document of the gateway."""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from services.gateway.config import Settings
from shared.db import ping
from shared.openapi import PROBLEM, add_problems, operations

router = APIRouter(tags=["health"])

SECURITY_SCHEME = {
    "credential": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (`lrk_...`) or a JWT (G2); `X-API-Key` also takes a key.",
    }
}
# The gateway's own routes that need no credential (G2).
OPEN_PATHS = {"/healthz", "/readyz", "/metrics", "/v1/openapi.json"}


async def _service_ready(client: httpx.AsyncClient, url: str, timeout_s: float) -> dict[str, Any]:
    try:
        response = await client.get(url + "/readyz", timeout=timeout_s)
    except httpx.TimeoutException:
        return {"status": "unreachable", "detail": f"no answer in {timeout_s:g} s"}
    except httpx.HTTPError as exc:
        return {"status": "unreachable", "detail": type(exc).__name__}
    try:
        body = response.json()
    except ValueError:
        body = {}
    status = "ready" if response.status_code == 200 else "not ready"
    out: dict[str, Any] = {"status": status}
    if isinstance(body, dict) and body.get("problems"):
        out["problems"] = body["problems"]
    return out


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """G7: the gateway's database and every service behind it are ready (503 naming those that
    are not)."""
    app: FastAPI = request.app
    settings: Settings = app.state.settings
    client: httpx.AsyncClient = app.state.http
    names = list(app.state.upstreams)
    checks = [
        _service_ready(client, app.state.upstreams[n], settings.readiness_timeout_s) for n in names
    ]
    results = await asyncio.gather(*checks)
    services = dict(zip(names, results, strict=True))
    gateway: dict[str, Any] = {"status": "ready"}
    try:
        await asyncio.wait_for(ping(app.state.engine), settings.readiness_timeout_s)
    except Exception as exc:  # readiness reports, it never raises
        gateway = {"status": "not ready", "problems": {"database": type(exc).__name__}}
    ready = gateway["status"] == "ready" and all(s["status"] == "ready" for s in results)
    body = {"status": "ready" if ready else "not ready", "gateway": gateway, "services": services}
    return JSONResponse(body, status_code=200 if ready else 503)


def _rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value in renames:
                out[key] = renames[value]
            else:
                out[key] = _rewrite_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, renames) for v in node]
    return node


def prefixed(service: str, document: dict[str, Any]) -> dict[str, Any]:
    """A service's document with its paths under `/<service>`, its components, operation ids
    and tags prefixed with the service's name, so documents merge without clashes (G7)."""
    renames: dict[str, str] = {}
    components: dict[str, dict[str, Any]] = {}
    for section, items in document.get("components", {}).items():
        components[section] = {}
        for name, value in items.items():
            renames[f"#/components/{section}/{name}"] = f"#/components/{section}/{service}.{name}"
            components[section][f"{service}.{name}"] = value
    paths: dict[str, Any] = {}
    for path, item in document.get("paths", {}).items():
        operations = copy.deepcopy(item)
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            if "operationId" in operation:
                operation["operationId"] = f"{service}_{operation['operationId']}"
            operation["tags"] = [f"{service}: {t}" for t in operation.get("tags", [])] or [service]
        paths[f"/{service}{path}"] = operations
    merged: dict[str, Any] = _rewrite_refs({"paths": paths, "components": components}, renames)
    return merged


# The gateway's own answers before a call reaches a route: G2 (401), G5 (429); in front of a
# service also G1 (502, 504) and the gateway's body limit (413).
GATEWAY_ERRORS = (401, 413, 429)
PROXY_ERRORS = (502, 504)


def _service_of(path: str) -> str:
    return "warnings" if path == "/v1/events" else path.split("/")[1]


def merge(own: dict[str, Any], services: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
    """G7: the gateway's own document plus every service's under its prefix."""
    merged = copy.deepcopy(own)
    merged.setdefault("components", {})
    merged["components"].setdefault("securitySchemes", {}).update(SECURITY_SCHEME)
    missing = []
    for service, document in services.items():
        if document is None:
            missing.append(service)
            continue
        part = prefixed(service, document)
        merged["paths"].update(part["paths"])
        for section, items in part["components"].items():
            merged["components"].setdefault(section, {}).update(items)
        if service == "warnings" and "/warnings/v1/events" in part["paths"]:
            # The gateway's own event intake is the warnings service's, forwarded (G1).
            intake = copy.deepcopy(part["paths"]["/warnings/v1/events"])
            for operation in intake.values():
                if isinstance(operation, dict) and "operationId" in operation:
                    operation["operationId"] = "gateway_" + operation["operationId"]
            merged["paths"]["/v1/events"] = intake
    own_paths = set(own.get("paths", {}))
    for path, _method, operation in operations(merged):
        if path in OPEN_PATHS:
            continue
        operation.setdefault("security", [{"credential": []}])
        # What the gateway itself may answer in front of the route (found by fuzzing: the
        # merged document asked for a credential without listing the 401).
        ref = "#/components/schemas/" + (
            PROBLEM if path in own_paths else f"{_service_of(path)}.{PROBLEM}"
        )
        statuses = GATEWAY_ERRORS if path in own_paths else (*GATEWAY_ERRORS, *PROXY_ERRORS)
        add_problems(operation, statuses, ref)
    if missing:
        merged["info"]["x-unavailable-services"] = missing
    return merged


async def _service_document(client: httpx.AsyncClient, url: str) -> dict[str, Any] | None:
    try:
        response = await client.get(url + "/v1/openapi.json", timeout=5)
        if response.status_code == 200:
            document: dict[str, Any] = response.json()
            return document
    except (httpx.HTTPError, ValueError):
        pass
    return None


@router.get("/v1/openapi.json", include_in_schema=False)
async def openapi(request: Request) -> JSONResponse:
    """G7: the merged OpenAPI document (cached for `openapi_cache_s` once complete)."""
    app: FastAPI = request.app
    settings: Settings = app.state.settings
    cached: tuple[float, dict[str, Any]] | None = getattr(app.state, "openapi_merged", None)
    if cached is not None and cached[0] > time.monotonic():
        return JSONResponse(cached[1])
    client: httpx.AsyncClient = app.state.http
    names = list(app.state.upstreams)
    documents = await asyncio.gather(
        *(_service_document(client, app.state.upstreams[n]) for n in names)
    )
    merged = merge(app.openapi(), dict(zip(names, documents, strict=True)))
    if all(d is not None for d in documents):
        app.state.openapi_merged = (time.monotonic() + settings.openapi_cache_s, merged)
    return JSONResponse(merged)
