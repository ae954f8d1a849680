"""The yearly grading run (spec officers.md O15): draft -> proposed -> approved -> reopened.

A frozen `GradingRun` with its history; `transition` returns the next state or raises
`RuleError`. The time of each step comes in as an argument.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from services.officers.kernel.rules import RuleError

# ---------------------------------------------------------------------------------------------
# O15 yearly run


class RunStatus(StrEnum):
    """O15 states of a yearly grading run."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    APPROVED = "approved"
    REOPENED = "reopened"


class RunAction(StrEnum):
    """O15 transitions."""

    PROPOSE = "propose"
    APPROVE = "approve"
    REOPEN = "reopen"


class Actor(StrEnum):
    """Who acts on a run: the sub-branch proposes, the head office approves and reopens."""

    SUB_BRANCH = "sub_branch"
    HEAD_OFFICE = "head_office"


# action -> (allowed from, to, actor)
_TRANSITIONS: dict[RunAction, tuple[frozenset[RunStatus], RunStatus, Actor]] = {
    RunAction.PROPOSE: (
        frozenset({RunStatus.DRAFT, RunStatus.REOPENED}), RunStatus.PROPOSED, Actor.SUB_BRANCH,
    ),
    RunAction.APPROVE: (frozenset({RunStatus.PROPOSED}), RunStatus.APPROVED, Actor.HEAD_OFFICE),
    RunAction.REOPEN: (frozenset({RunStatus.APPROVED}), RunStatus.REOPENED, Actor.HEAD_OFFICE),
}  # fmt: skip


@dataclass(frozen=True)
class RunTransition:
    """One recorded step of a run: what, from/to, who and when."""

    action: RunAction
    from_status: RunStatus
    to_status: RunStatus
    actor: Actor
    by: str
    at: datetime


@dataclass(frozen=True)
class GradingRun:
    """O15 state of the run for one graded year, with its history."""

    year: int
    status: RunStatus = RunStatus.DRAFT
    history: tuple[RunTransition, ...] = ()

    @property
    def frozen(self) -> bool:
        """Approved: grades and coefficients are fixed for the year."""
        return self.status == RunStatus.APPROVED

    @property
    def editable(self) -> bool:
        """Results may be (re)computed only in draft or after an explicit reopen."""
        return self.status in (RunStatus.DRAFT, RunStatus.REOPENED)


def new_run(year: int, *, today: date) -> GradingRun:
    """O15: a run grades a closed year (normally in January of the next year)."""
    if year >= today.year:
        raise RuleError("O15", f"year {year} is not closed yet on {today}", field="/year")
    return GradingRun(year)


def transition(
    run: GradingRun, action: RunAction, *, actor: Actor, by: str, at: datetime
) -> GradingRun:
    """O15: draft -> proposed -> approved (frozen) -> reopened -> proposed ..."""
    allowed_from, to_status, required = _TRANSITIONS[RunAction(action)]
    if run.status not in allowed_from:
        raise RuleError(
            "O15", f"cannot {action.value} a run that is {run.status.value}", field="/status"
        )
    if actor != required:
        raise RuleError(
            "O15", f"only the {required.value} may {action.value} a run, not {actor.value}"
        )
    if not by:
        raise RuleError("O15", "the acting person must be named", field="/by")
    if run.history and at < run.history[-1].at:
        raise RuleError("O15", f"{at} is earlier than the previous step", field="/at")
    step = RunTransition(RunAction(action), run.status, to_status, actor, by, at)
    return replace(run, status=to_status, history=(*run.history, step))


def ensure_editable(run: GradingRun) -> None:
    """O15: refuse to (re)compute results of a proposed or approved run."""
    if not run.editable:
        raise RuleError(
            "O15",
            f"the {run.year} run is {run.status.value}; results can change only in draft "
            "or after an explicit reopen",
            field="/status",
        )
