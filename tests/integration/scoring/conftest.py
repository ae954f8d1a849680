"""A scoring app in embedded mode with the default model stored, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.scoring.app import create_app
from services.scoring.config import Settings
from services.scoring.tree import compile_model, default_model_document
from shared.auth import Caller
from tests.support.apps import serve
from tests.support.auth import CallerAuth

DEFAULT_DOC = default_model_document()
DEFAULT = compile_model(DEFAULT_DOC)
VOTE_LEAVES = [leaf.code for leaf in DEFAULT.leaves if leaf.kind == "votes"]
MEASURED_LEAVES = [leaf.code for leaf in DEFAULT.leaves if leaf.kind == "measured"]


def inputs(votes: list[int] | None = None, value: float = 0.42, **override: Any) -> dict[str, Any]:
    """Inputs for every leaf of the default model (same votes everywhere, same ratio)."""
    out: dict[str, Any] = {c: {"votes": list(votes or [3, 2, 1, 0, 0])} for c in VOTE_LEAVES}
    out.update({c: {"value": value} for c in MEASURED_LEAVES})
    out.update(override)
    return out


def rejected_inputs() -> dict[str, Any]:
    """U1 graded 差 (S11): every decisive leaf bad; no U2 inputs given."""
    out = inputs(votes=[0, 0, 0, 1, 4], value=0.95)
    for code in [c for c in out if c.startswith("U2")]:
        del out[code]
    return out


@dataclass
class Scoring:
    """The app, an admin client at HO and the stored default model's id."""

    app: FastAPI
    client: httpx.AsyncClient
    model_id: str

    @asynccontextmanager
    async def as_(self, who: Caller) -> AsyncIterator[httpx.AsyncClient]:
        """Another caller on the same running app."""
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://test",
            auth=CallerAuth(who),
        ) as client:
            yield client

    async def rate(self, enterprise_id: str = "E-1", org: str = "HO/GZ/LS03", **body: Any) -> Any:
        payload = {
            "model_id": self.model_id,
            "enterprise_id": enterprise_id,
            "org": org,
            "inputs": body.pop("inputs", inputs()),
            **body,
        }
        response = await self.client.post("/v1/ratings", json=payload)
        assert response.status_code == 201, response.text
        return response.json()


def settings_for(url: str, **overrides: Any) -> Settings:
    return Settings(database_url=url, **overrides)


@pytest.fixture
async def scoring(scoring_db: str) -> AsyncIterator[Scoring]:
    app = create_app(settings_for(scoring_db, max_body_bytes=200_000))
    async with serve(app) as client:
        response = await client.post("/v1/models", json=DEFAULT_DOC)
        assert response.status_code == 201, response.text
        yield Scoring(app=app, client=client, model_id=response.json()["id"])
