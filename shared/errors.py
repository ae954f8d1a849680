"""Domain exceptions and RFC 9457 problem-details rendering for every service."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.observability import current_request_id

log = logging.getLogger("shared.errors")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://loan-risk.example/problems/"


class ServiceError(Exception):
    """Base of every error a service raises on purpose; rendered as a problem document."""

    status: int = 400
    type: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}


class InvalidInput(ServiceError):
    """A field breaks a rule; `pointer` names the field and `rule` the spec rule."""

    status = 422
    type = "invalid-input"
    title = "Invalid input"

    def __init__(
        self,
        detail: str,
        *,
        pointer: str = "",
        rule: str | None = None,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        text = f"{rule}: {detail}" if rule and not detail.startswith(f"{rule}:") else detail
        super().__init__(text, errors=errors or [{"pointer": pointer, "detail": text}])
        self.rule = rule


class NotFound(ServiceError):
    status = 404
    type = "not-found"
    title = "Not found"


class Conflict(ServiceError):
    """The request is well-formed but refused in the current state (a rule says no)."""

    status = 409
    type = "conflict"
    title = "Conflict"


class Unavailable(ServiceError):
    status = 503
    type = "unavailable"
    title = "Service unavailable"


class ConcurrentChange(Unavailable):
    """A concurrent transaction changed what this one read before it could lock it (issue 14:
    the entities a batch touches grew while it ran): nothing was saved; running it again
    locks the larger set up front. A consumer retries the batch; a request answers 503."""

    title = "Concurrent change"

    def __init__(self, detail: str, *, keys: frozenset[str] = frozenset()) -> None:
        super().__init__(detail, headers={"Retry-After": "1"})
        self.keys = keys


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    type_: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build an `application/problem+json` response carrying the request id."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + type_,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    rid = current_request_id()
    if rid:
        body["request_id"] = rid
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _pointer(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        where = parts.pop(0)
        prefix = "" if where == "body" else f"#{where}"
    else:
        prefix = ""
    return prefix + json_pointer(parts)


def json_pointer(parts: list[Any] | tuple[Any, ...]) -> str:
    """RFC 6901 pointer from path parts ("" for the whole document)."""
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return "/" + "/".join(escaped) if escaped else ""


def invalid_from_pydantic(
    exc: ValidationError, *, rule: str, drop: tuple[str, ...] = (), prefix: str = ""
) -> InvalidInput:
    """A 422 naming every bad field of a model validated by hand (tags in `drop` left out)."""
    errs = []
    for err in exc.errors():
        loc = [p for p in err.get("loc", ()) if p not in drop]
        errs.append({"pointer": prefix + json_pointer(loc), "detail": f"{rule}: {err.get('msg')}"})
    detail = "; ".join(f"{e['pointer'] or '/'}: {e['detail']}" for e in errs[:5])
    return InvalidInput(detail, errors=errs)


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    """Reshape FastAPI/pydantic errors into `{pointer, detail}` pairs."""
    out = []
    for err in exc.errors():
        msg = str(err.get("msg", "invalid"))
        if err.get("type") == "json_invalid":
            msg = "Request body is not valid JSON: " + str(err.get("ctx", {}).get("error", msg))
        out.append({"pointer": _pointer(err.get("loc", ())), "detail": msg})
    return out


async def _service_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return problem(
        exc.status, exc.title, exc.detail, type_=exc.type, errors=exc.errors, headers=exc.headers
    )


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    detail = "; ".join(f"{e['pointer'] or '/'}: {e['detail']}" for e in errors[:5])
    return problem(422, "Invalid input", detail, type_="invalid-input", errors=errors)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}.get(
        exc.status_code, "HTTP error"
    )
    return problem(
        exc.status_code,
        title,
        str(exc.detail),
        type_=title.lower().replace(" ", "-"),
        headers=dict(exc.headers or {}),
    )


async def _database_down(request: Request, exc: Exception) -> JSONResponse:
    if transaction_conflict(exc):  # another driver may raise a deadlock as OperationalError
        return await _transaction_conflict(request, exc)
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return problem(
        503,
        "Service unavailable",
        "The database is not reachable; retry later.",
        type_="unavailable",
        headers={"Retry-After": "5"},
    )


async def _pool_exhausted(request: Request, exc: Exception) -> JSONResponse:
    log.warning("no database connection free on %s %s: %s", request.method, request.url.path, exc)
    return problem(
        503,
        "Service unavailable",
        "All database connections are busy; retry.",
        type_="unavailable",
        headers={"Retry-After": "1"},
    )


async def _transaction_conflict(request: Request, exc: Exception) -> JSONResponse:
    log.warning("transaction conflict on %s %s: %s", request.method, request.url.path, exc)
    return problem(
        503,
        "Service unavailable",
        "The request collided with a concurrent one (deadlock or serialization failure) and "
        "nothing of it was saved; retry.",
        type_="unavailable",
        headers={"Retry-After": "1"},
    )


# SQLSTATE 40001 serialization failure, 40P01 deadlock detected: the transaction was rolled
# back because of another one; running it again succeeds.
_CONFLICT_SQLSTATES = ("40001", "40P01")


def transaction_conflict(exc: BaseException) -> bool:
    """True when the database rolled the transaction back because of a concurrent one
    (deadlock, serialization failure): a 503 to retry, not a bug (500)."""
    if isinstance(exc, DBAPIError):
        orig = exc.orig
        state = str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")
        return state in _CONFLICT_SQLSTATES
    return False


# SQLSTATE classes that mean "the server is not there" rather than "this statement is wrong":
# 08 connection exception; 57P01-57P03 admin/crash shutdown, "cannot connect now" (starting up).
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


def database_unavailable(exc: BaseException) -> bool:
    """True when a database error means the server is down or restarting (503, retry), not a
    bug (500): a lost or refused connection, a shutdown or start-up in progress."""
    if isinstance(exc, OperationalError | InterfaceError | OSError | SATimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        orig = exc.orig
        state = str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")
        return bool(state) and state.startswith(_UNAVAILABLE_SQLSTATES)
    return False


def value_refused(exc: BaseException) -> bool:
    """True when the database (or its driver) refused a value that came with the request: a
    PostgreSQL data exception (SQLSTATE class 22) or a number the driver cannot encode (found
    by fuzzing on PostgreSQL: an id of 2**62 against an INTEGER column was a 500)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, OverflowError):
            return True
        state = str(getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None) or "")
        if state.startswith("22") or type(seen).__name__ == "DataError":
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


