"""Pure warning rules: signal -> level (warnings.md W1, W2, W4), escalation (W4), group
contagion (W1e) and the warning lifecycle (W10).

Plain functions over frozen dataclasses and enums. Policy parameters come in as arguments; nothing
here reads settings, the clock, the database or Kafka. The vocabulary (kinds, levels, W1-W3) is in
`vocabulary.py` and the W4 level policy in `policy.py`. Reporting deadlines, overdue marking,
monthly updates and the pre-maturity sweep (W5-W8, W11, W13, W14) are in `deadlines.py`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from services.warnings.policy import LevelPolicy
from services.warnings.vocabulary import (
    MANAGEMENT_KINDS,
    Direction,
    LoanClass,
    MajorEventKind,
    PreMaturityOutcome,
    RuleInputError,
    WarningCategory,
    WarningKind,
    WarningLevel,
)

# -- errors -------------------------------------------------------------------------------------


class TransitionError(Exception):
    """A lifecycle action that the warning's state does not allow (W10)."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {detail}")
        self.rule = rule
        self.detail = detail


# -- signal -> level (W1, W4) -------------------------------------------------------------------


def level_for_interest_arrears(days: int, policy: LevelPolicy) -> WarningLevel | None:
    """W1c/W4 (kind interest_arrears): level for `days` of unpaid interest; None at 0 days."""
    if days < 0:
        raise RuleInputError("days", "W1c", "days of interest arrears cannot be negative")
    level = None
    for band in policy.interest_arrears:
        if days >= band.from_days:
            level = band.level
    return level


def level_for_pre_maturity(
    outcome: PreMaturityOutcome, overdue_elsewhere: bool, policy: LevelPolicy
) -> WarningLevel | None:
    """W1a/W4 (kind pre_maturity): level from the 30-day check; None when repayment is expected.

    `overdue_elsewhere` raises only "expected unpaid" (to red); with "cannot confirm" it does not
    change the level, because an overdue at another bank is itself a W1d cross-default (red).
    """
    levels = policy.pre_maturity
    if outcome is PreMaturityOutcome.EXPECTED_REPAID:
        return None
    if outcome is PreMaturityOutcome.CANNOT_CONFIRM:
        return levels.cannot_confirm
    return levels.expected_unpaid_overdue_elsewhere if overdue_elsewhere else levels.expected_unpaid


def level_for_classification(
    target_class: LoanClass, tier: int | None, policy: LevelPolicy
) -> WarningLevel | None:
    """W1b/W4 (kind classification): level for a (predicted) class and tier 1-3.

    None for normal and for special mention outside the watched tiers (default: tier 3 only).
    """
    if tier is not None and tier not in (1, 2, 3):
        raise RuleInputError("tier", "W1b", f"tier must be 1, 2 or 3, not {tier}")
    levels = policy.classification
    if target_class is LoanClass.SUBSTANDARD:
        return levels.substandard
    if target_class is LoanClass.DOUBTFUL:
        return levels.doubtful
    if target_class is LoanClass.LOSS:
        return levels.loss
    if target_class is LoanClass.SPECIAL_MENTION and tier is not None:
        return dict(levels.special_mention_tiers).get(tier)
    return None


def level_for_major_event(event: MajorEventKind) -> WarningLevel:  # noqa: ARG001
    """W1d/W4 (kind major_event): always red, whatever the event (fixed by Art. 11 (1) 4)."""
    return WarningLevel.RED


def level_for_group_contagion(source_level: WarningLevel) -> WarningLevel:
    """W1e/W4 (kind group_contagion): the related borrower's warning copies the source level."""
    return source_level


def adverse_change(direction: Direction, old: Decimal, new: Decimal) -> Decimal | None:
    """W1f: the adverse relative move of an indicator, (new - old) / |old| signed so that bad is
    positive; None when the move is not adverse. From an old value of 0 any adverse move is
    unbounded and returned as Decimal('Infinity')."""
    for name, value in (("old", old), ("new", new)):
        if not value.is_finite():
            raise RuleInputError(name, "W1f", "indicator values must be finite numbers")
    delta = new - old
    adverse = {Direction.DECREASE: -delta, Direction.INCREASE: delta}.get(direction, abs(delta))
    if adverse <= 0:
        return None
    return Decimal("Infinity") if old == 0 else adverse / abs(old)


