"""Request and response models of the officers service."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.events import Id
from shared.org import OrgPath, depth

Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
PersonName = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]


class OrgKind(StrEnum):
    HEAD_OFFICE = "head_office"
    BRANCH = "branch"
    SUB_BRANCH = "sub_branch"
    OFFICE = "office"


KIND_BY_DEPTH = (OrgKind.HEAD_OFFICE, OrgKind.BRANCH, OrgKind.SUB_BRANCH, OrgKind.OFFICE)


class Post(StrEnum):
    """Posts graded by O6-O14 (managers for reference, O14)."""

    # Two classes of this name: OpenAPI names this one's schema after its module, kept as
    # published before the officers packages (issue 15).
    __module__ = "services.officers.schemas"

    OFFICER = "officer"
    SUB_BRANCH_HEAD = "sub_branch_head"
    DEPUTY_HEAD = "deputy_head"
    OFFICE_DIRECTOR = "office_director"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrgNodeCreate(_In):
    id: OrgPath
    name: Name
    county: Name | None = None
    sub_branch_class: Literal[1, 2, 3] | None = Field(
        default=None, description="1 urban (城关区), 2 township (乡镇区), 3 village (行政村区)"
    )

    @model_validator(mode="after")
    def _class_only_for_sub_branches(self) -> Self:
        kind = KIND_BY_DEPTH[depth(self.id)]
        if kind is OrgKind.SUB_BRANCH and (self.sub_branch_class is None or not self.county):
            raise ValueError("O7: a sub-branch needs its county and its class (1, 2 or 3)")
        if kind is not OrgKind.SUB_BRANCH and self.sub_branch_class is not None:
            raise ValueError("O7: only sub-branches have a class")
        return self


class OrgNodeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    parent_id: str | None
    kind: OrgKind
    name: str
    county: str | None
    sub_branch_class: int | None


class OfficerCreate(_In):
    id: Id
    name: PersonName
    org_id: OrgPath
    gender: Literal["male", "female"]
    birth_date: date = Field(ge=date(1930, 1, 1), le=date(2015, 1, 1))
    hire_date: date = Field(ge=date(1950, 1, 1), le=date(2100, 1, 1))
    financial_work_start_date: date = Field(ge=date(1950, 1, 1), le=date(2100, 1, 1))
    post: Post = Post.OFFICER

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.financial_work_start_date < self.birth_date:
            raise ValueError("financial_work_start_date is before birth_date")
        if self.hire_date < self.birth_date:
            raise ValueError("hire_date is before birth_date")
        return self


class OfficerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    org_id: str
    gender: str
    birth_date: date
    hire_date: date
    financial_work_start_date: date
    post: Post
    status: str = Field(description="candidate, on_post, collection (O5) or off_post")
    good_standing: bool
    first_appointment_date: date | None
    pre_appointment_coefficient: Decimal | None
    pre_appointment_performance_pay: Decimal | None


class OfficerUpdated(OfficerRead):
    handover_id: str | None = Field(
        None,
        description="O18: the handover list a post or node change opened (or the one already "
        "open) when the officer manages loans; see /v1/handovers/{id}",
    )


CREATE_FIELDS = set(OfficerCreate.model_fields)


class OrgNodeUpdate(_In):
    """Rename a node; re-class or move a sub-branch to another county (O7)."""

    name: Name | None = None
    county: Name | None = None
    sub_branch_class: Literal[1, 2, 3] | None = None


class OfficerUpdate(_In):
    """Personal details, standing (O2), and post or node changes (recorded as post history)."""

    name: PersonName | None = None
    gender: Literal["male", "female"] | None = None
    birth_date: date | None = Field(default=None, ge=date(1930, 1, 1), le=date(2015, 1, 1))
    hire_date: date | None = Field(default=None, ge=date(1950, 1, 1), le=date(2100, 1, 1))
    financial_work_start_date: date | None = Field(
        default=None, ge=date(1950, 1, 1), le=date(2100, 1, 1)
    )
    good_standing: bool | None = None
    post: Post | None = None
    org_id: OrgPath | None = None
    effective_date: date | None = Field(
        default=None, description="when a post or node change takes effect (default: today)"
    )
    reason: Annotated[str, StringConstraints(max_length=300)] = ""


class PostPeriodRead(BaseModel):
    """One period of the post history: node, post and status from start to end (exclusive)."""

    model_config = ConfigDict(from_attributes=True)

    org_id: str
    post: str
    status: str
    start_date: date
    end_date: date | None
    reason: str
    recorded_by: str
    recorded_at: datetime
