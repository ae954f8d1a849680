"""ETags for polled reads (issue 13): a validator computed from cheap kept state, checked
before any page is built, so a poller's unchanged answer is a 304 that costs no page build.

A polled route takes `PolledReadDep` instead of a session: `validator(statement, params)`
runs the validator's one statement on a pooled read connection (Core, no ORM session: on
PostgreSQL the read-only autocommit pool, so one round trip and nothing else), and only a
changed answer opens the read-only session that builds it (`session()`). The caller is still
verified and authorised by the route's own dependencies before either (no database).

A repeat skips the routing too. The route computes its ETag with `tag(caller, tag_at, at,
clock)`: `tag_at(at)` is the validator at the route's instant, over inputs the route has
parsed and authorised; it is then kept, as `tag_at(clock())`, by (path, query string,
verified caller) in the app's `Revalidator`. `RevalidateMiddleware` answers a later GET of
the same path, query and caller with `If-None-Match` from that recipe: the caller header is
verified again (signature and age, G4), the validator is read again at the current instant,
and only a matching tag is a 304 there; anything else goes on to the route as before. Where
FastAPI's routing and parameters cost a 304 more than its validator did (0.6-0.8 ms of
1.5-2 ms in process, issue 13), the repeat costs the validator alone. A recipe holds the
route's parsed inputs only, never the request, and the same bytes parse the same way, so it
answers exactly what the route would."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, Request, Response
from sqlalchemy import Executable, Row
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.auth import CALLER_HEADER, Caller, Unauthenticated, note_caller, verify_caller
from shared.db import request_session

log = logging.getLogger("shared.etag")
T = TypeVar("T")
S = TypeVar("S", bound=str | None)
Recipe = Callable[[], Awaitable[str | None]]
"""The current ETag of one polled answer (None: none now, the route decides)."""
Key = tuple[str, bytes, Caller]  # (path, query string, verified caller)
REVALIDATED = "revalidated_etag"  # request state: (caller, the tag the middleware just read)
RECIPES_KEPT = 4096  # about 100 dashboards x 4 polled reads x their pages, many times over


def make_etag(*parts: Any) -> str:
    """A strong, quoted validator for the given parts (their text, joined)."""
    key = "|".join(str(p) for p in parts)
    return '"' + hashlib.blake2b(key.encode(), digest_size=12).hexdigest() + '"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110 13.1.2: `If-None-Match` names the tag (or `*`); weak comparison."""
    if not if_none_match:
        return False
    wanted = tag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def not_modified(if_none_match: str | None, tag: str) -> Response | None:
    """The 304 to answer when the client already has `tag`, else None."""
    if matches(if_none_match, tag):
        return Response(status_code=304, headers={"ETag": tag})
    return None


@dataclass
class Revalidator:
    """The recipes of this process's polled answers by (path, query string, caller), the
    least recently used dropped beyond `size`; `hits` counts the 304s answered from them."""

    size: int = RECIPES_KEPT
    hits: int = 0
    _recipes: OrderedDict[Key, tuple[BaseRoute | None, Recipe]] = field(default_factory=OrderedDict)
    _paths: dict[str, int] = field(default_factory=dict)  # path -> recipes kept for it

    def keep(self, key: Key, route: BaseRoute | None, recipe: Recipe) -> None:
        if key not in self._recipes:
            self._paths[key[0]] = self._paths.get(key[0], 0) + 1
        self._recipes[key] = (route, recipe)
        self._recipes.move_to_end(key)
        while len(self._recipes) > self.size:
            (path, _, _), _ = self._recipes.popitem(last=False)
            if (left := self._paths[path] - 1) == 0:
                del self._paths[path]
            else:
                self._paths[path] = left

    def __len__(self) -> int:
        return len(self._recipes)

    def serves(self, path: str) -> bool:
        """Whether any recipe is kept for this path (a cheap test before verifying)."""
        return path in self._paths

    def get(self, key: Key) -> tuple[BaseRoute | None, Recipe] | None:
        found = self._recipes.get(key)
        if found is not None:
            self._recipes.move_to_end(key)
        return found


