"""Issue 13 / W13: the dashboard tiles are kept by the writes, yet equal a count from scratch.

After a random mix of events (raising, escalating, group contagion W1e, parked events W18),
redeliveries, reports (W10, W12), monthly updates (W11), mitigation, resolutions, sweeps (W14)
and moves of the clock, the summary of every subtree equals a brute-force count over every
warning the API lists, and the kept counts per node equal `tiles.recount` of the rows. The
kept escalation feed equals its recount, and the latest escalations of every subtree (W4),
paged, equal a walk over the whole history."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from services.warnings import escalation_feed, tiles_store
from services.warnings.models import EarlyWarning, EscalationFeed, WarningHistory
from shared.migrate import downgrade, upgrade
from tests.integration.warnings.conftest import START, Bank
from tests.support.warnings import summary_by_brute_force

CONTENT = {"situation": "sales collapsed", "cause": "lost main customer", "measures": "collect"}
OPEN = ("raised", "reported_to_branch", "reported_to_head_office", "under_mitigation")
ORGS = ("HO/GZ/LS03", "HO/GZ/LS04", "HO/SZ/BA02", "HO/SZ/BA02/X1")
SUBTREES = ("HO", "HO/GZ", "HO/SZ/BA02", "HO/GZ/LS04")
SOON = timedelta(hours=24)
FEED_REVISION = "3c8e5f1a9d42"  # migrations/versions/2026_12_02_2200_escalation_feed.py


async def every_warning(bank: Bank) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        response = await bank.client.get("/v1/warnings", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def assert_tiles_equal_a_recount(bank: Bank, now: datetime) -> None:
    items = await every_warning(bank)
    for org in SUBTREES:
        response = await bank.client.get("/v1/summary", params={"org": org})
        assert response.status_code == 200, response.text
        assert response.json() == summary_by_brute_force(items, org, now, SOON), org
    async with bank.app.state.sessionmaker() as session:
        kept, _clock = await tiles_store.counts_now(session, "HO", now)
        assert tiles_store.without_zeros(kept) == await tiles_store.recount_now(session, "HO", now)
    await assert_escalations_equal_a_walk_of_the_history(bank)


async def kept_feed(bank: Bank) -> set[tuple[str, int, str]]:
    async with bank.app.state.sessionmaker() as session:
        rows = (await session.execute(select(EscalationFeed))).scalars()
        return {(f.node, f.history_id, f.warning_id) for f in rows}


async def assert_escalations_equal_a_walk_of_the_history(bank: Bank) -> None:
    """W4 / issue 13: the kept feed is its recount, and every subtree's pages equal a walk."""
    async with bank.app.state.sessionmaker() as session:
        found = (await session.execute(escalation_feed.recount_statement())).all()
    recounted = escalation_feed.feed_rows((r[0], r[1], r[2]) for r in found)
    assert await kept_feed(bank) == {
        (f["node"], f["history_id"], f["warning_id"]) for f in recounted
    }
    async with bank.app.state.sessionmaker() as session:
        rows = (
            await session.execute(
                select(WarningHistory, EarlyWarning)
                .join(EarlyWarning, EarlyWarning.id == WarningHistory.warning_id)
                .order_by(WarningHistory.id.desc())
            )
        ).all()
    for org in SUBTREES:
        expected = [
            (h.warning_id, h.level, h.at)
            for h, w in rows
            if h.action == "escalated"
            and w.state in OPEN
            and (w.org == org or w.org.startswith(org + "/"))
        ]
        seen: list[tuple[str, str, datetime]] = []
        cursor = None
        while True:
            params = {"org": org, "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await bank.client.get("/v1/escalations", params=params)).json()
            seen += [
                (e["warning_id"], e["level"], datetime.fromisoformat(e["at"]))
                for e in page["items"]
            ]
            if (cursor := page["next_cursor"]) is None:
                break
        assert seen == expected, org


class Mix:
    """Random but reproducible operations on a small bank."""

    def __init__(self, bank: Bank, seed: int) -> None:
        self.bank, self.rng = bank, random.Random(seed)
        self.now = START
        self.sent: list[dict[str, Any]] = []
        self.loans = [f"L{i}" for i in range(16)]

    def borrower(self, loan: str) -> str:
        return f"B{int(loan[1:]) % 10}"

    async def send(self, *events: dict[str, Any]) -> None:
        self.sent += events
        await self.bank.post(*events)

    async def setup(self) -> None:
        # half the loans first; the others arrive later, after events about them (W18)
        await self.send(*(self.disbursed(loan) for loan in self.loans[:8]))
        await self.send(
            *(
                self.bank.event("borrower.group_linked", {"group_id": "G1"}, borrower_id=b)
                for b in ("B0", "B1", "B2")
            )
        )

    def disbursed(self, loan: str) -> dict[str, Any]:
        org = ORGS[int(loan[1:]) % len(ORGS)]
        amount = self.rng.choice(["100", "2000000", "6000000"])
        extra = {"body": {"group_id": "G1"}} if self.borrower(loan) in ("B3", "B4") else {}
        return self.bank.disbursed(
            loan, self.borrower(loan), amount, "2027-06-30", org=org, at=self.now, **extra
        )

    def loan_event(self) -> dict[str, Any]:
        loan = self.rng.choice(self.loans)
        org = ORGS[int(loan[1:]) % len(ORGS)]
        kind = self.rng.randrange(4)
        if kind == 0:
            since = (self.now.date() - timedelta(days=self.rng.choice([1, 5, 40, 100]))).isoformat()
            body: dict[str, Any] = {"amount": "10", "since": since}
            return self.bank.event("interest.arrears", body, loan_id=loan, org=org, at=self.now)
        if kind == 1:
            body = {"five_class": self.rng.choice(["substandard", "doubtful", "normal"])}
            return self.bank.event("loan.classified", body, loan_id=loan, org=org, at=self.now)
        if kind == 2:
            due = (self.now.date() - timedelta(days=self.rng.choice([1, 20, 95]))).isoformat()
            body = {"amount_due": "50", "due_date": due}
            return self.bank.event("repayment.missed", body, loan_id=loan, org=org, at=self.now)
        body = {"kind": "major_lawsuit"}
        borrower = self.borrower(loan)
        return self.bank.event(
            "borrower.major_event", body, borrower_id=borrower, org=org, at=self.now
        )

    async def lifecycle(self) -> None:
        items = list(await self.bank.warnings(state="open", limit=200))
        if not items:
            return
        # ordered by what the mix decided, not by the random ids, so a seed replays the same
        fields = ("kind", "loan_id", "borrower_id", "source_event_id", "detail", "raised_at")
        items.sort(key=lambda x: tuple(x[f] or "" for f in fields))
        if self.rng.random() < 0.5:  # the furthest along, so some reach the end (W10)
            w = max(items, key=lambda x: (OPEN.index(x["state"]), x["raised_at"]))
        else:
            w = self.rng.choice(items)
        # mostly the step the warning's state allows (W10-W12), sometimes any (refused: 4xx)
        usual = {"raised": [0], "reported_to_branch": [1, 3, 4], "reported_to_head_office": [3, 4]}
        choices = usual.get(w["state"], [4]) if self.rng.random() < 0.7 else range(5)
        action = self.rng.choice(list(choices))
        path = f"/v1/warnings/{w['id']}"
        if action == 0:
            body: dict[str, Any] = {"step": "branch", "content": CONTENT}
            response = await self.bank.client.post(f"{path}/reports", json=body)
        elif action == 1:
            body = {"step": "head_office", "content": CONTENT}
            response = await self.bank.client.post(f"{path}/reports", json=body)
        elif action == 2:
            response = await self.bank.client.post(f"{path}/updates", json={"text": "collected"})
        elif action == 3:
            body = {"leader": "Li", "leader_post": "sub_branch_head", "branch_principal": "Wu"}
            response = await self.bank.client.post(f"{path}/mitigation", json=body)
        else:
            reason = self.rng.choice(["repaid", "risk_cleared", "written_off"])
            response = await self.bank.client.post(f"{path}/resolve", json={"reason": reason})
        assert response.status_code < 500, response.text

    async def step(self) -> None:
        op = self.rng.randrange(11)
        if op <= 3:
            await self.send(*(self.loan_event() for _ in range(self.rng.randint(1, 5))))
        elif op == 4 and self.sent:
            await self.bank.post(*self.rng.sample(self.sent, min(3, len(self.sent))))
        elif op == 5:
            waiting = [loan for loan in self.loans[8:] if not any(
                e["type"] == "loan.disbursed" and e["loan_id"] == loan for e in self.sent
            )]  # fmt: skip
            if waiting:
                await self.send(self.disbursed(self.rng.choice(waiting)))
        elif op in (6, 7, 10):
            await self.lifecycle()
        elif op == 8:
            response = await self.bank.client.post("/v1/sweeps/run")
            assert response.status_code == 200, response.text
        else:
            self.now += timedelta(hours=self.rng.choice([1, 7, 20, 30, 24 * 20]))
            self.bank.at(self.now)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_issue13_w13_kept_tiles_equal_a_recount_after_a_random_mix(
    bank: Bank, seed: int
) -> None:
    mix = Mix(bank, seed)
    await mix.setup()
    for i in range(70):
        await mix.step()
        if i % 10 == 9:
            await assert_tiles_equal_a_recount(bank, mix.now)
    # a read far from the tiles' clock is still exact; a sweep then moves the clock
    mix.now += timedelta(days=3)
    bank.at(mix.now)
    await assert_tiles_equal_a_recount(bank, mix.now)
    assert (await bank.client.post("/v1/sweeps/run")).status_code == 200
    await assert_tiles_equal_a_recount(bank, mix.now)
    async with bank.app.state.sessionmaker() as session:
        assert (await tiles_store.clock(session)).at == mix.now


async def test_issue13_rebuild_gives_the_same_tiles(bank: Bank) -> None:
    mix = Mix(bank, 7)
    await mix.setup()
    for _ in range(30):
        await mix.step()
    before = (await bank.client.get("/v1/summary")).json()
    feed = await kept_feed(bank)
    assert feed  # the mix escalated open warnings
    async with bank.app.state.sessionmaker() as session, session.begin():
        await tiles_store.rebuild(session, mix.now - timedelta(hours=5))
        await escalation_feed.rebuild(session)
    assert (await bank.client.get("/v1/summary")).json() == before
    assert await kept_feed(bank) == feed
    await assert_tiles_equal_a_recount(bank, mix.now)


async def test_issue13_the_mix_covers_what_the_tiles_count(bank: Bank) -> None:
    """The random mix above really escalates, reports, resolves, marks overdue and parks."""
    mix = Mix(bank, 1)
    await mix.setup()
    for _ in range(70):
        await mix.step()
    items = await every_warning(bank)
    states = {w["state"] for w in items}
    assert "raised" in states, states
    assert states & {"resolved", "written_off"}, states
    assert len(states) >= 3, states
    assert {w["level"] for w in items} == {"yellow", "orange", "red"}
    assert any(w["branch_overdue"] for w in items)
    assert any(w["kind"] == "group_contagion" for w in items)
    summary = (await bank.client.get("/v1/summary")).json()
    assert summary["overdue"] > 0
    escalations = (await bank.client.get("/v1/escalations", params={"limit": 100})).json()
    assert escalations["items"]


async def test_issue13_w4_the_feed_migration_fills_the_feed_from_the_history(
    bank: Bank, warnings_db: str
) -> None:
    """A database migrated to the feed's revision gets the feed of its history: downgraded
    past it (the feed dropped) and upgraded again, the feed is what the writes had kept."""
    mix = Mix(bank, 3)
    await mix.setup()
    for _ in range(40):
        await mix.step()
    feed = await kept_feed(bank)
    assert feed
    await asyncio.to_thread(downgrade, "warnings", warnings_db, FEED_REVISION + "-1")
    await asyncio.to_thread(upgrade, "warnings", warnings_db)
    assert await kept_feed(bank) == feed
    await assert_escalations_equal_a_walk_of_the_history(bank)
