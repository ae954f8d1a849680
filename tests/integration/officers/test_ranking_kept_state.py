"""Issue 13, O22/O23: the county ranking's kept balances equal a recount from scratch after a
random mix of ledger events (disbursements, classifications, repayments, missed payments,
maturities, redeliveries), corrections, management changes, assignment batches, handovers,
office-head changes, date rolls and policy changes, on SQLite and PostgreSQL; and the
ranking's ETag / 304."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.officers.deps import bank_today
from services.officers.ledger.rules import to_fen
from services.officers.liability import api_ranking as api_liability_ranking
from services.officers.liability import ranking_state
from services.officers.liability.policy import LiabilityPolicy
from services.officers.liability.ranking import books
from services.officers.liability.rules import count_npl
from services.officers.models.ledger import LedgerLoan
from shared.auth import Role
from tests.integration.officers.test_liability_ranking import intake, npl_loan
from tests.integration.officers.test_responsibility import officer_caller
from tests.support.auth import caller
from tests.support.officers import SUB_BRANCH, client_as, ok, seed

LS03, OF1, LS04, CH01 = "HO/GZ/LS03", "HO/GZ/LS03/OF1", "HO/GZ/LS04", "HO/GZ/CH01"
OFFICERS = {
    "OF-A": LS03,
    "OF-B": LS03,
    "OF-C": LS04,
    "OF-D": CH01,
    "OF-H": LS03,
    "OF-K": OF1,
    "OF-G": "HO/GZ",
}
ORGS = (LS03, LS03, OF1, LS04, CH01)
HEAD_NODES = (LS03, OF1, "HO/GZ", LS04)
PATH = "/v1/liability/ranking"
CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")
START = date(2025, 1, 10)
OPS = (  # (write, weight)
    ("disburse", 3),
    ("classify", 3),
    ("repay", 1),
    ("miss", 2),
    ("mature", 1),
    ("patch", 2),
    ("manage", 1),
    ("batch", 1),
    ("handover", 0.5),
    ("head", 2),
    ("redeliver", 1),
    ("roll", 3),
    ("policy", 1),
)


def _event(kind: str, loan_id: str, org: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": f"{loan_id}-{kind}-{uuid.uuid4().hex[:8]}",
        "type": kind,
        "occurred_at": "2024-01-10T09:00:00+08:00",
        "loan_id": loan_id,
        "borrower_id": "B1",
        "org": org,
        "body": body,
    }


class Mix:
    """A seeded random mix of every write that can change an officer's O22 balance."""

    def __init__(self, app: FastAPI, admin: httpx.AsyncClient, seed_: int) -> None:
        self.app, self.admin, self.rng = app, admin, random.Random(seed_)
        self.loans: dict[str, str] = {}  # loan id -> org
        self.sent: list[dict[str, Any]] = []
        self.day = START
        self.n = 0
        app.dependency_overrides[bank_today] = lambda: self.day

    def officer(self) -> str:
        return self.rng.choice(sorted(OFFICERS))

    def loan(self) -> tuple[str, str]:
        loan_id = self.rng.choice(sorted(self.loans))
        return loan_id, self.loans[loan_id]

    async def events(self, *events: dict[str, Any]) -> None:
        self.sent += events
        await intake(self.app, list(events))

    async def step(self) -> str:
        op = "disburse" if len(self.loans) < 3 else self.rng.choices(*zip(*OPS, strict=True))[0]
        await getattr(self, op)()
        return op

    async def disburse(self) -> None:
        self.n += 1
        loan_id, org = f"L{self.n:03d}", self.rng.choice(ORGS)
        manager = None if self.rng.random() < 0.5 else self.officer()
        body = {
            "amount": f"{self.rng.randrange(1000, 900000)}.{self.rng.randrange(100):02d}",
            "maturity_date": "2024-12-31",
            "collateral_kind": self.rng.choice(["unsecured", "mortgage", "pledge", "guarantee"]),
            "officers": {"first_responsible": "OF-A", "management_responsible": manager},
        }
        self.loans[loan_id] = org
        await self.events(_event("loan.disbursed", loan_id, org, body))

    async def classify(self) -> None:
        loan_id, org = self.loan()
        body = {"five_class": self.rng.choice(CLASSES), "predicted": False}
        await self.events(_event("loan.classified", loan_id, org, body))

    async def repay(self) -> None:
        loan_id, org = self.loan()
        principal = self.rng.choice(["100.00", "50000.00", "1000000.00"])
        await self.events(
            _event("repayment.received", loan_id, org, {"principal": principal, "interest": "0"})
        )

    async def miss(self) -> None:
        loan_id, org = self.loan()
        due = self.day - timedelta(days=self.rng.randrange(0, 800))
        body = {"amount_due": "100.00", "due_date": due.isoformat()}
        await self.events(_event("repayment.missed", loan_id, org, body))

    async def mature(self) -> None:
        loan_id, org = self.loan()
        await self.events(_event("loan.matured", loan_id, org, {}))

    async def redeliver(self) -> None:
        again = self.rng.choice(self.sent)
        async with client_as(self.app, caller(Role.PRODUCER, org="HO")) as producer:
            body = await ok(producer.post("/v1/ledger/events", json=[again]), 200)
        assert body["applied"] == 0

    async def patch(self) -> None:
        loan_id, _org = self.loan()
        field = self.rng.choice(["in_disposal", "overdue_since", "balance", "collateral"])
        value: Any = {
            "in_disposal": self.rng.random() < 0.6,
            "overdue_since": (self.day - timedelta(days=self.rng.randrange(300, 420))).isoformat(),
            "balance": f"{self.rng.randrange(0, 500000)}.50",
            "collateral": self.rng.choice(["mortgage", "pledge", "unsecured"]),
        }[field]
        await ok(self.admin.patch(f"/v1/loans/{loan_id}", json={field: value}), 200)

    async def manage(self) -> None:
        loan_id, _org = self.loan()
        who = self.officer()
        body = {"officer_id": who, "effective_on": "2024-06-01", "reason": "r", "accepted_by": who}
        await ok(self.admin.put(f"/v1/loans/{loan_id}/management", json=body), 200)

    async def batch(self) -> None:
        loan_id, _org = self.loan()
        who = self.rng.choice([o for o, org in OFFICERS.items() if org.startswith("HO/GZ/")])
        body = {
            "batch_id": f"B-{uuid.uuid4().hex[:8]}",
            "kind": "year_start",
            "effective_on": "2025-01-01",
            "reason": "year start",
            "items": [{"loan_id": loan_id, "officer_id": who}],
        }
        async with client_as(self.app, SUB_BRANCH) as sub:
            made = await ok(sub.post("/v1/assignment-batches", json=body), 201)
        (offer,) = made["assignments"]
        async with client_as(self.app, officer_caller(who, "HO/GZ")) as signer:
            await ok(signer.post(f"/v1/assignments/{offer['id']}/accept"), 200)

    async def handover(self) -> None:
        """O18: an officer moves; every loan it manages goes to another, signed and complete."""
        leaving = self.rng.choice(["OF-A", "OF-B", "OF-H"])
        handover_id = f"H-{uuid.uuid4().hex[:8]}"
        path = f"/v1/handovers/{handover_id}"
        body = {"handover_id": handover_id, "officer_id": leaving, "kind": "moving"}
        body |= {"on": "2024-09-01", "reason": "moves"}
        confirm = {"accountant_name": "Chen Li", "confirmed_on": "2024-08-30"}
        async with client_as(self.app, SUB_BRANCH) as sub:
            for loan_id in sorted(self.loans):  # O18: each NPL's last notice, then the list
                notice = {"event_id": f"N-{uuid.uuid4().hex[:8]}", "kind": "collection_notice"}
                notice |= {"on": "2024-08-01", "evidence": "receipt"}
                await ok(sub.post(f"/v1/loans/{loan_id}/limitation-events", json=notice))
            made = await ok(sub.post("/v1/handovers", json=body), 201)
            offers = []
            for item in made["items"]:
                item_path = f"{path}/items/{item['loan_id']}"
                await ok(sub.put(f"{item_path}/confirmation", json=confirm))
                who = self.rng.choice([o for o in ("OF-A", "OF-B", "OF-H") if o != leaving])
                view = await ok(sub.put(f"{item_path}/assignee", json={"officer_id": who}))
                mine = next(x for x in view["items"] if x["loan_id"] == item["loan_id"])
                offers.append((who, mine["assignment"]["id"]))
            for who, offer_id in offers:
                async with client_as(self.app, officer_caller(who, "HO/GZ")) as signer:
                    await ok(signer.post(f"/v1/assignments/{offer_id}/accept"), 200)
            await ok(sub.post(f"{path}/complete"), 200)

    async def head(self) -> None:
        node, who = self.rng.choice(HEAD_NODES), self.officer()
        body = {"officer_id": who, "since": "2024-01-01"}
        await ok(self.admin.put(f"/v1/org-heads/{node}", json=body), 200, 201)

    async def roll(self) -> None:
        """The bank's date moves (now and then back; often onto, or just before, the day a
        loan's verdict flips): the next ranking read aligns it."""
        async with self.app.state.sessionmaker() as session:
            flips = sorted(
                await session.scalars(
                    select(LedgerLoan.npl_next_change).where(
                        LedgerLoan.npl_next_change.is_not(None)
                    )
                )
            )
        if flips and self.rng.random() < 0.6:
            self.day = self.rng.choice(flips) - timedelta(days=self.rng.choice([0, 0, 1]))
        else:
            self.day += timedelta(days=self.rng.choice([1, 30, 200, 400, -90]))
        await ok(self.admin.get("/v1/liability/ranking"), 200)

    async def policy(self) -> None:
        body = {
            "npl_overdue_days": self.rng.choice([90, 180, 365]),
            "disposal_grace_days": self.rng.choice([0, 200, 365]),
        }
        await ok(self.admin.put(f"/v1/policies/liability/{self.day.year}", json=body), 200, 201)
        await ok(self.admin.get("/v1/liability/ranking"), 200)


