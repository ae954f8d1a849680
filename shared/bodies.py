"""Request bodies read whole before the app sees them, so hostile input is refused early and
the same way on every service and on the gateway (found by fuzzing and hostile-input tests).

- A body over the limit is a 413 as soon as the limit is crossed, with or without a
  Content-Length (a chunked upload is not read to its end).
- A JSON body is checked with orjson before any route parses it: NaN / Infinity literals,
  numbers beyond a double (1e400, 5,000-digit integers), nesting deeper than 1,024 levels, lone
  surrogates and invalid UTF-8 are a 422 problem document instead of a float infinity, a
  RecursionError or a parser's 400; a non-finite or oversized number names its field's JSON
  pointer (else the pointer is "", the whole body); a NUL character in a string (which
  PostgreSQL text cannot store) is a 422 naming the string's JSON pointer.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import Message, Receive, Scope

JSON_RULE = "JSON"
URL_RULE = "Input"
# Deeper documents are refused: Python's json parser and pydantic recurse once per level (a
# 1,000-level array was a parser error, 400), and no document of ours nests near this.
MAX_DEPTH = 128


class BodyTooLarge(Exception):
    """The body crossed the limit while it was being read."""


async def read_body(receive: Receive, limit: int) -> tuple[bytes, Message | None]:
    """The whole body (raising BodyTooLarge as soon as it passes `limit` bytes), and the
    message that ended it early if the client went away."""
    chunks: list[bytes] = []
    seen = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen > limit:
            raise BodyTooLarge(f"request body exceeds {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), None


def replay(body: bytes, receive: Receive, ended: Message | None) -> Receive:
    """A receive that gives the app the body read already, then the real channel (so the app
    still hears a disconnect)."""
    sent = False

    async def wrapped() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            if ended is not None:
                return ended
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return wrapped


def is_json(scope: Scope) -> bool:
    """The body will be parsed as JSON (FastAPI parses a body without a content type too)."""
    for key, value in scope.get("headers", []):
        if key.lower() == b"content-type":
            media: bytes = bytes(value).split(b";", 1)[0].strip().lower()
            return media == b"application/json" or (
                media.startswith(b"application/") and media.endswith(b"+json")
            )
    return True


def json_errors(body: bytes) -> list[dict[str, str]]:
    """What makes a JSON body hostile (empty: nothing), as problem `errors` entries."""
    if not body.strip():
        return []
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        pointer = _non_finite_pointer(body)
        if pointer is not None:
            detail = f"{JSON_RULE}: {pointer} is not a finite number (NaN, Infinity, 1e400...)"
            return [{"pointer": pointer, "detail": detail}]
        detail = f"{JSON_RULE}: the body is not valid JSON (RFC 8259): {exc}"
        return [{"pointer": "", "detail": detail}]
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and _deeper_than(document, MAX_DEPTH):
        detail = f"{JSON_RULE}: the body nests deeper than {MAX_DEPTH} levels"
        return [{"pointer": "", "detail": detail}]
    if b"\\u0000" in body:
        pointer = _nul_pointer(document, "")
        if pointer is not None:
            detail = f"{JSON_RULE}: {pointer or 'the body'} contains a NUL character (\\u0000)"
            return [{"pointer": pointer, "detail": detail}]
    return []


def url_errors(scope: Scope) -> list[dict[str, str]]:
    """A NUL in the path, a query parameter or a header (PostgreSQL text cannot store it, and
    no id, filter or header of ours has one), as problem `errors` entries naming where."""
    if "\x00" in scope.get("path", ""):
        return [{"pointer": "#path", "detail": f"{URL_RULE}: the path contains a NUL character"}]
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                pointer = f"#query/{name.replace(chr(0), '')}"
                return [{"pointer": pointer, "detail": f"{URL_RULE}: a NUL character in {pointer}"}]
    for key, value in scope.get("headers", []):
        if b"\x00" in value:
            pointer = f"#header/{bytes(key).decode('latin-1').lower()}"
            return [{"pointer": pointer, "detail": f"{URL_RULE}: a NUL character in {pointer}"}]
    return []


def _deeper_than(document: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels (iterative)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


_NOT_FINITE = object()
_MAX_INT_DIGITS = 300  # beyond a double; Python refuses to parse over 4,300 digits anyway


def _not_finite_float(text: str) -> object:
    value = float(text)
    return value if math.isfinite(value) else _NOT_FINITE


def _bounded_int(text: str) -> object:
    return _NOT_FINITE if len(text.lstrip("-")) > _MAX_INT_DIGITS else int(text)


def _non_finite_pointer(body: bytes) -> str | None:
    """When orjson refuses a body: the JSON pointer of its first NaN / Infinity literal or
    number beyond a double, if that is all that is wrong (so the problem names the field)."""
    try:
        document = json.loads(
            body,
            parse_constant=lambda _name: _NOT_FINITE,
            parse_float=_not_finite_float,
            parse_int=_bounded_int,
        )
    except (ValueError, RecursionError):
        return None
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        node, at = stack.pop()
        if node is _NOT_FINITE:
            return at
        if isinstance(node, dict):
            stack.extend((v, f"{at}/{_escape(k)}") for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((v, f"{at}/{i}") for i, v in reversed(list(enumerate(node))))
    return None


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _nul_pointer(document: Any, root: str) -> str | None:
    """The JSON pointer of the first string (or key) holding a NUL, if any (iterative: the
    document may be 1,024 levels deep)."""
    stack: list[tuple[Any, str]] = [(document, root)]
    while stack:
        node, at = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                return at
        elif isinstance(node, dict):
            items = list(node.items())
            for key, _value in items:
                if "\x00" in key:
                    return f"{at}/{_escape(key)}"
            stack.extend((v, f"{at}/{_escape(k)}") for k, v in reversed(items))
        elif isinstance(node, list):
            stack.extend((v, f"{at}/{i}") for i, v in reversed(list(enumerate(node))))
    return None
