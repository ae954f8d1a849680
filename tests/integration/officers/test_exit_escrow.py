"""O35 escrow in the funds ledger: a retiree's mortgage loans in disposal bought out into the
escrow account (risk fund, post deposit, then performance pay; the rest a shortfall), released
with no loss (everything given back), kept with a loss; one posting path, idempotent, scoped."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI

from shared.auth import Role
from tests.support.auth import caller
from tests.support.officers import client_as, ok, seed

D = Decimal
URL = "/v1/officers/OF-F/funds"
ACCOUNTS = ("risk_fund", "post_deposit", "shortfall", "escrow")


def op(operation_id: str, **body: Any) -> dict[str, Any]:
    return {"operation_id": operation_id, "on": "2026-03-01", **body}


async def balances(client: httpx.AsyncClient) -> dict[str, str]:
    body = await ok(client.get(URL, params={"limit": 1000}))
    assert body["next_cursor"] is None
    for account in ACCOUNTS:
        total = sum((D(m["amount"]) for m in body["items"] if m["account"] == account), D(0))
        assert D(body["balances"][account]) == total, account
    result: dict[str, str] = body["balances"]
    return result


async def funded(admin: httpx.AsyncClient) -> dict[str, Any]:
    await seed(admin, {"OF-F": "HO/GZ/LS03", "OF-S": "HO/SZ/BA02"})
    await ok(admin.post(f"{URL}/deposits", json=op("d1", account="risk_fund", amount="1000")))
    await ok(admin.post(f"{URL}/deposits", json=op("d2", account="post_deposit", amount="500")))
    loans = [{"loan_id": "M1", "amount": "1200"}, {"loan_id": "M2", "amount": "800"}]
    return op("e1", loans=loans, performance_pay="200")


async def test_o35_escrow_in_then_release_without_loss_gives_everything_back(
    admin: httpx.AsyncClient,
) -> None:
    body = await funded(admin)
    put = await ok(admin.post(f"{URL}/escrow", json=body), 201)
    assert [(m["account"], m["kind"], m["amount"], m["loan_id"]) for m in put["movements"]] == [
        ("risk_fund", "escrow_in", "-1000.00", "M1"),
        ("post_deposit", "escrow_in", "-200.00", "M1"),
        ("escrow", "escrow_in", "1200.00", "M1"),
        ("post_deposit", "escrow_in", "-300.00", "M2"),
        ("escrow", "escrow_in", "500.00", "M2"),
        ("shortfall", "shortfall", "300.00", "M2"),
    ]
    assert put["balances"] == {
        "risk_fund": "0.00",
        "post_deposit": "0.00",
        "shortfall": "300.00",
        "escrow": "1700.00",
    }
    # Idempotent: the same post replays; the same id with another body is refused.
    again = await admin.post(f"{URL}/escrow", json=body)
    assert (again.status_code, again.json()["replayed"]) == (200, True)
    clash = await admin.post(f"{URL}/escrow", json=body | {"performance_pay": "0"})
    assert clash.status_code == 409
    # A later deposit settles the escrow shortfall first (O30).
    await ok(admin.post(f"{URL}/deposits", json=op("d3", account="post_deposit", amount="100")))
    release = await ok(
        admin.post(f"{URL}/escrow/M2/release", json=op("r2", outcome="no_loss")), 201
    )
    assert [(m["account"], m["amount"]) for m in release["movements"]] == [
        ("escrow", "-500.00"),
        ("post_deposit", "400.00"),
        ("shortfall", "-200.00"),
    ]
    assert await balances(admin) == {
        "risk_fund": "0.00",
        "post_deposit": "400.00",
        "shortfall": "0.00",
        "escrow": "1200.00",
    }


async def test_o35_release_with_a_loss_keeps_the_escrow_and_refusals_name_o35(
    admin: httpx.AsyncClient,
) -> None:
    await ok(admin.post(f"{URL}/escrow", json=await funded(admin)), 201)
    twice = await admin.post(
        f"{URL}/escrow", json=op("e2", loans=[{"loan_id": "M1", "amount": "1"}])
    )
    assert twice.status_code == 409
    assert "O35" in twice.text
    o31 = await admin.post(f"{URL}/refunds", json=op("r0", loan_id="M1", collateral="mortgage"))
    assert o31.status_code == 409
    assert "O35" in o31.text
    kept = await ok(
        admin.post(f"{URL}/escrow/M1/release", json=op("r1", outcome="loss", loss="5000")), 201
    )
    assert [(m["account"], m["kind"], m["amount"]) for m in kept["movements"]] == [
        ("escrow", "escrow_kept", "-1200.00")
    ]
    assert (await balances(admin))["escrow"] == "500.00"
    after_loss = await admin.post(
        f"{URL}/refunds", json=op("r4", loan_id="M1", collateral="mortgage")
    )
    assert after_loss.status_code == 409
    assert "O35" in after_loss.text
    empty = await admin.post(f"{URL}/escrow/M1/release", json=op("r3", outcome="no_loss"))
    assert empty.status_code == 409
    assert "O35" in empty.text
    # The same operation id on another loan is not a replay of the first.
    other = await admin.post(f"{URL}/escrow/M2/release", json=op("r1", outcome="loss", loss="5000"))
    assert other.status_code == 409


async def test_o35_bad_input_scope_and_the_ledger_check(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await funded(admin)
    dup = [{"loan_id": "M1", "amount": "1"}, {"loan_id": "M1", "amount": "2"}]
    bad = await admin.post(f"{URL}/escrow", json=op("b1", loans=dup))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "/loans/1/loan_id"
    cents = await admin.post(
        f"{URL}/escrow", json=op("b2", loans=[{"loan_id": "X", "amount": "0.001"}])
    )
    assert cents.status_code == 422
    assert cents.json()["errors"][0]["pointer"] == "/loans/0/amount"
    assert "O35" in cents.text
    outcome = await admin.post(f"{URL}/escrow/M1/release", json=op("b3", outcome="maybe"))
    assert outcome.status_code == 422
    loss = await admin.post(f"{URL}/escrow/M1/release", json=op("b4", outcome="no_loss", loss="1"))
    assert loss.status_code == 422
    assert loss.json()["errors"][0]["pointer"] == "/loss"
    async with client_as(app, caller(Role.BRANCH, org="HO/GZ")) as branch:
        hidden = await branch.get("/v1/officers/OF-S/funds")
        assert hidden.status_code == 404
        denied = await branch.post(f"{URL}/escrow", json=op("b5", loans=dup[:1]))
        assert denied.status_code == 403
    async with client_as(app, caller(Role.HEAD_OFFICE, org="HO/SZ")) as other:
        assert (await other.post(f"{URL}/escrow", json=op("b6", loans=dup[:1]))).status_code == 404
    # A ledger loan that is an unsecured loan of OF-F: not a mortgage in disposal.
    event = {
        "event_id": f"U1-{uuid.uuid4().hex[:8]}",
        "type": "loan.disbursed",
        "occurred_at": "2020-01-10T09:00:00+08:00",
        "loan_id": "U1",
        "borrower_id": "B1",
        "org": "HO/GZ/LS03",
        "body": {
            "amount": "1000",
            "maturity_date": "2021-01-10",
            "collateral_kind": "unsecured",
            "officers": {"first_responsible": "OF-F", "management_responsible": "OF-F"},
        },
    }
    async with client_as(app, caller(Role.PRODUCER, org="HO/GZ")) as producer:
        await ok(producer.post("/v1/ledger/events", json=[event]), 200)
    refused = await admin.post(
        f"{URL}/escrow", json=op("b7", loans=[{"loan_id": "U1", "amount": "10"}])
    )
    assert refused.status_code == 409
    assert "O35" in refused.text
    await ok(admin.patch("/v1/loans/U1", json={"in_disposal": True}), 200)
    still = await admin.post(
        f"{URL}/escrow", json=op("b8", loans=[{"loan_id": "U1", "amount": "10"}])
    )
    assert still.status_code == 409
    assert "mortgage" in still.text
