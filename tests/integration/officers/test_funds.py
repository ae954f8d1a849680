"""O30-O31 compensation accounts: every movement is a row, balances are sums of movements,
shortfalls carry forward to later deposits, refunds of repaid loans, idempotent posts."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI

from shared.auth import Role
from tests.support.auth import caller
from tests.support.officers import client_as, ok, seed

D = Decimal
ACCOUNTS = ("risk_fund", "post_deposit", "shortfall")


async def setup(admin: httpx.AsyncClient) -> None:
    await seed(admin, {"OF-F": "HO/GZ/LS03", "OF-S": "HO/SZ/BA02"})


def op(operation_id: str, **body: Any) -> dict[str, Any]:
    return {"operation_id": operation_id, "on": "2026-01-15", **body}


async def statement(client: httpx.AsyncClient, officer_id: str = "OF-F") -> dict[str, Any]:
    body = await ok(client.get(f"/v1/officers/{officer_id}/funds", params={"limit": 1000}), 200)
    assert body["next_cursor"] is None
    for account in ACCOUNTS:
        total = sum((D(m["amount"]) for m in body["items"] if m["account"] == account), D(0))
        assert D(body["balances"][account]) == total, account
    return body


async def test_o30_deduction_takes_risk_fund_then_deposit_and_carries_the_shortfall(
    admin: httpx.AsyncClient,
) -> None:
    await setup(admin)
    url = "/v1/officers/OF-F/funds"
    await ok(admin.post(f"{url}/deposits", json=op("d1", account="risk_fund", amount="300.00")))
    await ok(admin.post(f"{url}/deposits", json=op("d2", account="post_deposit", amount="200")))
    cut = await ok(admin.post(f"{url}/deductions", json=op("x1", amount="650.50", loan_id="L1")))
    assert [(m["account"], m["kind"], m["amount"]) for m in cut["movements"]] == [
        ("risk_fund", "deduction", "-300.00"),
        ("post_deposit", "deduction", "-200.00"),
        ("shortfall", "shortfall", "150.50"),
    ]
    assert cut["balances"] == {
        "risk_fund": "0.00",
        "post_deposit": "0.00",
        "shortfall": "150.50",
        "escrow": "0.00",
    }
    # A later deposit settles the shortfall first.
    later = await ok(
        admin.post(f"{url}/deposits", json=op("d3", account="post_deposit", amount="100")), 201
    )
    assert later["balances"] == {
        "risk_fund": "0.00",
        "post_deposit": "0.00",
        "shortfall": "50.50",
        "escrow": "0.00",
    }
    body = await statement(admin)
    assert len(body["items"]) == 8


async def test_o30_a_retried_post_replays_and_a_reused_id_is_refused(
    admin: httpx.AsyncClient,
) -> None:
    await setup(admin)
    url = "/v1/officers/OF-F/funds/deposits"
    first = await admin.post(url, json=op("k", account="risk_fund", amount="10"))
    again = await admin.post(url, json=op("k", account="risk_fund", amount="10"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["replayed"] is True
    assert again.json()["movements"] == first.json()["movements"]
    clash = await admin.post(url, json=op("k", account="risk_fund", amount="11"))
    assert clash.status_code == 409
    assert "O30" in clash.text
    assert (await statement(admin))["balances"]["risk_fund"] == "10.00"


async def test_o31_refund_of_repaid_mortgage_and_none_for_unsecured_npl(
    admin: httpx.AsyncClient,
) -> None:
    await setup(admin)
    url = "/v1/officers/OF-F/funds"
    await ok(admin.post(f"{url}/deposits", json=op("d", account="risk_fund", amount="100")))
    await ok(admin.post(f"{url}/deductions", json=op("m", amount="80", loan_id="MORT")))
    await ok(admin.post(f"{url}/deductions", json=op("u", amount="50", loan_id="UNSEC")))
    refused = await admin.post(
        f"{url}/refunds", json=op("r1", loan_id="UNSEC", collateral="unsecured", became_npl=True)
    )
    assert refused.status_code == 409
    assert "O31" in refused.text
    back = await ok(
        admin.post(f"{url}/refunds", json=op("r2", loan_id="MORT", collateral="mortgage"))
    )
    assert [(m["account"], m["amount"]) for m in back["movements"]] == [("risk_fund", "80.00")]
    # UNSEC took 20 from the fund and owes 30: the balances add up to the movements.
    assert back["balances"] == {
        "risk_fund": "80.00",
        "post_deposit": "0.00",
        "shortfall": "30.00",
        "escrow": "0.00",
    }
    twice = await admin.post(f"{url}/refunds", json=op("r3", loan_id="MORT", collateral="mortgage"))
    assert twice.status_code == 409
    await statement(admin)


async def test_o30_bad_input_names_field_and_rule_and_other_subtrees_are_hidden(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await setup(admin)
    bad = await admin.post("/v1/officers/OF-F/funds/deductions", json=op("b", amount="1.001"))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "/amount"
    assert "O30" in bad.text
    async with client_as(app, caller(Role.BRANCH, org="HO/GZ")) as branch:
        assert (await branch.get("/v1/officers/OF-S/funds")).status_code == 404
        assert (await branch.get("/v1/officers/OF-F/funds")).status_code == 200
        denied = await branch.post(
            "/v1/officers/OF-F/funds/deposits", json=op("z", account="risk_fund", amount="1")
        )
        assert denied.status_code == 403


async def test_o30_balances_equal_the_sum_of_movements_after_random_operations(
    admin: httpx.AsyncClient,
) -> None:
    """A seeded random mix of deposits, deductions and refunds, checked against a model."""
    await setup(admin)
    rng = random.Random(30)
    url = "/v1/officers/OF-F/funds"
    model = {a: D(0) for a in ACCOUNTS}
    for i in range(60):
        choice = rng.random()
        amount = D(rng.randint(1, 50_000)) / 100
        if choice < 0.45:
            account = rng.choice(["risk_fund", "post_deposit"])
            body = op(f"o{i}", account=account, amount=str(amount))
            await ok(admin.post(f"{url}/deposits", json=body), 201)
            paid = min(amount, model["shortfall"])
            model[account] += amount - paid
            model["shortfall"] -= paid
        elif choice < 0.9:
            loan = f"L{rng.randint(1, 5)}"
            await ok(
                admin.post(f"{url}/deductions", json=op(f"o{i}", amount=str(amount), loan_id=loan))
            )
            for account in ("risk_fund", "post_deposit"):
                take = min(amount, model[account])
                model[account] -= take
                amount -= take
            model["shortfall"] += amount
        else:
            loan = f"L{rng.randint(1, 5)}"
            r = await admin.post(
                f"{url}/refunds", json=op(f"o{i}", loan_id=loan, collateral="mortgage")
            )
            assert r.status_code in (201, 409), r.text
            if r.status_code == 201:
                for m in r.json()["movements"]:
                    model[m["account"]] += D(m["amount"])
        body = await statement(admin)
        assert {a: D(body["balances"][a]) for a in ACCOUNTS} == model, i
        assert all(D(body["balances"][a]) >= 0 for a in ACCOUNTS)
