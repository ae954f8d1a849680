"""Request and response shapes of the scoring HTTP contract (scoring.md "HTTP contract").

Numbers are JSON numbers in full double precision. Model documents and leaf inputs are
checked by the math modules (tree.py, evaluate.py), which name the offending field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from shared.events import Id
from shared.org import OrgPath

Inputs = Annotated[
    dict[str, Any],
    Field(
        description='Per leaf code: {"votes": [v1, v2, v3, v4, v5]} (expert votes per grade, '
        'best first) or {"value": x} (a measured leaf)',
        examples=[{"U111": {"votes": [3, 2, 0, 0, 0]}, "U121": {"value": 0.52}}],
    ),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AhpWeightsRequest(_In):
    matrix: Any = Field(
        None,
        description="One judgment matrix (crisp, or [l, m, u] triples); a crisp one may leave "
        "pairs out (null at (i, j) and (j, i)): completed optimally, its comparisons connected",
    )
    matrices: Any = Field(None, description="A panel's matrices for the same node (S5)")
    cr_threshold: float = Field(0.10, gt=0, lt=1, description="S4 threshold for `consistent`")


class WorstJudgment(BaseModel):
    i: int
    j: int


class CompletedJudgment(BaseModel):
    """A pair left out (null), as the optimal completion filled it: a_ij for i < j."""

    i: int
    j: int
    value: float


class ExpertConsistency(BaseModel):
    weights: list[float]
    lambda_max: float
    ci: float
    cr: float
    consistent: bool
    completed: list[CompletedJudgment] | None = None


class AhpWeightsRead(BaseModel):
    weights: list[float]
    lambda_max: float
    ci: float
    ri: float
    cr: float
    consistent: bool
    worst_judgment: WorstJudgment | None
    fuzzy: bool
    experts: list[ExpertConsistency] | None = None
    completed: list[CompletedJudgment] | None = Field(
        None, description="the pairs the matrix left out, as completed (issue 17)"
    )


class EvaluateRequest(_In):
    model: dict[str, Any] | None = Field(None, description="A model document (not stored)")
    model_id: Id | None = Field(None, description="Or a stored model version")
    inputs: Inputs


class ModelVersionRef(BaseModel):
    id: str
    name: str
    version: int


class VetoReason(BaseModel):
    code: str
    name: str
    score: float
    grade: str


class VetoRead(BaseModel):
    vetoed: bool
    u1_score: float
    reasons: list[VetoReason]


class NodeResultRead(BaseModel):
    membership: list[float]
    score: float
    weight: float
    global_weight: float


class LeafResultRead(BaseModel):
    global_weight: float
    contribution: float


class RatingBody(BaseModel):
    """The full rating of S12 (POST /v1/evaluate)."""

    score: float
    grade: str
    grade_by_max_membership: str
    risk_level: str
    membership: list[float]
    veto: VetoRead | None
    nodes: dict[str, NodeResultRead]
    leaves: dict[str, LeafResultRead]
    model_version: ModelVersionRef | None


class RatingCreate(_In):
    model_id: Id
    enterprise_id: Id
    org: OrgPath = Field(description="The enterprise's organisation node (caller's subtree)")
    inputs: Inputs


class RatingRead(RatingBody):
    """A stored rating: its inputs, model version and full explanation."""

    id: str
    enterprise_id: str
    org: str
    model_id: str
    inputs: dict[str, Any]
    rated_by: str
    created_at: datetime


class RatingSummary(BaseModel):
    id: str
    enterprise_id: str
    org: str
    model_id: str
    score: float
    grade: str
    grade_by_max_membership: str
    risk_level: str
    vetoed: bool | None
    created_at: datetime


class RatingPage(BaseModel):
    items: list[RatingSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page")


class BatchItemRead(BaseModel):
    id: str
    enterprise_id: str
    org: str
    score: float
    grade: str
    grade_by_max_membership: str
    risk_level: str
    vetoed: bool | None


class BatchRead(BaseModel):
    model_version: ModelVersionRef
    count: int
    created_at: datetime
    items: list[BatchItemRead]


class ModelSummary(BaseModel):
    id: str
    name: str
    version: int
    created_by: str | None
    created_at: datetime


class NodeConsistency(BaseModel):
    lambda_max: float
    ci: float
    ri: float
    cr: float
    consistent: bool


class NodeWeights(BaseModel):
    children: list[str]
    weights: list[float]
    consistency: NodeConsistency | None


class ModelRead(ModelSummary):
    document: dict[str, Any]
    in_use: bool = Field(description="A stored rating used this version")
    nodes: dict[str, NodeWeights]


class Shift(BaseModel):
    weight: float
    delta: float
    grade: str | None
    vetoed: bool


class FactorSensitivity(BaseModel):
    code: str
    parent: str
    weight: float
    grade_up: Shift | None
    grade_down: Shift | None
    veto_up: Shift | None
    veto_down: Shift | None


class SensitivityRead(BaseModel):
    rating_id: str
    model_version: ModelVersionRef
    score: float
    grade: str
    vetoed: bool | None
    factors: list[FactorSensitivity]
