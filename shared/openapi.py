"""The OpenAPI document tells the truth about errors: every operation lists the RFC 9457
problem documents it may answer (found by fuzzing: FastAPI documents a 422 as
`application/json` `HTTPValidationError` and nothing else, while every service answers
`application/problem+json` for 401, 403, 404, 409, 413, 422 and 503)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI

from shared.errors import PROBLEM_JSON

PROBLEM = "Problem"
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document; `errors[].pointer` names each bad field.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["pointer", "detail"],
                "properties": {"pointer": {"type": "string"}, "detail": {"type": "string"}},
            },
        },
    },
}
REASONS = {
    400: "Bad request",
    401: "No valid caller identity (G4)",
    403: "The caller's roles or subtree do not allow this (G3, G4)",
    404: "Not found, or outside the caller's subtree (G4)",
    405: "Method not allowed",
    409: "A rule refuses this in the current state",
    413: "The request body exceeds the limit",
    422: "Invalid input: each error names the field (JSON pointer) and the rule",
    429: "Rate limit reached (G5); see Retry-After",
    502: "The service behind the gateway is unreachable (G1)",
    503: "The database (or broker) is not reachable; retry later",
    504: "The service behind the gateway did not answer in time (G1)",
}
# What every service route may answer besides its own success codes.
SERVICE_ERRORS = (400, 401, 403, 404, 409, 413, 422, 503)
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def problem_response(status: int, ref: str = f"#/components/schemas/{PROBLEM}") -> dict[str, Any]:
    """The OpenAPI response object of a problem document."""
    return {
        "description": REASONS.get(status, "Problem"),
        "content": {PROBLEM_JSON: {"schema": {"$ref": ref}}},
    }


def operations(document: dict[str, Any]) -> Iterable[tuple[str, str, dict[str, Any]]]:
    """Every (path, method, operation) of a document."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in HTTP_METHODS and isinstance(operation, dict):
                yield path, method, operation


def add_problems(
    operation: dict[str, Any], statuses: Iterable[int], ref: str = f"#/components/schemas/{PROBLEM}"
) -> None:
    """List the problem responses `statuses` on an operation (422 replaces FastAPI's own)."""
    responses = operation.setdefault("responses", {})
    for status in statuses:
        key = str(status)
        if status == 422 or key not in responses:
            responses[key] = problem_response(status, ref)


def document_errors(document: dict[str, Any], open_paths: Iterable[str]) -> dict[str, Any]:
    """Add the problem schema and responses to a service's document (in place)."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components[PROBLEM] = PROBLEM_SCHEMA
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    open_ = set(open_paths)
    for path, _method, operation in operations(document):
        if path not in open_:
            add_problems(operation, SERVICE_ERRORS)
    return document


def install(app: FastAPI, *, open_paths: Iterable[str]) -> None:
    """Make `app.openapi()` document the problem responses of every non-open route."""
    build = app.openapi
    paths = tuple(open_paths)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(build(), paths)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def also(*statuses: int, model: Any = None, description: str) -> dict[int | str, dict[str, Any]]:
    """Success codes a route answers besides its default one (e.g. 200 for a replayed create),
    for the route decorator's `responses=` so the document lists them."""
    entry: dict[str, Any] = {"description": description}
    if model is not None:
        entry["model"] = model
    return {status: dict(entry) for status in statuses}
