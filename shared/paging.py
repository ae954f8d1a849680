"""Bounded pages for every list a client can poll: one limit type, one page envelope, one
opaque keyset cursor (issue 13). A list never answers more than `MAX_LIMIT` items; asking for
more is a 422 naming `#query/limit`."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, TypeDecorator, and_, or_
from sqlalchemy.orm import QueryableAttribute

from shared.errors import InvalidInput

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100

T = TypeVar("T")
SortColumn = ColumnElement[Any] | QueryableAttribute[Any]

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


def keyset(
    stmt: Select[Any],
    order: Sequence[tuple[SortColumn, bool]],
    *,
    cursor: str | None,
    limit: int,
) -> Select[Any]:
    """`stmt` in page order (`order`: columns with `True` for descending, the last one unique),
    after `cursor`, at most `limit + 1` rows (the extra one tells `page_of` a page follows)."""
    if cursor is not None:
        raw = decode_cursor(cursor, len(order))
        key = [_typed(col, v) for (col, _desc), v in zip(order, raw, strict=True)]
        stmt = stmt.where(
            or_(
                *(
                    and_(
                        *(c == k for (c, _d), k in zip(order[:i], key[:i], strict=True)),
                        col < key[i] if desc else col > key[i],
                    )
                    for i, (col, desc) in enumerate(order)
                )
            )
        )
    return stmt.order_by(*(col.desc() if desc else col for col, desc in order)).limit(limit + 1)


def _typed(col: SortColumn, value: Any) -> Any:
    """A cursor value back as the column's Python type (a cursor the column can't hold: 422)."""
    expr = col.__clause_element__() if isinstance(col, QueryableAttribute) else col
    sql_type = expr.type
    if isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    try:
        kind = sql_type.python_type
    except NotImplementedError:
        return value
    try:
        if value is None or isinstance(value, kind):
            return value
        if kind is datetime:
            at = datetime.fromisoformat(value)
            if at.tzinfo is None:
                raise ValueError("naive")
            return at
        if kind is date:
            return date.fromisoformat(value)
        if kind is Decimal:
            return Decimal(value)
    except (TypeError, ValueError, ArithmeticError):
        pass
    raise InvalidInput("not a cursor this service issued", pointer="#query/cursor")
