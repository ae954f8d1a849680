"""Services refuse calls without the gateway's signature and filter by the caller's subtree
themselves (G3, G4: defence in depth)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from services.officers.app import create_app as create_officers
from services.officers.config import Settings as OfficersSettings
from services.warnings.app import create_app as create_warnings
from services.warnings.config import Settings as WarningsSettings
from shared.auth import CALLER_HEADER, Role, sign_caller
from tests.support.apps import serve
from tests.support.auth import caller

EVENT: dict[str, Any] = {
    "event_id": "e-scope",
    "type": "loan.matured",
    "occurred_at": "2026-11-02T09:30:00+08:00",
    "loan_id": "L-1",
    "org": "HO/SZ/BA02",
}


async def test_g4_direct_call_without_or_with_a_forged_signature_is_401(warnings_db: str) -> None:
    async with serve(create_warnings(WarningsSettings(database_url=warnings_db)), who=None) as c:
        assert (await c.get("/v1/events/x")).status_code == 401
        forged = sign_caller(caller(Role.ADMIN), secret="not-the-shared-secret", now=time.time())
        response = await c.get("/v1/events/x", headers={CALLER_HEADER: forged})
        assert response.status_code == 401
        assert response.json()["detail"].startswith("G4")
        assert (await c.get("/healthz")).status_code == 200  # health stays open


async def test_g3_roles_per_route(warnings_db: str) -> None:
    app = create_warnings(WarningsSettings(database_url=warnings_db))
    async with serve(app, who=caller(Role.VIEWER)) as viewer:
        response = await viewer.post("/v1/events", json=EVENT)
        assert response.status_code == 403
        assert "producer" in response.json()["detail"]
    async with serve(app, who=caller(Role.PRODUCER)) as producer:
        assert (await producer.post("/v1/events", json=EVENT)).status_code == 202
        assert (await producer.get("/v1/events/e-scope")).status_code == 403


async def test_g4_producer_may_post_only_inside_its_subtree(warnings_db: str) -> None:
    app = create_warnings(WarningsSettings(database_url=warnings_db))
    async with serve(app, who=caller(Role.PRODUCER, org="HO/GZ")) as producer:
        response = await producer.post("/v1/events", json=[{**EVENT, "org": "HO/GZ/LS03"}, EVENT])
        assert response.status_code == 403
        assert "/1/org" in response.json()["detail"]
    async with serve(app, who=caller(Role.VIEWER)) as viewer:  # nothing of the batch landed
        assert (await viewer.get("/v1/events/e-scope")).status_code == 404


async def test_g4_another_subtrees_records_are_404_not_403(officers_db: str) -> None:
    app = create_officers(OfficersSettings(database_url=officers_db))
    async with serve(app) as admin:
        for node in (
            {"id": "HO", "name": "HO"},
            {"id": "HO/GZ", "name": "GZ"},
            {"id": "HO/SZ", "name": "SZ"},
            {"id": "HO/SZ/BA02", "name": "BA", "county": "Bao'an", "sub_branch_class": 3},
        ):
            assert (await admin.post("/v1/orgs", json=node)).status_code == 201
        officer = {
            "id": "OF-SZ",
            "name": "Chen",
            "org_id": "HO/SZ/BA02",
            "gender": "male",
            "birth_date": "1990-01-01",
            "hire_date": "2015-01-01",
            "financial_work_start_date": "2015-01-01",
        }
        assert (await admin.post("/v1/officers", json=officer)).status_code == 201
    async with serve(app, who=caller(Role.BRANCH, org="HO/GZ")) as gz:
        assert (await gz.get("/v1/officers/OF-SZ")).status_code == 404
        assert (await gz.get("/v1/officers")).json()["items"] == []
        assert [n["id"] for n in (await gz.get("/v1/orgs")).json()] == ["HO/GZ"]
        assert (await gz.get("/v1/orgs", params={"under": "HO/SZ"})).status_code == 404
        moved = await gz.post("/v1/officers", json={**officer, "id": "OF-2"})
        assert moved.status_code == 403
    async with serve(app, who=caller(Role.BRANCH, org="HO/SZ")) as sz:
        assert (await sz.get("/v1/officers/OF-SZ")).status_code == 200
        assert isinstance(sz, httpx.AsyncClient)


PUBLIC = {"/healthz", "/readyz", "/metrics", "/docs", "/docs/oauth2-redirect", "/v1/openapi.json"}


async def test_g4_every_route_but_health_refuses_a_call_without_identity(tmp_path: Any) -> None:
    """A guard for routes yet to come: each one must depend on the verified caller."""
    from services.scoring.app import create_app as create_scoring
    from services.scoring.config import Settings as ScoringSettings

    apps = [
        create_scoring(ScoringSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/s.db")),
        create_officers(OfficersSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/o.db")),
        create_warnings(WarningsSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/w.db")),
    ]
    checked = 0
    for app in apps:
        async with serve(app, who=None) as client:
            for template, operations in app.openapi()["paths"].items():
                if template in PUBLIC:
                    continue
                path = template.replace("{", "").replace("}", "")
                for method in operations:
                    response = await client.request(method.upper(), path, json={})
                    assert response.status_code == 401, (method, template, response.text)
                    checked += 1
    assert checked >= 8
