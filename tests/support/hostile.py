"""Hostile request bodies shared by the hostile-input tests (services alone and the gateway)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

# Body-level attacks: each is refused before any route parses it (shared/bodies.py).
RAW_JSON: dict[str, bytes] = {
    "nested-100000": b"[" * 100_000,
    "nested-1000": b"[" * 1_000 + b"]" * 1_000,
    "number-1e400": b'{"amount": 1e400}',
    "integer-5000-digits": b'{"amount": ' + b"9" * 5_000 + b"}",
    "nan": b'{"amount": NaN}',
    "infinity": b'{"amount": Infinity}',
    "minus-infinity": b'{"amount": -Infinity}',
    "lone-surrogate": b'{"id": "\\ud800"}',
    "invalid-utf8": b'{"id": "\xed\xa0\x80"}',
    "truncated": b'{"id": "x"',
}
# The pointer each case's problem names: the number's field, else "" (the whole body).
RAW_JSON_POINTER: dict[str, str] = dict.fromkeys(
    ("number-1e400", "integer-5000-digits", "nan", "infinity", "minus-infinity"), "/amount"
)


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem document with this status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= set(body), body
    assert body["status"] == status
    return body


def assert_invalid(response: httpx.Response, pointer: str, *fragments: str) -> dict[str, Any]:
    """A 422 naming `pointer` among its errors, its detail carrying each fragment."""
    body = assert_problem(response, 422)
    errors = {e["pointer"]: e["detail"] for e in body.get("errors", [])}
    assert pointer in errors, (pointer, body)
    for fragment in fragments:
        assert fragment in errors[pointer], (fragment, errors[pointer])
    return body


class Chunks:
    """A chunked upload (no Content-Length) that counts how much of it was read."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.total = total
        self.chunk = chunk
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.total:
            self.sent += self.chunk
            yield b"[" + b" " * (self.chunk - 1) if self.sent == self.chunk else b" " * self.chunk