async def recounted(app: FastAPI) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """(kept, recount): each officer's (fen, counted loans), kept and from every ledger loan."""
    async with app.state.sessionmaker() as session:
        kept = await ranking_state.state(session)
        assert kept.on is not None
        policy = LiabilityPolicy(
            npl_overdue_days=kept.npl_overdue_days, disposal_grace_days=kept.disposal_grace_days
        )
        expected: dict[str, tuple[int, int]] = {}
        for officer_id, loans in (await books(session, kept.on)).items():
            counted = [x for x in loans if count_npl(x, policy).counted]
            if counted:
                expected[officer_id] = (sum(to_fen(x.balance) for x in counted), len(counted))
        return await ranking_state.kept_rows(session), expected


@pytest.mark.parametrize("seed_", [13, 2026])
async def test_o22_o23_issue13_kept_balances_equal_a_recount_after_a_random_mix(
    app: FastAPI, admin: httpx.AsyncClient, seed_: int
) -> None:
    await seed(admin, OFFICERS)
    mix = Mix(app, admin, seed_)
    seen: set[str] = set()
    for _ in range(80):
        seen.add(await mix.step())
        kept, expected = await recounted(app)
        assert kept == expected, f"after {sorted(seen)}"
    for op in [name for name, _weight in OPS if name not in seen]:  # every kind at least once
        await getattr(mix, op)()
        kept, expected = await recounted(app)
        assert kept == expected, f"after {op}"
    # The ranking answers the same balances as the recount on its own date.
    ranking = await ok(admin.get("/v1/liability/ranking"), 200)
    kept, expected = await recounted(app)
    shown = {r["officer_id"]: r["npl_balance"] for r in ranking["officers"]}
    assert set(shown) == set(OFFICERS) - {"OF-G"}  # OF-G's node has no county
    for officer_id in shown:
        fen = expected.get(officer_id, (0, 0))[0]
        assert shown[officer_id] == f"{fen // 100}.{fen % 100:02d}"


