"""O30, O31, O35 property on a real database: after any sequence of deposits, deductions,
refunds, escrow buy-outs and releases (with retries), every account balance is the sum of its
movements, and neither an account, a loan's escrow nor a loan's shortfall is ever negative."""

from __future__ import annotations

import itertools
from collections import defaultdict
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.officers import ok, seed

D = Decimal
ACCOUNTS = ("risk_fund", "post_deposit", "shortfall", "escrow")
LOANS = st.sampled_from(["L1", "L2", "L3"])
AMOUNTS = st.integers(1, 300_000).map(lambda fen: str(D(fen) / 100))

OPS = st.one_of(
    st.tuples(st.just("deposits"), st.sampled_from(["risk_fund", "post_deposit"]), AMOUNTS),
    st.tuples(st.just("deductions"), LOANS, AMOUNTS),
    st.tuples(st.just("refunds"), LOANS, st.sampled_from(["mortgage", "unsecured"])),
    st.tuples(st.just("escrow"), LOANS, AMOUNTS, AMOUNTS),
    st.tuples(st.just("release"), LOANS, st.booleans()),
)
_officers = itertools.count()


def _request(i: int, step: tuple[Any, ...]) -> tuple[str, dict[str, Any]]:
    base: dict[str, Any] = {"operation_id": f"op-{i}", "on": "2026-02-01"}
    kind = step[0]
    if kind == "deposits":
        return "deposits", base | {"account": step[1], "amount": step[2]}
    if kind == "deductions":
        return "deductions", base | {"loan_id": step[1], "amount": step[2]}
    if kind == "refunds":
        return "refunds", base | {"loan_id": step[1], "collateral": step[2]}
    if kind == "escrow":
        loans = [{"loan_id": step[1], "amount": step[2]}]
        return "escrow", base | {"loans": loans, "performance_pay": step[3]}
    outcome = {"outcome": "loss"} if step[2] else {"outcome": "no_loss"}
    return f"escrow/{step[1]}/release", base | outcome


def _check(statement: dict[str, Any]) -> None:
    per_account: dict[str, D] = defaultdict(D)
    per_loan: dict[tuple[str, str], D] = defaultdict(D)
    assert statement["next_cursor"] is None
    for m in statement["items"]:
        per_account[m["account"]] += D(m["amount"])
        if m["loan_id"] is not None:
            per_loan[(m["account"], m["loan_id"])] += D(m["amount"])
    for account in ACCOUNTS:
        assert D(statement["balances"][account]) == per_account[account], account
        assert D(statement["balances"][account]) >= 0, account
    for (account, loan), total in per_loan.items():
        if account in ("escrow", "shortfall"):
            assert total >= 0, (account, loan)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.tuples(OPS, st.booleans()), min_size=1, max_size=10))
async def test_o30_o31_o35_balances_are_sums_of_movements_and_never_negative(
    admin: httpx.AsyncClient, steps: list[tuple[tuple[Any, ...], bool]]
) -> None:
    n = next(_officers)
    if not await ok(admin.get("/v1/orgs")):
        await seed(admin)
    officer_id = f"OF-P{n}"
    body = {
        "id": officer_id,
        "name": "P",
        "org_id": "HO/GZ/LS03",
        "gender": "male",
        "birth_date": "1966-01-01",
        "hire_date": "1990-01-01",
        "financial_work_start_date": "1990-01-01",
    }
    await ok(admin.post("/v1/officers", json=body), 201)
    url = f"/v1/officers/{officer_id}/funds"
    for i, (step, retry) in enumerate(steps):
        path, request = _request(i, step)
        first = await admin.post(f"{url}/{path}", json=request)
        assert first.status_code in (201, 409), first.text
        if retry:
            again = await admin.post(f"{url}/{path}", json=request)
            if first.status_code == 201:
                assert again.status_code == 200, again.text
                assert again.json()["movements"] == first.json()["movements"]
            else:
                assert again.status_code == 409, again.text
        _check(await ok(admin.get(url, params={"limit": 1000})))