class RevalidateMiddleware:
    """Answers a repeated conditional GET from its route's kept recipe: 304 when the tag
    still matches, else on to the route (which also answers every error, 401 included)."""

    def __init__(self, app: ASGIApp, *, revalidator: Revalidator, secret: str) -> None:
        self.app = app
        self.revalidator = revalidator
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and self.revalidator.serves(scope["path"])
            and await self._unchanged(scope, send)
        ):
            return
        await self.app(scope, receive, send)

    async def _unchanged(self, scope: Scope, send: Send) -> bool:
        wanted = signed = None
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                wanted = value.decode("latin-1")
            elif name == CALLER_HEADER.encode():
                signed = value.decode("latin-1")
        if wanted is None or signed is None:
            return False
        try:
            caller = verify_caller(signed, secret=self.secret, now=time.time())
        except Unauthenticated:
            return False  # the route refuses it, with its log line
        found = self.revalidator.get((scope["path"], scope["query_string"], caller))
        if found is None:
            return False
        route, recipe = found
        try:
            tag = await recipe()
        except Exception:  # the route meets the same failure and answers it (503, ...)
            log.debug("revalidation failed; the route answers", exc_info=True)
            return False
        if tag is None:
            return False
        if not matches(wanted, tag):
            # Changed: the route builds the page, after this tag (so never older than it).
            scope.setdefault("state", {})[REVALIDATED] = (caller, tag)
            return False
        if route is not None:
            scope["route"] = route  # metrics and the access log name the route
        note_caller(scope, caller)
        self.revalidator.hits += 1
        headers = [(b"etag", tag.encode())]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return True


@dataclass(frozen=True, slots=True)
class PolledRead:
    """A polled GET's database access, opened only as far as the request needs it."""

    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    revalidator: Revalidator | None = None
    key: tuple[str, bytes] = ("", b"")  # the request's path and query string
    route: BaseRoute | None = None
    revalidated: tuple[Caller, str] | None = None  # read by the middleware for this request

    async def tag(
        self,
        caller: Caller,
        tag_at: Callable[[T], Awaitable[S]],
        at: T,
        clock: Callable[[], T],
    ) -> S:
        """The answer's ETag at the route's instant `at`; kept as `tag_at(clock())` for this
        path, query string and caller, so that a repeat is revalidated before routing. Where
        the middleware has just read it (a repeat whose answer changed), that tag: read by
        the same recipe a moment before `at`, so the page built after it is never older than
        it (a tag older than its page can only cost a 200 more, never a wrong 304), and the
        validator is not read twice."""
        if self.revalidated is not None and self.revalidated[0] == caller:
            tag = cast(S, self.revalidated[1])
        else:
            tag = await tag_at(at)
        if tag is not None:

            async def recipe() -> str | None:
                return await tag_at(clock())

            self.keep(caller, recipe)
        return tag

    def keep(self, caller: Caller, recipe: Recipe) -> None:
        """Keep `recipe` (the answer's current ETag, from the route's parsed inputs only) for
        repeats of this request by `caller`."""
        if self.revalidator is not None:
            self.revalidator.keep((*self.key, caller), self.route, recipe)

    async def validator(self, statement: Executable, params: Mapping[str, Any]) -> Row[Any]:
        """The one row of the validator's statement, read on a pooled connection of the read
        engine (one statement, one snapshot; no session, no transaction round trips)."""
        async with self.engine.connect() as conn:
            return (await conn.execute(statement, dict(params))).one()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """The read-only session that builds a changed answer (as `SessionDep` gives)."""
        async with request_session(self.sessionmaker) as session:
            yield session


async def get_polled_read(request: Request) -> PolledRead:
    """The app's read engine and read-only sessions (writers, in an app that built none),
    with its revalidator and this request's key."""
    state, scope = request.app.state, request.scope
    revalidator = getattr(state, "revalidator", None)
    key, route = (scope["path"], scope["query_string"]), scope.get("route")
    revalidated = scope.get("state", {}).get(REVALIDATED)
    if hasattr(state, "read_sessionmaker") and hasattr(state, "read_engine"):
        engine, sessions = state.read_engine, state.read_sessionmaker
    else:
        engine, sessions = state.engine, state.sessionmaker
    return PolledRead(engine, sessions, revalidator, key, route, revalidated)


# async: FastAPI runs a plain `def` dependency in a worker thread (a tenth of a 304's cost).
PolledReadDep = Annotated[PolledRead, Depends(get_polled_read)]
