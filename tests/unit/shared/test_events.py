"""The event envelope and models (W16-W17)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from shared.events import (
    INCOMING_TYPES,
    LoanDisbursed,
    Topic,
    incoming_adapter,
    parse_event,
    to_json,
    topic_for,
)


def envelope(type_: str, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"e-{type_}",
        "type": type_,
        "occurred_at": "2026-03-01T08:00:00+08:00",
        "loan_id": "L-9",
        "borrower_id": "B-9",
        "org": "HO/GZ",
        "body": body,
        **extra,
    }


EXAMPLES: dict[str, dict[str, Any]] = {
    "loan.disbursed": {"amount": "5000000", "maturity_date": "2027-03-01", "group_id": "G1"},
    "loan.classified": {"five_class": "substandard", "predicted": True},
    "loan.matured": {},
    "loan.maturity_checked": {"outcome": "cannot_confirm"},
    "repayment.received": {"principal": "100.00", "interest": "3.20"},
    "repayment.missed": {"amount_due": "1000", "due_date": "2026-02-28"},
    "interest.arrears": {"amount": "320.5", "since": "2026-02-01"},
    "borrower.major_event": {"kind": "major_lawsuit"},
    "borrower.financial_anomaly": {"indicator": "debt_ratio", "old": "0.4", "new": "0.9"},
    "borrower.group_linked": {"group_id": "G1"},
    "lending.violation": {"kind": "beyond_authority"},
}


def test_w17_every_incoming_type_has_an_example_that_round_trips() -> None:
    assert set(EXAMPLES) == set(INCOMING_TYPES)
    for type_, body in EXAMPLES.items():
        event = parse_event(json.dumps(envelope(type_, body)))
        assert event.type == type_
        assert parse_event(to_json(event)) == event


@pytest.mark.parametrize(
    ("type_", "topic"),
    [
        ("loan.disbursed", Topic.LOAN),
        ("repayment.missed", Topic.REPAYMENT),
        ("interest.arrears", Topic.REPAYMENT),
        ("borrower.major_event", Topic.RISK),
        ("lending.violation", Topic.RISK),
    ],
)
def test_w16_topic_by_event_type(type_: str, topic: Topic) -> None:
    assert topic_for(parse_event(json.dumps(envelope(type_, EXAMPLES[type_])))) == topic


def test_w16_key_is_the_loan_id_so_a_loans_events_stay_in_order() -> None:
    event = parse_event(json.dumps(envelope("loan.matured", {})))
    assert event.key == "L-9"
    risk = envelope("borrower.major_event", {"kind": "other"})
    del risk["loan_id"]
    assert parse_event(json.dumps(risk)).key == "B-9"


def test_w17_money_is_decimal_and_serialised_as_a_string() -> None:
    event = parse_event(
        json.dumps(envelope("loan.disbursed", {"amount": "0.10", "maturity_date": "2027-01-01"}))
    )
    assert isinstance(event, LoanDisbursed)
    assert event.body.amount == Decimal("0.10")
    assert json.loads(to_json(event))["body"]["amount"] == "0.10"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"occurred_at": "2026-03-01T08:00:00"}, "occurred_at"),
        ({"org": "GZ/LS03"}, "org"),
        ({"org": "HO/a/b/c/d"}, "org"),
        ({"event_id": ""}, "event_id"),
        ({"event_id": "x" * 129}, "event_id"),
        ({"version": 2}, "version"),
        ({"loan_id": None}, "loan_id"),
        ({"body": {"amount": "-1", "maturity_date": "2027-01-01"}}, "amount"),
        ({"body": {"amount": "1.001", "maturity_date": "2027-01-01"}}, "amount"),
        ({"body": {"amount": "Infinity", "maturity_date": "2027-01-01"}}, "amount"),
        ({"body": {"amount": "1", "maturity_date": "2027-02-30"}}, "maturity_date"),
        ({"unexpected": True}, "unexpected"),
    ],
)
def test_w17_invalid_envelopes_are_refused(change: dict[str, Any], where: str) -> None:
    raw = envelope("loan.disbursed", {"amount": "1", "maturity_date": "2027-01-01"}) | change
    with pytest.raises(ValidationError) as info:
        incoming_adapter.validate_python(raw)
    assert where in str(info.value)


def test_w17_unknown_type_is_refused() -> None:
    with pytest.raises(ValidationError):
        parse_event(json.dumps(envelope("loan.vanished", {})))


def test_w17_borrower_events_need_a_borrower() -> None:
    raw = envelope("borrower.major_event", {"kind": "other"})
    del raw["borrower_id"]
    with pytest.raises(ValidationError, match="needs borrower_id"):
        incoming_adapter.validate_python(raw)
