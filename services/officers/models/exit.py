"""O32 stored buy-outs: one row per loan bought out or compensated (same metadata as the rest).

A loan is bought out once (primary key); the row says who pays, the amount and who the
recoveries belong to (the officer after a full buy-out with consent, else the bank). The
officer's own amounts are posted as deductions of its accounts in the same operation.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKeyConstraint, Integer, Numeric, String, func
from sqlalchemy.orm import Mapped, mapped_column

from services.officers.models.base import Base
from shared.db import UtcDateTime


class VintageBuyout(Base):
    """O32: a loan's buy-out or full compensation, as recorded."""

    __tablename__ = "vintage_buyout"
    __table_args__ = (
        ForeignKeyConstraint(
            ["officer_id", "operation_id"],
            ["fund_operation.officer_id", "fund_operation.operation_id"],
        ),
    )

    loan_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    officer_id: Mapped[str] = mapped_column(String(64), index=True)
    operation_id: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)
    vintage: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24))
    payer: Mapped[str] = mapped_column(String(24))
    payer_id: Mapped[str] = mapped_column(String(64))
    balance: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    rate: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    recoveries_to: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(400))
    on: Mapped[date] = mapped_column("on_date", Date)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
