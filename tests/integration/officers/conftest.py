"""Fixtures of the officers integration tests: the app on a fresh database, with its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from services.officers.app import create_app
from services.officers.config import Settings
from tests.support.apps import serve


@pytest.fixture
async def app(officers_db: str) -> FastAPI:
    return create_app(Settings(database_url=officers_db))


@pytest.fixture
async def admin(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client; the app's lifespan runs for the whole test."""
    async with serve(app) as client:
        yield client
