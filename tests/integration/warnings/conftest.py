"""A warnings app in embedded mode with a frozen clock, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from services.warnings.app import create_app
from services.warnings.config import Settings
from tests.support.apps import serve

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 10, 9, 0, tzinfo=SH)


@dataclass
class Bank:
    """The app, its client (admin at HO) and helpers to post events."""

    app: FastAPI
    client: httpx.AsyncClient
    ids: Any

    def at(self, moment: datetime) -> None:
        self.app.state.clock.freeze(moment)

    async def post(self, *events: dict[str, Any]) -> None:
        body = list(events) if len(events) > 1 else events[0]
        response = await self.client.post("/v1/events", json=body)
        assert response.status_code == 202, response.text

    def event(self, type_: str, body: dict[str, Any], **envelope: Any) -> dict[str, Any]:
        return {
            "event_id": f"ev-{next(self.ids)}",
            "type": type_,
            "occurred_at": envelope.pop("at", START).isoformat(),
            "org": envelope.pop("org", "HO/GZ/LS03"),
            "body": body,
            **envelope,
        }

    def disbursed(
        self, loan: str, borrower: str, amount: str, maturity: str, **extra: Any
    ) -> dict[str, Any]:
        body = {"amount": amount, "maturity_date": maturity, **extra.pop("body", {})}
        return self.event("loan.disbursed", body, loan_id=loan, borrower_id=borrower, **extra)

    async def warnings(self, **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get("/v1/warnings", params=params)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def one(self, **params: Any) -> dict[str, Any]:
        items = await self.warnings(**params)
        assert len(items) == 1, items
        return items[0]


@pytest.fixture
async def bank(warnings_db: str) -> AsyncIterator[Bank]:
    app = create_app(Settings(database_url=warnings_db, sweep_interval_s=0))
    app.state.clock.freeze(START)
    async with serve(app) as client:
        yield Bank(app, client, count(1))
