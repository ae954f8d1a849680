"""Builders for the officers service's integration tests: tree, officers, appointments, runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from shared.auth import Caller, Role
from tests.support.auth import CallerAuth, caller

TREE: list[dict[str, Any]] = [
    {"id": "HO", "name": "Head office"},
    {"id": "HO/GZ", "name": "Guangzhou branch"},
    {"id": "HO/GZ/LS03", "name": "Liwan 3", "county": "Liwan", "sub_branch_class": 1},
    {"id": "HO/GZ/LS04", "name": "Liwan 4", "county": "Liwan", "sub_branch_class": 1},
    {"id": "HO/GZ/LS03/OF1", "name": "Liwan 3 office 1"},
    {"id": "HO/GZ/CH01", "name": "Conghua", "county": "Conghua", "sub_branch_class": 2},
    {"id": "HO/SZ", "name": "Shenzhen branch"},
    {"id": "HO/SZ/BA02", "name": "Bao'an", "county": "Bao'an", "sub_branch_class": 3},
]

SUB_BRANCH = caller(Role.SUB_BRANCH, org="HO/GZ", subject="sub-branch-clerk")
RISK = caller(Role.RISK, org="HO", subject="risk-officer")
COMMITTEE = caller(Role.COMMITTEE, org="HO", subject="committee-secretary")
HEAD_OFFICE = caller(Role.HEAD_OFFICE, org="HO", subject="ho-approver")


@asynccontextmanager
async def client_as(app: FastAPI, who: Caller) -> AsyncIterator[httpx.AsyncClient]:
    """Another caller on an app whose lifespan is already running."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", auth=CallerAuth(who)
    ) as client:
        yield client


def officer(officer_id: str, org: str = "HO/GZ/LS03", **overrides: Any) -> dict[str, Any]:
    body = {
        "id": officer_id,
        "name": f"Officer {officer_id}",
        "org_id": org,
        "gender": "female",
        "birth_date": "1988-04-02",
        "hire_date": "2012-07-01",
        "financial_work_start_date": "2012-07-01",
    }
    return body | overrides


def figures(**overrides: Any) -> dict[str, Any]:
    """At the peer average when everyone has these figures: 20 + 50 + 30 = 100 points."""
    body: dict[str, Any] = {
        "loans_issued": 100,
        "interest_income": "50000.00",
        "new_npl_balance": "1000.00",
        "managed_balance": "100000.00",
        "failed_exams": 0,
        "fines": 0,
        "criticisms": 0,
        "serious_violations": 0,
        "performance_pay": "40000.00",
    }
    return body | overrides


async def ok(response: Any, *codes: int) -> dict[str, Any]:
    """The JSON of a response whose status is one of `codes` (200/201 by default)."""
    resp = await response if asyncio.iscoroutine(response) else response
    assert resp.status_code in (codes or (200, 201)), resp.text
    body: dict[str, Any] = resp.json()
    return body


async def seed(client: httpx.AsyncClient, officer_ids: dict[str, str] | None = None) -> None:
    """The tree, and officers (id -> node)."""
    for node in TREE:
        await ok(client.post("/v1/orgs", json=node), 201)
    for officer_id, org in (officer_ids or {}).items():
        await ok(client.post("/v1/officers", json=officer(officer_id, org)), 201)


async def certify(client: httpx.AsyncClient, officer_ids: list[str], *, year: int) -> None:
    """O1: a qualification exam in `year` that these officers pass."""
    exam = {"id": f"Q{year}", "kind": "qualification", "held_on": f"{year}-03-15", "name": "Q"}
    await ok(client.post("/v1/exams", json=exam))
    results = [{"officer_id": o, "passed": True} for o in officer_ids]
    await ok(client.post(f"/v1/exams/Q{year}/results", json={"results": results}))


async def appoint(
    client: httpx.AsyncClient,
    officer_id: str,
    *,
    on: str,
    pre_coefficient: str = "1.50",
    pre_pay: str = "30000.00",
) -> dict[str, Any]:
    """O2: application, risk opinion and committee appointment, all on `on`."""
    await ok(
        client.post(
            "/v1/appointments",
            json={
                "id": f"A-{officer_id}-{on}",
                "officer_id": officer_id,
                "on": on,
                "pre_appointment_coefficient": pre_coefficient,
                "pre_appointment_performance_pay": pre_pay,
            },
        )
    )
    path = f"/v1/appointments/A-{officer_id}-{on}"
    await ok(client.post(f"{path}/risk-opinion", json={"opinion": "favourable", "on": on}))
    return await ok(
        client.post(f"{path}/committee-decision", json={"decision": "appoint", "on": on})
    )


async def record(client: httpx.AsyncClient, year: int, rows: dict[str, dict[str, Any]]) -> None:
    """Yearly figures for each officer."""
    for officer_id, body in rows.items():
        await ok(client.put(f"/v1/officers/{officer_id}/figures/{year}", json=body))


async def run(client: httpx.AsyncClient, year: int = 2025, **body: Any) -> dict[str, Any]:
    """A stored run, computed before the answer (`?wait=true`)."""
    return await ok(
        client.post("/v1/grading/runs", params={"wait": "true"}, json={"year": year, **body}), 201
    )


async def results(client: httpx.AsyncClient, run_id: int) -> dict[str, dict[str, Any]]:
    """Every result of a run by officer id."""
    out: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1000}
        if cursor:
            params["cursor"] = cursor
        page = await ok(client.get(f"/v1/grading/runs/{run_id}/results", params=params))
        out.update({r["officer_id"]: r for r in page["items"]})
        cursor = page["next_cursor"]
        if cursor is None:
            return out


async def propose_and_approve(
    client: httpx.AsyncClient, run_id: int, on: str = "2026-01-20"
) -> dict[str, Any]:
    await ok(client.post(f"/v1/grading/runs/{run_id}/propose", json={"on": on}))
    return await ok(client.post(f"/v1/grading/runs/{run_id}/approve", json={"on": on}))