def level_for_financial_anomaly(
    indicator: str, old: Decimal, new: Decimal, policy: LevelPolicy
) -> WarningLevel | None:
    """W1f/W4 (kind financial_anomaly): level of the highest band the adverse move reaches."""
    rule = policy.financial_anomaly.rule_for(indicator)
    change = adverse_change(rule.direction, old, new)
    if change is None:
        return None
    level = None
    for band in rule.bands:
        if change >= band.from_change:
            level = band.level
    return level


def level_for_management(kind: WarningKind, policy: LevelPolicy) -> WarningLevel:
    """W2/W4: level of a management warning (default orange, red when beyond authority)."""
    if kind not in MANAGEMENT_KINDS:
        raise RuleInputError("kind", "W2", f"{kind.value} is not a management warning kind")
    level: WarningLevel = getattr(policy.management, kind.value)
    return level


# -- escalation (W4) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Escalation:
    """Outcome of a new signal on an open warning: the level it keeps and whether it rose."""

    level: WarningLevel
    escalated: bool


def decide_escalation(current: WarningLevel, incoming: WarningLevel) -> Escalation:
    """W4: an open warning rises to a higher incoming level; a lower or equal one is recorded by
    the caller but leaves the level unchanged. Closed warnings are not escalated (raise anew)."""
    if incoming > current:
        return Escalation(incoming, True)
    return Escalation(current, False)


# -- group contagion (W1e) ----------------------------------------------------------------------


@dataclass(frozen=True)
class ContagionTarget:
    """A related borrower that gets a group_contagion warning (W1e), and the group linking it."""

    borrower_id: str
    level: WarningLevel
    via_group: str


def group_contagion_targets(
    source_borrower_id: str,
    source_level: WarningLevel,
    *,
    source_kind: WarningKind,
    groups: Mapping[str, Collection[str]],
    borrowers_with_loans: Collection[str],
) -> tuple[ContagionTarget, ...]:
    """W1e: every other member of the source's groups that has loans here, at the source level.

    `groups` maps group id -> member borrower ids. One target per borrower (the first group id in
    sort order is kept), sorted by borrower id. Contagion does not chain: a group_contagion source
    spreads nothing (related members were already reached from the original source), and neither
    does a management warning (it concerns the bank's lending, not the enterprise).
    """
    if source_kind is WarningKind.GROUP_CONTAGION or source_kind in MANAGEMENT_KINDS:
        return ()
    with_loans = set(borrowers_with_loans)
    targets: dict[str, str] = {}
    for group_id in sorted(groups):
        members = set(groups[group_id])
        if source_borrower_id not in members:
            continue
        for member in members - {source_borrower_id}:
            if member in with_loans:
                targets.setdefault(member, group_id)
    return tuple(ContagionTarget(b, source_level, targets[b]) for b in sorted(targets))


# -- lifecycle (W10) ----------------------------------------------------------------------------


class WarningState(Enum):
    """W10 states; resolved and written_off are final."""

    RAISED = "raised"
    REPORTED_TO_BRANCH = "reported_to_branch"
    REPORTED_TO_HEAD_OFFICE = "reported_to_head_office"
    UNDER_MITIGATION = "under_mitigation"
    RESOLVED = "resolved"
    WRITTEN_OFF = "written_off"


class WarningAction(Enum):
    """W10 transitions (each recorded with who, when and the report content by the caller)."""

    REPORT_TO_BRANCH = "report_to_branch"
    REPORT_TO_HEAD_OFFICE = "report_to_head_office"
    START_MITIGATION = "start_mitigation"
    RESOLVE = "resolve"
    WRITE_OFF = "write_off"


CLOSED_STATES = frozenset({WarningState.RESOLVED, WarningState.WRITTEN_OFF})