async def _value_out_of_range(request: Request, exc: Exception) -> JSONResponse:
    log.warning("value refused by the database on %s %s: %s", request.method, request.url.path,
                type(exc).__name__)  # fmt: skip
    detail = "Range: a value of the request is outside what the database can store"
    return problem(
        422,
        "Invalid input",
        detail,
        type_="invalid-input",
        errors=[{"pointer": "", "detail": detail}],
    )


async def _dbapi_error(request: Request, exc: Exception) -> JSONResponse:
    if transaction_conflict(exc):
        return await _transaction_conflict(request, exc)
    if database_unavailable(exc):
        return await _database_down(request, exc)
    if value_refused(exc):
        return await _value_out_of_range(request, exc)
    return await _unexpected(request, exc)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        500,
        "Internal error",
        f"An unexpected error occurred; quote request id {current_request_id()}.",
        type_="internal",
    )


def install(app: FastAPI) -> None:
    """Register the problem-details handlers on an app."""
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for exc_type in (
        OperationalError,
        InterfaceError,
        ConnectionError,
        OSError,
        TimeoutError,
    ):
        app.add_exception_handler(exc_type, _database_down)
    app.add_exception_handler(SATimeoutError, _pool_exhausted)
    app.add_exception_handler(DBAPIError, _dbapi_error)
    app.add_exception_handler(OverflowError, _value_out_of_range)
    app.add_exception_handler(Exception, _unexpected)
