"""A deterministic mixed stream of loan, repayment and risk events, for tests and benchmarks.

Per loan: disbursement, sometimes a repayment that arrives before it (out of order), interest
arrears that grow, a predicted classification, a pre-maturity check; per borrower sometimes a
group link and a major event or a financial anomaly. Keys keep a loan's events in order.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")
BASE = datetime(2026, 11, 2, 9, 0, tzinfo=SH)
ORGS = ("HO/GZ/LS03", "HO/GZ/CH01", "HO/SZ/BA02")

TOPIC_OF = {
    "loan": "loan-events",
    "repayment": "repayment-events",
    "interest": "repayment-events",
    "borrower": "risk-events",
    "lending": "risk-events",
}


def topic_of(event: dict[str, Any]) -> str:
    return TOPIC_OF[event["type"].split(".")[0]]


def key_of(event: dict[str, Any]) -> str:
    return str(event.get("loan_id") or event["borrower_id"])


def mixed_stream(tag: str, loans: int, *, seed: int = 7) -> list[dict[str, Any]]:
    """Events for `loans` loans (one borrower each, groups of 4), ids prefixed with `tag`."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    n = 0

    def ev(type_: str, body: dict[str, Any], at: datetime, **subject: Any) -> dict[str, Any]:
        nonlocal n
        n += 1
        return {
            "event_id": f"{tag}-e{n}",
            "type": type_,
            "occurred_at": at.isoformat(),
            "org": subject.pop("org"),
            "body": body,
            **subject,
        }

    for i in range(loans):
        loan, borrower, org = f"{tag}-L{i}", f"{tag}-B{i}", ORGS[i % len(ORGS)]
        amount = rng.choice(["80000", "999999.99", "1000000", "2500000", "5000000", "7200000"])
        maturity = date(2026, 11, 20) + timedelta(days=rng.randrange(0, 400))
        at = BASE + timedelta(minutes=i)
        disbursed = ev(
            "loan.disbursed",
            {
                "amount": amount,
                "maturity_date": maturity.isoformat(),
                "group_id": f"{tag}-G{i // 4}",
            },
            at,
            loan_id=loan,
            borrower_id=borrower,
            org=org,
        )
        early_repayment = i % 5 == 0
        if early_repayment:  # a repayment that arrives before its disbursement (W18)
            out.append(ev("repayment.received", {"principal": "1000"}, at, loan_id=loan, org=org))
        out.append(disbursed)
        if i % 3 == 0:
            since = (at - timedelta(days=rng.choice([3, 20, 45, 100]))).date().isoformat()
            out.append(
                ev("interest.arrears", {"amount": "800", "since": since}, at, loan_id=loan, org=org)
            )
        if i % 4 == 1:
            five = rng.choice(["special_mention", "substandard", "doubtful", "loss"])
            body = {"five_class": five, "tier": 3, "predicted": True}
            out.append(ev("loan.classified", body, at, loan_id=loan, org=org))
        if i % 6 == 2:
            outcome = rng.choice(["expected_repaid", "cannot_confirm", "expected_unpaid"])
            out.append(ev("loan.maturity_checked", {"outcome": outcome}, at, loan_id=loan, org=org))
        if i % 7 == 3:
            out.append(
                ev(
                    "borrower.major_event",
                    {"kind": "major_lawsuit"},
                    at,
                    borrower_id=borrower,
                    org=org,
                )
            )
        if i % 9 == 4:
            body = {"indicator": "revenue", "old": "1000", "new": str(rng.choice([900, 700, 400]))}
            out.append(ev("borrower.financial_anomaly", body, at, borrower_id=borrower, org=org))
        if i % 11 == 5:
            out.append(
                ev("lending.violation", {"kind": "rule_breaking"}, at, loan_id=loan, org=org)
            )
    return out
