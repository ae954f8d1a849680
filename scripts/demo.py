"""A small demo data set, loaded through the gateway's HTTP API (idempotent: safe to rerun)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent

ORGS = [
    {"id": "HO", "name": "Head office"},
    {"id": "HO/GZ", "name": "Guangzhou branch"},
    {"id": "HO/SZ", "name": "Shenzhen branch"},
    {"id": "HO/GZ/LS03", "name": "Liwan sub-branch", "county": "Liwan", "sub_branch_class": 1},
    {"id": "HO/GZ/CH01", "name": "Conghua sub-branch", "county": "Conghua", "sub_branch_class": 2},
    {"id": "HO/SZ/BA02", "name": "Bao'an sub-branch", "county": "Bao'an", "sub_branch_class": 3},
    {"id": "HO/GZ/LS03/OF1", "name": "Liwan office 1"},
]

OFFICERS = [
    ("OF-1001", "Li Wei", "HO/GZ/LS03", "male", "1985-03-02", "2009-07-01"),
    ("OF-1002", "Wang Fang", "HO/GZ/LS03", "female", "1990-11-15", "2013-08-01"),
    ("OF-1003", "Zhang Min", "HO/GZ/CH01", "female", "1979-05-20", "2001-03-01"),
    ("OF-1004", "Chen Jie", "HO/SZ/BA02", "male", "1993-01-09", "2016-09-01"),
]


def _loans(today: date) -> list[dict[str, object]]:
    rows = [
        ("L-0001", "B-001", "HO/GZ/LS03", "800000.00", 20, "OF-1001"),
        ("L-0002", "B-002", "HO/GZ/LS03", "1500000.00", 200, "OF-1002"),
        ("L-0003", "B-003", "HO/GZ/CH01", "6000000.00", 25, "OF-1003"),
        ("L-0004", "B-004", "HO/SZ/BA02", "300000.00", 400, "OF-1004"),
    ]
    at = datetime(today.year, today.month, today.day, 1, 0, tzinfo=UTC)
    return [
        {
            "event_id": f"demo-{loan}-disbursed",
            "type": "loan.disbursed",
            "occurred_at": at.isoformat(),
            "loan_id": loan,
            "borrower_id": borrower,
            "org": org,
            "body": {
                "amount": amount,
                "maturity_date": (today + timedelta(days=days)).isoformat(),
                "officers": {"first_responsible": officer, "management_responsible": officer},
            },
        }
        for loan, borrower, org, amount, days, officer in rows
    ]


def _signals(today: date) -> list[dict[str, object]]:
    """A few events that raise warnings, so the dashboards have something to show."""
    at = datetime(today.year, today.month, today.day, 2, 0, tzinfo=UTC).isoformat()
    since = (today - timedelta(days=40)).isoformat()
    return [
        {"event_id": "demo-L-0002-arrears", "type": "interest.arrears", "occurred_at": at,
         "loan_id": "L-0002", "org": "HO/GZ/LS03", "body": {"amount": "8600.00", "since": since}},
        {"event_id": "demo-L-0004-classified", "type": "loan.classified", "occurred_at": at,
         "loan_id": "L-0004", "org": "HO/SZ/BA02",
         "body": {"five_class": "doubtful", "predicted": True}},
        {"event_id": "demo-B-003-lawsuit", "type": "borrower.major_event", "occurred_at": at,
         "borrower_id": "B-003", "org": "HO/GZ/CH01",
         "body": {"kind": "major_lawsuit", "description": "sued by its main supplier"}},
    ]  # fmt: skip


def _post(
    client: httpx.Client, path: str, body: object, headers: dict[str, str] | None = None
) -> httpx.Response:
    response = client.post(path, json=body, headers=headers)
    if response.status_code >= 300:
        raise SystemExit(f"demo: {path} answered {response.status_code}: {response.text}")
    return response


def _votes(*counts: int) -> dict[str, list[int]]:
    return {"votes": list(counts)}


# Two demo enterprises rated on the default model (B-001 sound, B-004 rejected by the S11 veto,
# so its reference indicators U2x are not needed). Ratios are fractions (0.45 = 45%).
DEMO_RATINGS: list[tuple[str, str, dict[str, object]]] = [
    (
        "B-001",
        "HO/GZ/LS03",
        {
            **{c: _votes(4, 3, 0, 0, 0) for c in ("U111", "U112", "U113", "U114")},
            "U121": {"value": 0.48}, "U122": {"value": 1.6}, "U123": {"value": 0.07},
            "U124": {"value": 0.22}, "U125": {"value": 0.12},
            **{c: _votes(2, 4, 1, 0, 0) for c in ("U131", "U132", "U133", "U141", "U142", "U143")},
            **{c: _votes(3, 3, 1, 0, 0) for c in ("U21", "U22", "U23", "U24", "U25")},
        },
    ),
    (
        "B-004",
        "HO/SZ/BA02",
        {
            **{c: _votes(0, 0, 1, 3, 3) for c in ("U111", "U112", "U113", "U114")},
            "U121": {"value": 0.88}, "U122": {"value": 0.7}, "U123": {"value": -0.05},
            "U124": {"value": 0.01}, "U125": {"value": -0.2},
            **{c: _votes(0, 1, 2, 3, 1) for c in ("U131", "U132", "U133", "U141", "U142", "U143")},
        },
    ),
]  # fmt: skip


def load(*, gateway: str, api_key: str) -> None:
    """Create the demo organisation, officers, default scoring model and a few loans."""
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=gateway, timeout=10, headers=headers) as client:
        for org in ORGS:
            _post(client, "/officers/v1/orgs", org)
        for oid, name, org, gender, born, hired in OFFICERS:
            _post(
                client,
                "/officers/v1/officers",
                {
                    "id": oid,
                    "name": name,
                    "org_id": org,
                    "gender": gender,
                    "birth_date": born,
                    "hire_date": hired,
                    "financial_work_start_date": hired,
                },
            )
        model_file = ROOT / "services" / "scoring" / "default_model.json"
        if model_file.exists():
            # The same document again answers its existing version (200), so reruns add nothing.
            model = _post(client, "/scoring/v1/models", json.loads(model_file.read_text())).json()
            for enterprise, org, inputs in DEMO_RATINGS:
                _post(
                    client,
                    "/scoring/v1/ratings",
                    {"model_id": model["id"], "enterprise_id": enterprise, "org": org,
                     "inputs": inputs},
                    headers={"Idempotency-Key": f"demo-rating-{enterprise}-{model['id']}"},
                )  # fmt: skip
        _post(client, "/v1/events", _loans(date.today()))
        _post(client, "/v1/events", _signals(date.today()))
