"""Bounded pages for every list a client can poll: one limit type, one page envelope, one
opaque keyset cursor (issue 13). A list never answers more than `MAX_LIMIT` items; asking for
more is a 422 naming `#query/limit`."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from shared.errors import InvalidInput

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size, at most {MAX_LIMIT}")]
Cursor = Annotated[
    str | None, Query(max_length=400, description="`next_cursor` of the previous page")
]


class Page(BaseModel, Generic[T]):
    """One page of a list, oldest-first or newest-first as the route says; `next_cursor`
    (null on the last page) fetches the next one."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(key: Sequence[Any]) -> str:
    """An opaque cursor for the sort key of the last item of a page (JSON of str/int/None;
    datetimes and dates as ISO text, decimals as text)."""
    raw = json.dumps([_plain(k) for k in key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    """The key a cursor of `encode_cursor` carries; anything else is a 422 on `#query/cursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        key = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        key = None
    if not isinstance(key, list) or len(key) != arity:
        raise InvalidInput("not a cursor this service issued", pointer="#query/cursor")
    return key


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def page_of(rows: Sequence[T], limit: int, key: Any) -> tuple[list[T], str | None]:
    """Given up to `limit + 1` rows in page order, the page and the cursor after it (None when
    nothing follows). `key(row)` is the row's sort key."""
    items = list(rows[:limit])
    return items, encode_cursor(key(items[-1])) if len(rows) > limit else None
