"""Run an app in-process (with its lifespan) behind an httpx client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from shared.auth import Caller
from tests.support.auth import ADMIN, CallerAuth


@asynccontextmanager
async def serve(app: FastAPI, *, who: Caller | None = ADMIN) -> AsyncIterator[httpx.AsyncClient]:
    """Start the app's lifespan and yield a client talking to it over ASGI, as `who`
    (signed like the gateway does; None sends no identity)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        auth = CallerAuth(who) if who is not None else None
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", auth=auth
        ) as client:
            yield client
