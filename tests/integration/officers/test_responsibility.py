"""Responsibility over the ledger (O17, O19): year-start assignments signed by the new officer,
the office-head fallback, the head-office waiver of a first responsible officer, and the
refinancing split into an old and a new part."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from shared.auth import Role
from tests.integration.officers.test_ledger import disbursed, event, post
from tests.support.auth import caller
from tests.support.officers import HEAD_OFFICE, SUB_BRANCH, client_as, ok, seed

ORG = "HO/GZ/LS03"
OFFICERS = {"OF-A": ORG, "OF-B": ORG, "OF-C": ORG, "OF-H": ORG, "OF-S": "HO/SZ/BA02"}


def officer_caller(officer_id: str, org: str = ORG) -> Any:
    return caller(Role.OFFICER, org=org, subject=officer_id)


def batch(batch_id: str, *items: tuple[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "batch_id": batch_id,
        "kind": "year_start",
        "effective_on": "2025-01-01",
        "reason": "2025 year-start responsibility",
        "items": [{"loan_id": loan, "officer_id": who} for loan, who in items],
    } | extra


async def test_o17_year_start_assignment_waits_for_the_new_officer_to_sign(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin, OFFICERS)
    await post(app, [disbursed("L1"), disbursed("L2")])
    async with client_as(app, SUB_BRANCH) as sub:
        made = await ok(
            sub.post("/v1/assignment-batches", json=batch("Y2025", ("L1", "OF-B"))), 201
        )
        again = await ok(
            sub.post("/v1/assignment-batches", json=batch("Y2025", ("L1", "OF-B"))), 200
        )
        assert again == made
        reused = await sub.post("/v1/assignment-batches", json=batch("Y2025", ("L2", "OF-B")))
        assert reused.status_code == 409
        assert "O17" in reused.text
        unknown = await sub.post("/v1/assignment-batches", json=batch("Y2", ("L2", "OF-X")))
        assert unknown.status_code == 422
        assert "/items/0/officer_id" in unknown.text
        assert "O17" in unknown.text
        twice = await sub.post(
            "/v1/assignment-batches", json=batch("Y3", ("L2", "OF-B"), ("L2", "OF-C"))
        )
        assert twice.status_code == 422
        assert "/items/1/loan_id" in twice.text
    (offer,) = made["assignments"]
    assert (offer["status"], offer["officer_id"], offer["applied"]) == ("pending", "OF-B", False)
    loan = await ok(admin.get("/v1/loans/L1"), 200)
    assert loan["management_responsible"] == "OF-A"  # pending until OF-B signs
    accept = f"/v1/assignments/{offer['id']}/accept"
    async with client_as(app, officer_caller("OF-A")) as other:
        refused = await other.post(accept)
        assert refused.status_code == 403
        assert "O17" in refused.text
    async with client_as(app, officer_caller("OF-B")) as signer:
        signed = await ok(signer.post(accept), 200)
        assert (signed["status"], signed["accepted_by"], signed["applied"]) == (
            "accepted",
            "OF-B",
            True,
        )
        assert (await ok(signer.post(accept), 200))["accepted_at"] == signed["accepted_at"]
    loan = await ok(admin.get("/v1/loans/L1"), 200)
    assert (loan["first_responsible"], loan["management_responsible"]) == ("OF-A", "OF-B")
    assert [
        (r["role"], r["officer_id"], r["end_on"], r["accepted_by"]) for r in loan["responsibility"]
    ] == [
        ("first", "OF-A", None, None),
        ("management", "OF-A", "2025-01-01", None),
        ("management", "OF-B", None, "OF-B"),
    ]
    pending = await ok(
        admin.get("/v1/officers/OF-B/assignments", params={"status": "pending"}), 200
    )
    assert pending["items"] == []
    async with client_as(app, caller(Role.BRANCH, org="HO/SZ")) as outsider:
        hidden = await outsider.post("/v1/assignment-batches", json=batch("Y9", ("L1", "OF-S")))
        assert hidden.status_code == 404


async def test_o17_a_loan_without_management_officer_falls_to_its_office_head(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin, OFFICERS | {"OF-K": "HO/GZ/LS03/OF1"})
    officers = {"first_responsible": "OF-A", "management_responsible": None}
    await post(
        app,
        [
            disbursed("L5", officers=officers),
            disbursed("L6", officers=officers, amount="2000.00") | {"org": "HO/GZ/LS03/OF1"},
        ],
    )
    loan = await ok(admin.get("/v1/loans/L5"), 200)
    assert loan["effective_management"] == {
        "officer_id": None,
        "fallback": "office_head",
        "head_of": None,
    }
    async with client_as(app, SUB_BRANCH) as sub:
        head = await ok(
            sub.put(f"/v1/org-heads/{ORG}", json={"officer_id": "OF-H", "since": "2024-01-01"}), 200
        )
        assert head["officer_id"] == "OF-H"
        bad = await sub.put(
            f"/v1/org-heads/{ORG}", json={"officer_id": "OF-S", "since": "2024-01-01"}
        )
        assert bad.status_code == 422  # OF-S is outside the sub-branch's subtree
        assert "/officer_id" in bad.text
    loan = await ok(admin.get("/v1/loans/L5"), 200)
    assert loan["effective_management"] == {
        "officer_id": "OF-H",
        "fallback": "office_head",
        "head_of": ORG,
    }
    book = await ok(admin.get("/v1/officers/OF-H/loans"), 200)
    assert [x["loan_id"] for x in book["loans"]] == ["L5", "L6"]
    assert book["balance"] == "102000.00"
    # The office below gets its own head: its loan falls to that head, not the sub-branch's.
    await ok(
        admin.put(
            "/v1/org-heads/HO/GZ/LS03/OF1", json={"officer_id": "OF-K", "since": "2025-01-01"}
        ),
        200,
    )
    book = await ok(admin.get("/v1/officers/OF-H/loans"), 200)
    assert [x["loan_id"] for x in book["loans"]] == ["L5"]
    book = await ok(admin.get("/v1/officers/OF-K/loans"), 200)
    assert [(x["loan_id"], x["effective_management"]["head_of"]) for x in book["loans"]] == [
        ("L6", "HO/GZ/LS03/OF1")
    ]
    assert (await admin.get("/v1/org-heads/HO/GZ/CH01")).status_code == 404


async def test_o17_head_office_may_waive_the_first_responsible_of_a_restructured_loan(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin, OFFICERS)
    await post(app, [disbursed("L7")])
    body = {
        "departure": "retired",
        "restructuring_ref": "RS-2025-07",
        "approval_ref": "HO-APP-88",
        "approved_on": "2025-03-01",
    }
    async with client_as(app, SUB_BRANCH) as sub:
        assert (
            await sub.post("/v1/loans/L7/first-responsible-waiver", json=body)
        ).status_code == 403
    async with client_as(app, HEAD_OFFICE) as ho:
        loan = await ok(ho.post("/v1/loans/L7/first-responsible-waiver", json=body), 200)
        assert (loan["first_responsible"], loan["management_responsible"]) == (None, "OF-A")
        firsts = [r for r in loan["responsibility"] if r["role"] == "first"]
        assert [(r["officer_id"], r["end_on"]) for r in firsts] == [
            ("OF-A", "2025-03-01"),
            (None, None),
        ]
        assert "HO-APP-88" in firsts[1]["reason"]
        assert "retired" in firsts[1]["reason"]
        again = await ok(ho.post("/v1/loans/L7/first-responsible-waiver", json=body), 200)
        assert len(again["responsibility"]) == len(loan["responsibility"])
        other = await ho.post(
            "/v1/loans/L7/first-responsible-waiver", json=body | {"approval_ref": "HO-APP-99"}
        )
        assert other.status_code == 409
        assert "O17" in other.text
        wrong = await ho.post(
            "/v1/loans/L7/first-responsible-waiver", json=body | {"departure": "bored"}
        )
        assert wrong.status_code == 422
        assert "/departure" in wrong.text


def refinance_body(**extra: Any) -> dict[str, Any]:
    """100,000 = old principal 80,000 + old interest 2,400.50 + newly added 17,599.50."""
    return {
        "refinance_id": "RF-1",
        "case": "interest_serviced_better_security",
        "old_principal": "80000.00",
        "old_interest": "2400.50",
        "new_amount": "17599.50",
        "handling_officer_id": "OF-B",
        "approval_ref": "LRC-2025-014",
        "approved_on": "2025-02-10",
        "on": "2025-02-15",
    } | extra


async def test_o19_refinancing_splits_the_loan_and_each_officer_answers_for_a_part(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin, OFFICERS)
    await post(app, [disbursed("L8"), disbursed("L9")])
    async with client_as(app, SUB_BRANCH) as sub:
        not_a_case = await sub.post(
            "/v1/loans/L8/refinance", json=refinance_body(case="friendly_borrower")
        )
        assert not_a_case.status_code == 422
        assert "/case" in not_a_case.text
        assert "O19" in not_a_case.text
        short = await sub.post("/v1/loans/L8/refinance", json=refinance_body(new_amount="7599.50"))
        assert short.status_code == 422
        assert "/new_amount" in short.text
        assert "O19" in short.text
        loan = await ok(sub.post("/v1/loans/L8/refinance", json=refinance_body()), 200)
        assert loan["parts"] == [
            {
                "part": "old",
                "amount": "82400.50",
                "balance": "82400.50",
                "first_responsible": "OF-A",
            },
            {
                "part": "new",
                "amount": "17599.50",
                "balance": "17599.50",
                "first_responsible": "OF-B",
            },
        ]
        assert loan["first_responsible"] == "OF-A"
        again = await ok(sub.post("/v1/loans/L8/refinance", json=refinance_body()), 200)
        assert again["responsibility"] == loan["responsibility"]
        other = await sub.post("/v1/loans/L8/refinance", json=refinance_body(refinance_id="RF-2"))
        assert other.status_code == 409
        assert "O19" in other.text
    await post(app, [event("repayment.received", "L8", {"principal": "49999.99", "interest": "0"})])
    loan = await ok(admin.get("/v1/loans/L8"), 200)
    # 50,000.01 x 82,400.50 / 100,000 = 41,200.26 for the old part; the rest 8,799.75
    assert [(p["part"], p["balance"]) for p in loan["parts"]] == [
        ("old", "41200.26"),
        ("new", "8799.75"),
    ]
    first_a = await ok(admin.get("/v1/officers/OF-A/loans", params={"role": "first"}), 200)
    assert [(x["loan_id"], x["responsible_balance"]) for x in first_a["loans"]] == [
        ("L8", "41200.26"),
        ("L9", "100000.00"),
    ]
    assert first_a["balance"] == "141200.26"
    first_b = await ok(admin.get("/v1/officers/OF-B/loans", params={"role": "first"}), 200)
    assert [(x["loan_id"], x["responsible_balance"]) for x in first_b["loans"]] == [
        ("L8", "8799.75")
    ]
    assert first_b["balance"] == "8799.75"
    async with client_as(app, caller(Role.BRANCH, org="HO/SZ")) as outsider:
        assert (
            await outsider.post("/v1/loans/L9/refinance", json=refinance_body())
        ).status_code == 404


async def test_o17_post_change_supersedes_a_pending_offer_and_bad_input_names_the_rule(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin, OFFICERS)
    await post(app, [disbursed("L10")])
    first = await ok(admin.post("/v1/assignment-batches", json=batch("Y1", ("L10", "OF-B"))), 201)
    moved = batch("P1", ("L10", "OF-C"), kind="post_change", effective_on="2025-04-01")
    await ok(admin.post("/v1/assignment-batches", json=moved), 201)
    old = await ok(admin.get("/v1/assignment-batches/Y1"), 200)
    assert old["assignments"][0]["status"] == "superseded"
    async with client_as(app, officer_caller("OF-B")) as late:
        stale = await late.post(f"/v1/assignments/{first['assignments'][0]['id']}/accept")
        assert stale.status_code == 409
        assert "O17" in stale.text
    for bad in (
        admin.post("/v1/assignments/0/accept"),
        admin.post("/v1/assignments/abc/accept"),
        admin.post("/v1/assignment-batches", json=batch("Y5", ("L10", "OF-B"), kind="monthly")),
        admin.post("/v1/assignment-batches", json=batch("Y6") | {"items": []}),
        admin.post("/v1/loans/L10/refinance", json=refinance_body(old_interest="-1")),
        admin.put("/v1/org-heads/HO/GZ", json={"officer_id": "OF-A", "since": "not a date"}),
    ):
        response = await bad
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["pointer"]
    assert (await admin.post("/v1/assignments/999/accept")).status_code == 404
    missing = await admin.put(
        "/v1/org-heads/HO/XX", json={"officer_id": "OF-A", "since": "2025-01-01"}
    )
    assert missing.status_code == 404
    assert (await admin.get("/v1/handovers/nope")).status_code == 404
