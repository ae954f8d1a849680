"""Tables of the officers service."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, SmallInteger, String, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import ServiceBase, UtcDateTime, new_metadata


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()


class OrgNode(Base):
    """A node of the organisation tree; its id is its path from the head office (overview)."""

    __tablename__ = "org_node"

    id: Mapped[str] = mapped_column(String(140), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("org_node.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    county: Mapped[str | None] = mapped_column(String(100))
    sub_branch_class: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class Officer(Base):
    """A loan officer (account manager, 客户经理) or a manager graded for reference (O14)."""

    __tablename__ = "officer"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    org_id: Mapped[str] = mapped_column(ForeignKey("org_node.id"), index=True)
    gender: Mapped[str] = mapped_column(String(8))
    birth_date: Mapped[date] = mapped_column(Date)
    hire_date: Mapped[date] = mapped_column(Date)
    financial_work_start_date: Mapped[date] = mapped_column(Date)
    post: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
