"""Request and response models for the dossier (O16) and the monthly ranking (O36)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.events import Id
from shared.paging import Page

EntryKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:\-]{1,100}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DossierEntryCreate(_In):
    """O16: a document, reward or penalty; `id` is the client's key (a repeat returns it).
    `subtype`: the document type, or for a penalty the O11 finding (fine, criticism,
    serious_violation, other)."""

    id: EntryKey
    kind: Literal["document", "reward", "penalty"]
    subtype: str | None = Field(default=None, max_length=32)
    title: Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]
    occurred_on: date = Field(ge=date(1950, 1, 1), le=date(2100, 12, 31))
    details: dict[str, Any] = Field(default_factory=dict)
    supersedes: int | None = Field(default=None, description="the entry this one corrects")


class DossierEntryRead(BaseModel):
    id: int
    key: str
    kind: str
    subtype: str | None
    title: str
    occurred_on: date
    details: dict[str, Any]
    supersedes: int | None
    superseded_by: int | None
    automatic: bool
    recorded_by: str
    recorded_at: datetime


class DossierRead(Page[DossierEntryRead]):
    """A page of the full history, oldest first (issue 13), and O16 over all of it."""

    officer_id: str
    current: int = Field(description="entries not superseded")
    last_updated: datetime | None
    updated_within_a_year: bool = Field(description="O16: updated at least yearly")


class ScoreIn(_In):
    officer_id: Id
    score: Annotated[Decimal, Field(max_digits=12, decimal_places=4)]


class ScoresIn(_In):
    scores: list[ScoreIn] = Field(min_length=1, max_length=20000)


class ScoresRecorded(BaseModel):
    month: str
    recorded: int
    changed: int


class RankedRead(BaseModel):
    officer_id: str
    score: Decimal
    rank: int
    rank_from_bottom: int
    top: bool
    bottom: bool


class PairRead(BaseModel):
    month: str
    mentor_id: str
    trainee_id: str


class BonusRead(BaseModel):
    pair: PairRead
    judged_in: str
    trainee_rank: int | None
    awarded: bool
    points: Decimal
    officer_ids: list[str]


class EliminationRead(BaseModel):
    officer_id: str
    year: int
    bottom_months: list[str]
    longest_run: int
    flagged: bool
    reasons: list[str]


class RankingMonthRead(BaseModel):
    month: str
    org: str
    officers: list[RankedRead]
    retraining: list[str] = Field(description="O36: the bottom group")
    pairs: list[PairRead]
    bonuses: list[BonusRead] = Field(description="last month's pairs judged on this month")
    eliminations: list[EliminationRead] = Field(
        description="bottom-group record of the year so far"
    )


class RankingYearRead(BaseModel):
    year: int
    org: str
    months: list[str]
    bonuses: list[BonusRead]
    eliminations: list[EliminationRead]
    flagged: list[str] = Field(description="O36: flagged for elimination at year end")
