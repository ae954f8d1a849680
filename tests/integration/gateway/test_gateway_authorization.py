"""G3 and G4 through the gateway with real credentials: every role against a representative
route of each service and method (allowed, or 403 naming G3), and no leak across subtrees
(another sub-branch's warning, officer or rating is a 404)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.scoring.tree import default_model_document
from shared.auth import CALLER_HEADER, Role, sign_caller
from shared.config import DEV_INTERNAL_SECRET
from tests.support.auth import caller
from tests.support.officers import TREE, officer

from .conftest import ADMIN, Stack, bearer

ALL = frozenset(Role)
READERS = frozenset(
    {"officer", "sub_branch", "branch", "head_office", "risk", "committee", "viewer"}
)
RATERS = frozenset({"officer", "sub_branch", "branch", "head_office", "risk"})
STAFF = frozenset({"sub_branch", "branch", "head_office"})
NOTICE = "0" * 32

# (method, path through the gateway, roles allowed besides admin): the G3 contract.
MATRIX: list[tuple[str, str, frozenset[str]]] = [
    ("GET", "/scoring/v1/models", READERS),
    ("POST", "/scoring/v1/ratings", RATERS),
    ("POST", "/scoring/v1/models", frozenset({"risk", "head_office"})),
    ("GET", "/officers/v1/officers", READERS),
    ("POST", "/officers/v1/officers", STAFF),
    ("PATCH", "/officers/v1/orgs/HO", frozenset({"head_office"})),
    ("PUT", "/officers/v1/policies/grading/2025", frozenset({"head_office"})),
    ("POST", "/officers/v1/appointments", frozenset({"sub_branch"})),
    ("POST", "/officers/v1/appointments/A-1/risk-opinion", frozenset({"risk"})),
    ("POST", "/officers/v1/officers/OF-1/reviews", frozenset({"committee"})),
    ("GET", "/warnings/v1/warnings", READERS),
    ("POST", "/warnings/v1/warnings", RATERS),
    ("PUT", "/warnings/v1/policies/levels", frozenset({"head_office", "risk"})),
    ("POST", f"/warnings/v1/notices/{NOTICE}/ack", frozenset({"branch"})),
    ("POST", "/v1/events", frozenset({"producer"})),
    ("GET", "/v1/credentials", frozenset()),
    ("PUT", "/v1/policies/rate-limits", frozenset()),
    ("GET", "/v1/me", frozenset(r.value for r in ALL)),
]


@pytest.fixture
async def keys(stack: Stack) -> dict[str, str]:
    """One API key per role, at the head office (so only roles decide)."""
    return {
        role.value: (await stack.credential(role.value, name=f"{role.value} key"))["key"]
        for role in Role
    }


async def test_g3_every_role_against_every_service_and_method(
    stack: Stack, keys: dict[str, str]
) -> None:
    outcomes: dict[tuple[str, str, str], int] = {}
    for method, path, allowed in MATRIX:
        for role, key in keys.items():
            response = await stack.client.request(method, path, json={}, headers=bearer(key))
            outcomes[(method, path, role)] = response.status_code
            assert response.status_code < 500, (method, path, role, response.text)
            if role == "admin" or role in allowed:
                assert response.status_code not in (401, 403), (method, path, role, response.text)
            else:
                assert response.status_code == 403, (method, path, role, response.text)
                assert response.json()["detail"].startswith("G3: this route needs")
    assert len(outcomes) == len(MATRIX) * len(Role)
    assert {m for m, _, _ in MATRIX} == {"GET", "POST", "PUT", "PATCH"}


def arrears(loan: str, org: str, days: int) -> list[dict[str, Any]]:
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    since = (now - timedelta(days=days - 1)).date().isoformat()
    base = {"occurred_at": now.isoformat(), "loan_id": loan, "org": org}
    return [
        {
            **base,
            "event_id": f"d-{loan}",
            "type": "loan.disbursed",
            "borrower_id": f"B-{loan}",
            "body": {"amount": "2000000", "maturity_date": "2030-06-30"},
        },
        {
            **base,
            "event_id": f"a-{loan}",
            "type": "interest.arrears",
            "body": {"amount": "5200", "since": since},
        },
    ]


def rating_inputs() -> dict[str, Any]:
    out: dict[str, Any] = {}

    def walk(node: dict[str, Any]) -> None:
        for child in node.get("children", []):
            if "children" in child:
                walk(child)
            elif child["kind"] == "votes":
                out[child["code"]] = {"votes": [3, 2, 1, 0, 0]}
            else:
                out[child["code"]] = {"value": 0.42}

    walk(default_model_document()["root"])
    return out


async def ok(response: Any, *codes: int) -> Any:
    assert response.status_code in (codes or (200, 201, 202)), response.text
    return response.json()


async def test_g4_a_sub_branch_sees_nothing_of_another_sub_branch(stack: Stack) -> None:
    c = stack.client
    for node in TREE:
        await ok(await c.post("/officers/v1/orgs", json=node, headers=ADMIN))
    for officer_id, org in (("OF-A", "HO/GZ/LS03"), ("OF-B", "HO/GZ/LS04")):
        await ok(
            await c.post("/officers/v1/officers", json=officer(officer_id, org), headers=ADMIN)
        )
    events = arrears("L-A", "HO/GZ/LS03", 40) + arrears("L-B", "HO/GZ/LS04", 40)
    await ok(await c.post("/v1/events", json=events, headers=ADMIN))
    model = await ok(
        await c.post("/scoring/v1/models", json=default_model_document(), headers=ADMIN)
    )
    ratings = {}
    for enterprise, org in (("E-A", "HO/GZ/LS03"), ("E-B", "HO/GZ/LS04")):
        body = {"model_id": model["id"], "enterprise_id": enterprise, "org": org,
                "inputs": rating_inputs()}  # fmt: skip
        ratings[org] = await ok(await c.post("/scoring/v1/ratings", json=body, headers=ADMIN))
    listed = await ok(await c.get("/warnings/v1/warnings", headers=ADMIN))
    theirs = next(w["id"] for w in listed["items"] if w["org"] == "HO/GZ/LS04")

    mine = bearer((await stack.credential("sub_branch", org="HO/GZ/LS03"))["key"])
    # A forged caller header from the client is dropped; the gateway signs its own (G4).
    forged = sign_caller(caller(Role.ADMIN), secret=DEV_INTERNAL_SECRET, now=time.time())
    for headers in (mine, {**mine, CALLER_HEADER: forged}):
        visible = await ok(await c.get("/warnings/v1/warnings", headers=headers))
        assert {w["org"] for w in visible["items"]} == {"HO/GZ/LS03"}
        detail = await c.get(f"/warnings/v1/warnings/{theirs}", headers=headers)
        assert detail.status_code == 404
        assert "LS04" not in detail.text
        assert "L-B" not in detail.text
        report = await c.post(
            f"/warnings/v1/warnings/{theirs}/reports",
            json={"step": "branch", "content": {"situation": "s", "cause": "c", "measures": "m"}},
            headers=headers,
        )
        assert report.status_code == 404
        subtree = await c.get(
            "/warnings/v1/warnings", params={"org": "HO/GZ/LS04"}, headers=headers
        )
        assert subtree.status_code == 404
        summary = await ok(await c.get("/warnings/v1/summary", headers=headers))
        assert summary["org"] == "HO/GZ/LS03"
        assert sum(summary["open_by_level"].values()) == 1
        deadlines = (await ok(await c.get("/warnings/v1/deadlines", headers=headers)))["items"]
        assert deadlines
        assert {d["org"] for d in deadlines} == {"HO/GZ/LS03"}
        assert (await c.get("/officers/v1/officers/OF-B", headers=headers)).status_code == 404
        officers = await ok(await c.get("/officers/v1/officers", headers=headers))
        assert [o["id"] for o in officers["items"]] == ["OF-A"]
        rating = await c.get(f"/scoring/v1/ratings/{ratings['HO/GZ/LS04']['id']}", headers=headers)
        assert rating.status_code == 404
        own = await c.get(f"/scoring/v1/ratings/{ratings['HO/GZ/LS03']['id']}", headers=headers)
        assert own.status_code == 200
    # The branch above both sees both.
    branch = bearer((await stack.credential("branch", org="HO/GZ"))["key"])
    both = await ok(await c.get("/warnings/v1/warnings", headers=branch))
    assert {w["org"] for w in both["items"]} == {"HO/GZ/LS03", "HO/GZ/LS04"}
    assert (await c.get(f"/warnings/v1/warnings/{theirs}", headers=branch)).status_code == 200
