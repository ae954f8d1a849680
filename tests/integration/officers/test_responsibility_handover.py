"""Handovers (O18), limitation events and the limitation watch (O21) over the ledger."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError

from services.officers.models.responsibility import Handover
from shared.auth import Role
from tests.integration.officers.test_ledger import disbursed, event, post
from tests.integration.officers.test_responsibility import OFFICERS, officer_caller
from tests.support.auth import caller
from tests.support.officers import SUB_BRANCH, client_as, ok, seed


def notice(event_id: str, on: str, kind: str = "collection_notice", **extra: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "kind": kind,
        "on": on,
        "evidence": "receipt signed by the borrower",
        "served_by": "OF-A",
    } | extra


async def test_o18_handover_lists_every_loan_and_completes_only_when_all_are_taken_over(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin, OFFICERS)
    await post(
        app,
        [
            disbursed("L1"),
            event("loan.classified", "L1", {"five_class": "loss"}),
            disbursed("L2", amount="5000.00"),
        ],
    )
    handover = {
        "handover_id": "H-OF-A-2025",
        "officer_id": "OF-A",
        "kind": "moving",
        "on": "2025-06-30",
        "reason": "OF-A moves to Conghua",
    }
    async with client_as(app, SUB_BRANCH) as sub:
        await ok(sub.post("/v1/loans/L1/limitation-events", json=notice("N1", "2025-03-10")), 201)
        made = await ok(sub.post("/v1/handovers", json=handover), 201)
        assert (await ok(sub.post("/v1/handovers", json=handover), 200)) == made
        clash = await sub.post("/v1/handovers", json=handover | {"handover_id": "H-2"})
        assert clash.status_code == 409
        assert "O18" in clash.text
        items = {x["loan_id"]: x for x in made["items"]}
        assert (
            items["L1"]["npl"],
            items["L1"]["last_event_date"],
            items["L1"]["last_event_kind"],
        ) == (
            True,
            "2025-03-10",
            "collection_notice",
        )
        assert (items["L2"]["npl"], items["L2"]["balance"]) == (False, "5000.00")
        path = "/v1/handovers/H-OF-A-2025"
        early = await sub.post(f"{path}/complete")
        assert early.status_code == 409
        assert "O18" in early.text
        assert "L2: no new management responsible officer" in early.text
        self_assign = await sub.put(f"{path}/items/L1/assignee", json={"officer_id": "OF-A"})
        assert self_assign.status_code == 422
        assert "/officer_id" in self_assign.text
        await ok(sub.put(f"{path}/items/L1/assignee", json={"officer_id": "OF-C"}), 200)
        view = await ok(sub.put(f"{path}/items/L1/assignee", json={"officer_id": "OF-B"}), 200)
        view = await ok(sub.put(f"{path}/items/L2/assignee", json={"officer_id": "OF-C"}), 200)
        offers = {x["loan_id"]: x["assignment"] for x in view["items"]}
        unsigned = await sub.post(f"{path}/complete")
        assert unsigned.status_code == 409
        assert "OF-B has not signed to accept" in unsigned.text
    superseded = await ok(
        admin.get("/v1/officers/OF-C/assignments", params={"status": "superseded"}), 200
    )
    assert [x["loan_id"] for x in superseded["items"]] == ["L1"]
    for who in ("OF-B", "OF-C"):
        loan_id = "L1" if who == "OF-B" else "L2"
        async with client_as(app, officer_caller(who)) as signer:
            signed = await ok(signer.post(f"/v1/assignments/{offers[loan_id]['id']}/accept"), 200)
            assert (signed["status"], signed["applied"]) == ("accepted", False)  # on completion
    loan = await ok(admin.get("/v1/loans/L1"), 200)
    assert loan["management_responsible"] == "OF-A"
    async with client_as(app, SUB_BRANCH) as sub:
        unconfirmed = await sub.post(f"{path}/complete")
        assert unconfirmed.status_code == 409
        assert "L1: NPL without a confirmed" in unconfirmed.text
        no_event = await sub.put(
            f"{path}/items/L2/confirmation",
            json={"accountant_name": "Chen Li", "confirmed_on": "2025-06-28"},
        )
        assert no_event.status_code == 409  # L2 has no notice recorded
        assert "O18" in no_event.text
        bad = await sub.put(
            f"{path}/items/L1/confirmation",
            json={"accountant_name": "", "confirmed_on": "2025-06-28"},
        )
        assert bad.status_code == 422
        assert "/accountant_name" in bad.text
        confirmed = await ok(
            sub.put(
                f"{path}/items/L1/confirmation",
                json={"accountant_name": "Chen Li", "confirmed_on": "2025-06-28"},
            ),
            200,
        )
        item = next(x for x in confirmed["items"] if x["loan_id"] == "L1")
        assert (item["accountant_name"], item["confirmed_on"], item["confirmed_by"]) == (
            "Chen Li",
            "2025-06-28",
            "sub-branch-clerk",
        )
        done = await ok(sub.post(f"{path}/complete"), 200)
        assert done["status"] == "complete"
        assert (await ok(sub.post(f"{path}/complete"), 200))["completed_at"] == done["completed_at"]
        late = await sub.put(f"{path}/items/L2/assignee", json={"officer_id": "OF-B"})
        assert late.status_code == 409
    loan = await ok(admin.get("/v1/loans/L1"), 200)
    assert (loan["first_responsible"], loan["management_responsible"]) == ("OF-A", "OF-B")
    managed = [
        (r["officer_id"], r["start_on"], r["end_on"])
        for r in loan["responsibility"]
        if r["role"] == "management"
    ]
    assert managed == [("OF-A", "2024-01-10", "2025-06-30"), ("OF-B", "2025-06-30", None)]
    assert "O18: handover H-OF-A-2025" in loan["responsibility"][-1]["reason"]
    assert (await ok(admin.get("/v1/loans/L2"), 200))["management_responsible"] == "OF-C"
    async with client_as(app, caller(Role.BRANCH, org="HO/SZ")) as outsider:
        assert (await outsider.get(path)).status_code == 404


async def test_o21_limitation_events_are_idempotent_and_feed_the_watch(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    """L3 matures 2024-12-31 and misses an instalment due 2024-06-30: without a notice its
    limitation ends 2027-06-30, 60 days after 2027-05-01; an interruption on 2025-02-01 moves
    the end to 2028-02-01 (outside 90 days, inside a 400-day window)."""
    await seed(admin, OFFICERS)
    missed = event("repayment.missed", "L3", {"amount_due": "5000", "due_date": "2024-06-30"})
    await post(app, [disbursed("L3"), missed, disbursed("L4", maturity_date="2030-01-01")])
    params = {"on": "2027-05-01"}
    listed = await ok(admin.get("/v1/officers/OF-A/limitation-watch", params=params), 200)
    assert (listed["limitation_years"], listed["within_days"]) == (3, 90)
    assert [
        (x["loan_id"], x["limitation_start"], x["limitation_end"], x["days_left"], x["lapsed"])
        for x in listed["loans"]
    ] == [("L3", "2024-06-30", "2027-06-30", 60, False)]
    assert listed["loans"][0]["effective_management"]["officer_id"] == "OF-A"
    body = notice(
        "INT-1", "2025-02-01", kind="interruption", evidence="borrower's written acknowledgement"
    )
    async with client_as(app, officer_caller("OF-A")) as officer:
        first = await ok(officer.post("/v1/loans/L3/limitation-events", json=body), 201)
        again = await ok(officer.post("/v1/loans/L3/limitation-events", json=body), 200)
        assert again == first
        changed = await officer.post(
            "/v1/loans/L3/limitation-events", json=body | {"on": "2025-02-02"}
        )
        assert changed.status_code == 409
        future = await officer.post(
            "/v1/loans/L3/limitation-events", json=notice("N9", "2999-01-01")
        )
        assert future.status_code == 422
        assert "/on" in future.text
        wrong_kind = await officer.post(
            "/v1/loans/L3/limitation-events", json=notice("N8", "2025-01-01", kind="chat")
        )
        assert wrong_kind.status_code == 422
        assert "O21" in wrong_kind.text
    events = await ok(admin.get("/v1/loans/L3/limitation-events"), 200)
    assert [x["event_id"] for x in events["items"]] == ["INT-1"]
    listed = await ok(admin.get("/v1/officers/OF-A/limitation-watch", params=params), 200)
    assert listed["loans"] == []
    await ok(
        admin.put("/v1/policies/liability/2027", json={"limitation_watch_days": 400}), 200, 201
    )
    listed = await ok(admin.get("/v1/officers/OF-A/limitation-watch", params=params), 200)
    assert listed["within_days"] == 400
    assert [
        (x["loan_id"], x["limitation_end"], x["limitation_basis"]) for x in listed["loans"]
    ] == [("L3", "2028-02-01", "last collection notice or interruption")]
    subtree = await ok(
        admin.get("/v1/limitation-watch", params=params | {"org": "HO/GZ", "days": "90"}), 200
    )
    assert (subtree["org"], subtree["within_days"], subtree["loans"]) == ("HO/GZ", 90, [])
    subtree = await ok(admin.get("/v1/limitation-watch", params=params | {"org": "HO/GZ"}), 200)
    assert [x["loan_id"] for x in subtree["loans"]] == ["L3"]
    async with client_as(app, caller(Role.BRANCH, org="HO/SZ")) as outsider:
        theirs = await ok(outsider.get("/v1/limitation-watch", params=params), 200)
        assert theirs["loans"] == []
        assert (
            await outsider.post("/v1/loans/L3/limitation-events", json=notice("N7", "2025-01-01"))
        ).status_code == 404
    bad = await admin.get("/v1/officers/OF-A/limitation-watch", params={"on": "someday"})
    assert bad.status_code == 422


async def test_o18_a_post_change_opens_the_handover_of_the_loans_the_officer_manages(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin, OFFICERS)
    await post(app, [disbursed("L1"), disbursed("L2", amount="5000.00")])
    async with client_as(app, SUB_BRANCH) as sub:
        # OF-B manages nothing: a move opens no handover.
        quiet = await ok(sub.patch("/v1/officers/OF-B", json={"org_id": "HO/GZ/CH01"}), 200)
        assert (quiet["org_id"], quiet["handover_id"]) == ("HO/GZ/CH01", None)
        # An edit that is not a move opens none either.
        named = await ok(sub.patch("/v1/officers/OF-A", json={"name": "A. Officer"}), 200)
        assert named["handover_id"] is None
        moved = await ok(
            sub.patch(
                "/v1/officers/OF-A",
                json={"org_id": "HO/GZ/CH01", "effective_date": "2025-06-30", "reason": "rotation"},
            ),
            200,
        )
        handover_id = moved["handover_id"]
        assert handover_id is not None
        made = await ok(sub.get(f"/v1/handovers/{handover_id}"), 200)
        # At the node the officer leaves, on the date of the move, every managed loan listed.
        assert (made["officer_id"], made["org_id"], made["kind"], made["on"], made["status"]) == (
            "OF-A",
            "HO/GZ/LS03",
            "moving",
            "2025-06-30",
            "open",
        )
        assert sorted(x["loan_id"] for x in made["items"]) == ["L1", "L2"]
        # Moving again while it is open: the same handover (one open per officer).
        again = await ok(sub.patch("/v1/officers/OF-A", json={"post": "office_director"}), 200)
        assert again["handover_id"] == handover_id
    listed = await ok(admin.get("/v1/officers/OF-A"), 200)
    assert "handover_id" not in listed  # only the PATCH answer carries it


async def test_o18_the_database_refuses_a_second_open_handover_for_one_officer(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    # Two requests racing past the check before the insert: the partial unique index decides.
    await seed(admin, OFFICERS)
    await post(app, [disbursed("L1")])
    async with client_as(app, SUB_BRANCH) as sub:
        body = {"officer_id": "OF-A", "kind": "moving", "on": "2025-06-30", "reason": "move"}
        await ok(sub.post("/v1/handovers", json={"handover_id": "H-1"} | body), 201)

    def row(handover_id: str, status: str) -> Handover:
        return Handover(
            id=handover_id,
            officer_id="OF-A",
            org_id="HO/GZ/LS03",
            kind="moving",
            handover_on=date(2025, 7, 1),
            reason="racing",
            status=status,
            created_by="test",
        )

    async with app.state.sessionmaker() as session:
        session.add(row("H-2", "open"))
        with pytest.raises(IntegrityError):
            await session.flush()
    async with app.state.sessionmaker() as session, session.begin():
        session.add(row("H-3", "complete"))  # closed ones are history: any number
