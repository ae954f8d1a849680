"""Compensation account tables (O30-O31): operations and their movements.

No balance is stored anywhere: an account's balance is the sum of its movements. An operation
(deposit, deduction, refund) is identified by the caller's `operation_id`, so a retried post
writes nothing twice.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, ForeignKeyConstraint, Integer, Numeric, String, func
from sqlalchemy.orm import Mapped, mapped_column

from services.officers.models.base import Base
from shared.db import JsonDoc, UtcDateTime


class FundOperation(Base):
    """One posted operation with the request it came from (replays must match it)."""

    __tablename__ = "fund_operation"

    officer_id: Mapped[str] = mapped_column(ForeignKey("officer.id"), primary_key=True)
    operation_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    request: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class FundMovement(Base):
    """One movement of an officer's account: + credit, - debit (fen)."""

    __tablename__ = "fund_movement"
    __table_args__ = (
        ForeignKeyConstraint(
            ["officer_id", "operation_id"],
            ["fund_operation.officer_id", "fund_operation.operation_id"],
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    officer_id: Mapped[str] = mapped_column(String(64), index=True)
    operation_id: Mapped[str] = mapped_column(String(100))
    account: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    loan_id: Mapped[str | None] = mapped_column(String(64), index=True)
    on: Mapped[date] = mapped_column("on_date", Date)
    reference: Mapped[str] = mapped_column(String(300))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
