"""The loan ledger (O17, O22): loan and repayment events give balance, class, overdue days and
responsibility with history; an event applied twice counts once; management reassignment."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from shared.auth import Role
from tests.support.auth import caller
from tests.support.officers import client_as, ok, seed

ORG = "HO/GZ/LS03"


def event(kind: str, loan_id: str, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"{loan_id}-{kind}-{uuid.uuid4().hex[:8]}",
        "type": kind,
        "occurred_at": "2024-01-10T09:00:00+08:00",
        "loan_id": loan_id,
        "borrower_id": "B1",
        "org": ORG,
        "body": body,
    } | extra


def disbursed(loan_id: str, amount: str = "100000.00", **body: Any) -> dict[str, Any]:
    return event(
        "loan.disbursed",
        loan_id,
        {
            "amount": amount,
            "maturity_date": "2024-12-31",
            "collateral_kind": "unsecured",
            "officers": {"first_responsible": "OF-A", "management_responsible": "OF-A"},
        }
        | body,
    )


def story(loan_id: str) -> list[dict[str, Any]]:
    """Disbursed 100,000; 30,000.50 repaid; a missed instalment due 2024-06-30."""
    return [
        disbursed(loan_id),
        event("repayment.received", loan_id, {"principal": "30000.50", "interest": "900"}),
        event("repayment.missed", loan_id, {"amount_due": "5000", "due_date": "2024-06-30"}),
        event("loan.classified", loan_id, {"five_class": "special_mention"}),
    ]


async def post(app: FastAPI, events: list[dict[str, Any]]) -> dict[str, Any]:
    async with client_as(app, caller(Role.PRODUCER, org="HO/GZ")) as producer:
        return await ok(producer.post("/v1/ledger/events", json=events), 200)


async def test_o17_o22_events_build_the_ledger_and_redelivery_counts_once(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin, {"OF-A": ORG, "OF-B": ORG})
    events = story("L1")
    assert await post(app, events) == {"accepted": 4, "applied": 4}
    assert await post(app, events) == {"accepted": 4, "applied": 0}  # redelivered
    loan = await ok(admin.get("/v1/loans/L1"), 200)
    assert (loan["balance"], loan["five_class"], loan["overdue_since"]) == (
        "69999.50",
        "special_mention",
        "2024-06-30",
    )
    assert loan["loan_date"] == "2024-01-10"
    assert loan["overdue_days"] > 365  # the reading date is today
    # O22: special mention, but overdue more than a year: counted.
    assert loan["npl_counted"] is True
    assert loan["npl_reason"].startswith("O22: overdue")
    assert [(r["role"], r["officer_id"], r["end_on"]) for r in loan["responsibility"]] == [
        ("first", "OF-A", None),
        ("management", "OF-A", None),
    ]
    book = await ok(admin.get("/v1/officers/OF-A/loans", params={"role": "first"}), 200)
    assert (book["balance"], book["npl_balance"]) == ("69999.50", "69999.50")
    applied = await ok(admin.get(f"/v1/ledger/processed/{events[0]['event_id']}"), 200)
    assert applied == {"applied": True}


async def test_o17_management_reassignment_keeps_history_and_first_responsible(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin, {"OF-A": ORG, "OF-B": ORG})
    await post(app, [disbursed("L2")])
    body = {
        "officer_id": "OF-B",
        "effective_on": "2025-01-01",
        "reason": "year start reassignment",
        "accepted_by": "OF-B",
    }
    loan = await ok(admin.put("/v1/loans/L2/management", json=body), 200)
    assert (loan["first_responsible"], loan["management_responsible"]) == ("OF-A", "OF-B")
    assert [(r["role"], r["officer_id"], r["end_on"]) for r in loan["responsibility"]] == [
        ("first", "OF-A", None),
        ("management", "OF-A", "2025-01-01"),
        ("management", "OF-B", None),
    ]
    again = await ok(admin.put("/v1/loans/L2/management", json=body), 200)
    assert len(again["responsibility"]) == 3  # the same officer again changes nothing
    book = await ok(admin.get("/v1/officers/OF-B/loans"), 200)
    assert [x["loan_id"] for x in book["loans"]] == ["L2"]
    bad = await admin.put("/v1/loans/L2/management", json={**body, "accepted_by": ""})
    assert bad.status_code == 422
    assert "/accepted_by" in bad.text
    assert "O17" in bad.text


async def test_o22_correction_in_disposal_and_subtree_visibility(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin, {"OF-A": ORG})
    loan_event = disbursed("L3", collateral_kind="house mortgage")
    missed = event("repayment.missed", "L3", {"amount_due": "1", "due_date": "2099-01-01"})
    classified = event("loan.classified", "L3", {"five_class": "loss"})
    await post(app, [loan_event, missed, classified])
    loan = await ok(admin.get("/v1/loans/L3"), 200)
    assert (loan["collateral"], loan["npl_counted"]) == ("mortgage", True)
    fixed = await ok(admin.patch("/v1/loans/L3", json={"in_disposal": True}), 200)
    # A mortgage in disposal, not overdue a year: not counted (O22).
    assert fixed["npl_counted"] is False
    bad = await admin.patch("/v1/loans/L3", json={"balance": "-1"})
    assert bad.status_code == 422
    assert "/balance" in bad.text
    async with client_as(app, caller(Role.BRANCH, org="HO/SZ")) as other:
        assert (await other.get("/v1/loans/L3")).status_code == 404
    async with client_as(app, caller(Role.PRODUCER, org="HO/SZ")) as outsider:
        denied = await outsider.post("/v1/ledger/events", json=[disbursed("L4")])
        assert denied.status_code == 403
    malformed = await post_raw(app, [{"type": "loan.disbursed", "event_id": "x"}])
    assert malformed.status_code == 422


async def post_raw(app: FastAPI, payload: Any) -> httpx.Response:
    async with client_as(app, caller(Role.PRODUCER, org="HO")) as producer:
        return await producer.post("/v1/ledger/events", json=payload)


async def test_o17_repayments_before_their_disbursement_wait_for_it(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    """The repayment topic may run ahead of the loan topic: nothing is lost or counted twice."""
    await seed(admin, {"OF-A": ORG})
    first, *rest = story("L5")
    assert await post(app, rest) == {"accepted": 3, "applied": 3}
    assert (await admin.get("/v1/loans/L5")).status_code == 404
    await post(app, [first])
    await post(app, rest)  # redelivered after the disbursement: already applied
    loan = await ok(admin.get("/v1/loans/L5"), 200)
    assert (loan["balance"], loan["five_class"], loan["overdue_since"]) == (
        "69999.50",
        "special_mention",
        "2024-06-30",
    )
