"""The event applier's plain rows mirror their tables (W4, W18: what it loads and writes back)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from services.warnings.models import EarlyWarning, Loan
from services.warnings.store import LOAN_COLUMNS, WARNING_COLUMNS, WarningRow, table


def test_warning_row_has_every_early_warning_column_in_table_order() -> None:
    # A Core `select(*columns)` row is unpacked positionally into WarningRow.
    assert WARNING_COLUMNS == tuple(c.key for c in table(EarlyWarning).columns)


def test_loan_row_columns_exist_on_the_loan_table() -> None:
    assert set(LOAN_COLUMNS) <= {c.key for c in table(Loan).columns}


def test_touch_bumps_revision_and_time_like_the_orm_model() -> None:
    at = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    later = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    values: dict[str, Any] = dict.fromkeys(WARNING_COLUMNS)
    row = WarningRow(**{**values, "amount": Decimal(1), "updated_at": at, "revision": 3})
    model = EarlyWarning(updated_at=at, revision=3)
    row.touch(later)
    model.touch(later)
    assert (row.updated_at, row.revision) == (model.updated_at, model.revision) == (later, 4)
    assert row.as_row()["revision"] == 4