def is_open(state: WarningState) -> bool:
    """W10: a warning is open until resolved or written off."""
    return state not in CLOSED_STATES


def transitions(
    head_office_required: bool, category: WarningCategory = WarningCategory.BUSINESS
) -> dict[tuple[WarningState, WarningAction], WarningState]:
    """W10 transition table for one warning.

    Business: raised -> reported_to_branch [-> reported_to_head_office when W7 requires it].
    Management: raised -> reported_to_head_office (W8: no branch step, head office always).
    Then: -> under_mitigation -> resolved | written_off. Resolving is allowed as soon as every
    required report is made (a loan repaid meanwhile needs no mitigation); writing off only
    after mitigation.
    """
    s, a = WarningState, WarningAction
    table: dict[tuple[WarningState, WarningAction], WarningState] = {
        (s.UNDER_MITIGATION, a.RESOLVE): s.RESOLVED,
        (s.UNDER_MITIGATION, a.WRITE_OFF): s.WRITTEN_OFF,
    }
    if category is WarningCategory.MANAGEMENT:
        table[(s.RAISED, a.REPORT_TO_HEAD_OFFICE)] = s.REPORTED_TO_HEAD_OFFICE
        reported = s.REPORTED_TO_HEAD_OFFICE
    else:
        table[(s.RAISED, a.REPORT_TO_BRANCH)] = s.REPORTED_TO_BRANCH
        reported = s.REPORTED_TO_BRANCH
        if head_office_required:
            table[(s.REPORTED_TO_BRANCH, a.REPORT_TO_HEAD_OFFICE)] = s.REPORTED_TO_HEAD_OFFICE
            reported = s.REPORTED_TO_HEAD_OFFICE
    table[(reported, a.START_MITIGATION)] = s.UNDER_MITIGATION
    table[(reported, a.RESOLVE)] = s.RESOLVED
    return table


def allowed_actions(
    current: WarningState,
    head_office_required: bool,
    category: WarningCategory = WarningCategory.BUSINESS,
) -> frozenset[WarningAction]:
    """W10: the actions `next_state` accepts from `current`."""
    table = transitions(head_office_required, category)
    return frozenset(action for state, action in table if state is current)


def next_state(
    current: WarningState,
    action: WarningAction,
    head_office_required: bool,
    *,
    category: WarningCategory = WarningCategory.BUSINESS,
) -> WarningState:
    """W10: the state after `action`, or TransitionError naming the rule that forbids it.

    Management warnings always require head office (W8), whatever `head_office_required` says.
    """
    if current in CLOSED_STATES:
        raise TransitionError("W10", f"cannot {_verb(action)}: the warning is {current.value}")
    target = transitions(head_office_required, category).get((current, action))
    if target is None:
        raise TransitionError("W10", _refusal(current, action, head_office_required, category))
    return target


def _verb(action: WarningAction) -> str:
    return action.value.replace("_", " ")


def _refusal(
    current: WarningState,
    action: WarningAction,
    head_office_required: bool,
    category: WarningCategory,
) -> str:
    s, a = WarningState, WarningAction
    management = category is WarningCategory.MANAGEMENT
    if action is a.REPORT_TO_BRANCH and management:
        return "management warnings have no branch step; report to head office (W8)"
    if action is a.REPORT_TO_BRANCH:
        return "the warning was already reported to the branch"
    if action is a.REPORT_TO_HEAD_OFFICE and not (management or head_office_required):
        return "no head-office report below the W7 amount threshold"
    if action is a.REPORT_TO_HEAD_OFFICE and current is s.RAISED:
        return "report to the branch before head office"
    if action is a.REPORT_TO_HEAD_OFFICE:
        return "the warning was already reported to head office"
    if current is s.RAISED:
        where = "head office (W8)" if management else "the branch"
        return f"cannot {_verb(action)} a warning that was never reported to {where}"
    if current is s.REPORTED_TO_BRANCH and head_office_required:
        return f"cannot {_verb(action)} before the head-office report W7 requires"
    if action is a.START_MITIGATION:
        return "mitigation is already under way"
    return "a write-off follows mitigation; start mitigation first"