async def test_o22_o23_issue13_rebuild_equals_the_kept_balances(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin, OFFICERS)
    mix = Mix(app, admin, 7)
    for _ in range(25):
        await mix.step()
    await ok(admin.get("/v1/liability/ranking"), 200)  # aligned on the mix's day
    before, _expected = await recounted(app)
    async with app.state.sessionmaker() as session, session.begin():
        await ranking_state.rebuild(session, mix.day)
    after, expected = await recounted(app)
    assert before == after == expected
    async with app.state.sessionmaker() as session, session.begin():
        assert await ranking_state.align(session, mix.day) == "current"


async def test_o23_issue13_ranking_etag_and_304(app: FastAPI, admin: httpx.AsyncClient) -> None:
    await seed(admin, {"OF-A": LS03, "OF-B": LS03})
    await intake(app, npl_loan("L-1", "OF-A", "5000.00"))
    first = await admin.get("/v1/liability/ranking")
    assert first.status_code == 200
    tag = first.headers["etag"]
    again = await admin.get("/v1/liability/ranking", headers={"If-None-Match": tag})
    assert (again.status_code, again.headers["etag"], again.content) == (304, tag, b"")
    assert (await admin.get("/v1/liability/ranking")).json() == first.json()
    # Another scope or county is another answer, with another tag.
    other = await admin.get("/v1/liability/ranking", params={"county": "Liwan"})
    assert other.headers["etag"] != tag
    # A change of a normal loan changes nothing shown: still 304.
    officers = {"first_responsible": "OF-B", "management_responsible": "OF-B"}
    await intake(
        app,
        [
            _event(
                "loan.disbursed",
                "L-2",
                LS03,
                {"amount": "10.00", "maturity_date": "2030-01-01", "officers": officers},
            )
        ],
    )
    same = await admin.get("/v1/liability/ranking", headers={"If-None-Match": tag})
    assert same.status_code == 304
    # A counted balance changes: a new tag and the new figure.
    await intake(app, [_event("loan.classified", "L-2", LS03, {"five_class": "loss"})])
    changed = await admin.get("/v1/liability/ranking", headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != tag
    rows = {r["officer_id"]: r["npl_balance"] for r in changed.json()["officers"]}
    assert rows == {"OF-A": "5000.00", "OF-B": "10.00"}
    # An officer's name is shown too.
    tag = changed.headers["etag"]
    await ok(admin.patch("/v1/officers/OF-B", json={"name": "Renamed"}), 200)
    renamed = await admin.get("/v1/liability/ranking", headers={"If-None-Match": tag})
    assert renamed.status_code == 200
    assert renamed.headers["etag"] != tag


async def test_o23_issue13_a_304_builds_no_page(
    app: FastAPI, admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(admin, {"OF-A": LS03})
    await intake(app, npl_loan("L-1", "OF-A", "5000.00"))
    tag = (await ok_response(admin)).headers["etag"]

    async def no_build(*_a: Any, **_k: Any) -> bytes:
        raise AssertionError("a 304 built the page")

    monkeypatch.setattr(api_liability_ranking, "_build", no_build)
    answer = await admin.get("/v1/liability/ranking", headers={"If-None-Match": f"W/{tag}"})
    assert answer.status_code == 304


async def ok_response(
    client: httpx.AsyncClient, params: dict[str, Any] | None = None
) -> httpx.Response:
    response = await client.get(PATH, params=params)
    assert response.status_code == 200, response.text
    return response


@pytest.mark.parametrize("seed_", [5, 31])
async def test_o23_issue13_a_304_exactly_when_the_page_is_unchanged(
    app: FastAPI, admin: httpx.AsyncClient, seed_: int
) -> None:
    """After every write of the mix (ledger events and corrections, management, assignment
    batches, handovers, office heads, day rolls, policy changes), the ranking asked with the
    tag it last answered: a 304 only if the page now is the same bytes, a 200 with another
    tag whenever it differs (the validator is one statement on the read pool)."""
    await seed(admin, OFFICERS)
    mix = Mix(app, admin, seed_)
    views = ({}, {"flagged": "true", "limit": 2}, {"org": LS03, "limit": 3})
    seen = {i: await ok_response(admin, params) for i, params in enumerate(views)}
    statuses: dict[str, set[int]] = {}
    for _ in range(45):
        op = await mix.step()
        for i, params in enumerate(views):
            tag, body = seen[i].headers["etag"], seen[i].content
            asked = await admin.get(PATH, params=params, headers={"If-None-Match": tag})
            fresh = await ok_response(admin, params)
            if asked.status_code == 304:
                assert fresh.headers["etag"] == tag, op
                assert fresh.content == body, op
            else:
                assert asked.status_code == 200, op
                assert asked.headers["etag"] != tag, op
            if fresh.content != body:
                assert asked.status_code == 200, op
            statuses.setdefault(op, set()).add(asked.status_code)
            seen[i] = fresh
    assert 200 in statuses["roll"], statuses  # the page shows the day
    changed = {op for op, s in statuses.items() if 200 in s}
    assert len(changed) >= 3, statuses
    assert any(304 in s for s in statuses.values()), statuses
