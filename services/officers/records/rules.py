"""Monthly ranking of officers (spec officers.md O36; seed piece 9, "考核排名").

Pure functions over frozen dataclasses; scores are `Decimal`, months are `YearMonth`.

Choices (the spec leaves them open):

- Ranks are competition ranks ("1224"): equal scores share a rank. The top group is everyone
  ranked <= 3 from the top, the bottom group everyone ranked <= 3 from the bottom, so ties at
  the boundary can make a group larger than 3. Nobody is in both: an officer that qualifies for
  both (few officers, or a wide tie) goes where its standing is more extreme (rank from the
  top vs rank from the bottom), and to the top on an equal standing, so an officer tied for
  best is never sent to retraining while six officers tied for worst all are.
- Pairs: bottom officers worst first, top officers best first (ties by officer id), matched in
  order; extra bottom officers go round the top officers again, extra top officers stay unpaired.
- The pair bonus is awarded when the trainee's rank in the next calendar month is <= 10. It is
  reported as points for both partners; it does not change any ranking (the caller decides
  where the mark is added).
- Elimination: flagged for year Y when the officer was in the bottom group in 2 consecutive
  calendar months the later of which is in Y (so December -> January counts for January's
  year), or in 3 months of Y. A month without a ranking, or without the officer, breaks a run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.officers.kernel.rules import (
    RuleError,
    param,
    params_from_dict,
    params_to_dict,
    validate_params,
)

RULE = "O36"


@dataclass(frozen=True)
class RankingPolicy:
    """O36 parameters with the spec defaults."""

    bottom_count: int = param(3, rule=RULE, minimum=1)
    top_count: int = param(3, rule=RULE, minimum=1)
    bonus_top_rank: int = param(10, rule=RULE, minimum=1)
    pair_bonus_points: Decimal = param(Decimal("1"), rule=RULE, minimum=0)
    elimination_consecutive_months: int = param(2, rule=RULE, minimum=1, maximum=12)
    elimination_times_per_year: int = param(3, rule=RULE, minimum=1, maximum=12)

    def __post_init__(self) -> None:
        validate_params(self)

    @classmethod
    def default(cls) -> RankingPolicy:
        """The spec defaults: bottom 3, top 3, top 10, 2 in a row, 3 a year; bonus 1 point."""
        return cls()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; Decimals as strings."""
        return params_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RankingPolicy:
        """Validated policy from a (partial) dict; missing keys take the defaults."""
        return params_from_dict(cls, data, rule=RULE)


@dataclass(frozen=True, order=True)
class YearMonth:
    """A calendar month."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if (
            isinstance(self.month, bool)
            or not isinstance(self.month, int)
            or not 1 <= self.month <= 12
        ):
            raise RuleError(RULE, f"month must be 1..12, got {self.month!r}", field="/month")
        if (
            isinstance(self.year, bool)
            or not isinstance(self.year, int)
            or not 1 <= self.year <= 9999
        ):
            raise RuleError(RULE, f"year must be 1..9999, got {self.year!r}", field="/year")

    def next(self) -> YearMonth:
        """The following calendar month."""
        return YearMonth(self.year + self.month // 12, self.month % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class MonthlyScore:
    """An officer's assessment score for a month (computed elsewhere)."""

    officer_id: str
    score: Decimal


@dataclass(frozen=True)
class RankedOfficer:
    """One line of a monthly ranking. `rank` 1 is the best, `rank_from_bottom` 1 the worst."""

    officer_id: str
    score: Decimal
    rank: int
    rank_from_bottom: int
    top: bool
    bottom: bool


@dataclass(frozen=True)
class Pairing:
    """O36: a bottom officer (trainee) paired with a top officer (mentor) for a month."""

    month: YearMonth
    mentor_id: str
    trainee_id: str


@dataclass(frozen=True)
class MonthlyRanking:
    """O36 outcome of a month: the ranking, the top and bottom groups, the pairs."""

    month: YearMonth
    officers: tuple[RankedOfficer, ...]
    top: tuple[str, ...]
    bottom: tuple[str, ...]
    pairs: tuple[Pairing, ...]

    @property
    def retraining(self) -> tuple[str, ...]:
        """O36: the bottom group goes to retraining."""
        return self.bottom

    def rank_of(self, officer_id: str) -> int | None:
        """The officer's rank this month, None when not ranked."""
        for line in self.officers:
            if line.officer_id == officer_id:
                return line.rank
        return None


def _validate_scores(scores: Sequence[MonthlyScore]) -> None:
    seen: set[str] = set()
    for index, item in enumerate(scores):
        pointer = f"/scores/{index}"
        if not isinstance(item.officer_id, str) or not item.officer_id:
            raise RuleError(
                RULE, "officer_id must be a non-empty string", field=f"{pointer}/officer_id"
            )
        if item.officer_id in seen:
            raise RuleError(
                RULE, f"officer {item.officer_id!r} is scored twice", field=f"{pointer}/officer_id"
            )
        seen.add(item.officer_id)
        if not isinstance(item.score, Decimal) or not item.score.is_finite():
            raise RuleError(RULE, "score must be a finite Decimal", field=f"{pointer}/score")


def _competition_ranks(scores: Sequence[Decimal], *, descending: bool) -> list[int]:
    """Rank of each score: 1 + how many scores are strictly better."""
    order = sorted(scores, reverse=descending)
    first: dict[Decimal, int] = {}
    for position, value in enumerate(order, start=1):
        first.setdefault(value, position)
    return [first[value] for value in scores]


def rank_month(
    month: YearMonth, scores: Sequence[MonthlyScore], policy: RankingPolicy
) -> MonthlyRanking:
    """O36: rank a month's scores; bottom 3 to retraining, each paired with a top-3 officer."""
    _validate_scores(scores)
    values = [s.score for s in scores]
    ranks = _competition_ranks(values, descending=True)
    from_bottom = _competition_ranks(values, descending=False)
    lines = []
    for item, rank, low_rank in zip(scores, ranks, from_bottom, strict=True):
        in_top, in_bottom = rank <= policy.top_count, low_rank <= policy.bottom_count
        # In both groups (ties, or few officers): the officer goes where it stands more
        # extremely; an equal standing goes to the top (nobody tied for best is retrained).
        top = in_top and not (in_bottom and low_rank < rank)
        bottom = in_bottom and not top
        lines.append(RankedOfficer(item.officer_id, item.score, rank, low_rank, top, bottom))
    lines.sort(key=lambda line: (line.rank, line.officer_id))
    top_ids = tuple(line.officer_id for line in lines if line.top)
    bottom_lines = sorted(
        (line for line in lines if line.bottom), key=lambda line: (line.score, line.officer_id)
    )
    bottom_ids = tuple(line.officer_id for line in bottom_lines)
    pairs = tuple(
        Pairing(month, top_ids[i % len(top_ids)], trainee) for i, trainee in enumerate(bottom_ids)
    ) if top_ids else ()  # fmt: skip
    return MonthlyRanking(month, tuple(lines), top_ids, bottom_ids, pairs)


@dataclass(frozen=True)
class PairBonus:
    """O36: did a pair earn the bonus the month after it was formed?"""

    pairing: Pairing
    next_month: YearMonth
    trainee_rank: int | None
    awarded: bool
    points: Decimal

    @property
    def officer_ids(self) -> tuple[str, ...]:
        """Both partners when awarded, nobody otherwise."""
        return (self.pairing.mentor_id, self.pairing.trainee_id) if self.awarded else ()


def pair_bonuses(
    previous: MonthlyRanking, current: MonthlyRanking, policy: RankingPolicy
) -> tuple[PairBonus, ...]:
    """O36: each pair of `previous` whose trainee is in the top 10 of `current` (the next
    month) earns a bonus mark for both partners."""
    if current.month != previous.month.next():
        raise RuleError(
            RULE,
            f"the bonus month must follow {previous.month}, got {current.month}",
            field="/month",
        )
    out = []
    for pairing in previous.pairs:
        rank = current.rank_of(pairing.trainee_id)
        awarded = rank is not None and rank <= policy.bonus_top_rank
        points = policy.pair_bonus_points if awarded else Decimal(0)
        out.append(PairBonus(pairing, current.month, rank, awarded, points))
    return tuple(out)


@dataclass(frozen=True)
class EliminationCheck:
    """O36: an officer's bottom-group record for a year and whether it flags elimination."""

    officer_id: str
    year: int
    bottom_months: tuple[YearMonth, ...]
    longest_run: int
    flagged: bool
    reasons: tuple[str, ...]

    @property
    def times_in_year(self) -> int:
        """Months of the year spent in the bottom group."""
        return len(self.bottom_months)


def _runs_ending_in_year(months: Sequence[YearMonth], year: int) -> int:
    """Longest run of consecutive calendar months whose last month lies in `year`."""
    best, run, last = 0, 0, None
    for month in months:
        run = run + 1 if last is not None and last.next() == month else 1
        last = month
        if month.year == year:
            best = max(best, run)
    return best


def elimination_checks(
    rankings: Iterable[MonthlyRanking], *, year: int, policy: RankingPolicy
) -> tuple[EliminationCheck, ...]:
    """O36: everyone in a bottom group of `year` (or its run from the previous December),
    flagged when 2 months in a row or 3 times in the year. Sorted by officer id."""
    by_month: dict[YearMonth, MonthlyRanking] = {}
    for ranking in rankings:
        if ranking.month in by_month:
            raise RuleError(RULE, f"month {ranking.month} is ranked twice", field="/rankings")
        by_month[ranking.month] = ranking
    history: dict[str, list[YearMonth]] = {}
    for month in sorted(by_month):
        for officer_id in by_month[month].bottom:
            history.setdefault(officer_id, []).append(month)
    out = []
    for officer_id in sorted(history):
        months = history[officer_id]
        in_year = tuple(m for m in months if m.year == year)
        run = _runs_ending_in_year(months, year)
        if not in_year:
            continue
        reasons = []
        if run >= policy.elimination_consecutive_months:
            reasons.append(f"O36 bottom {run} months in a row")
        if len(in_year) >= policy.elimination_times_per_year:
            reasons.append(f"O36 bottom {len(in_year)} times in {year}")
        out.append(EliminationCheck(officer_id, year, in_year, run, bool(reasons), tuple(reasons)))
    return tuple(out)


@dataclass(frozen=True)
class YearReview:
    """O36 for a year: every month's ranking, the pair bonuses and the elimination checks."""

    year: int
    rankings: tuple[MonthlyRanking, ...]
    bonuses: tuple[PairBonus, ...]
    eliminations: tuple[EliminationCheck, ...]

    @property
    def flagged(self) -> tuple[str, ...]:
        """Officers flagged for elimination at year end."""
        return tuple(check.officer_id for check in self.eliminations if check.flagged)


def review_year(
    monthly_scores: Mapping[YearMonth, Sequence[MonthlyScore]],
    *,
    year: int,
    policy: RankingPolicy,
) -> YearReview:
    """O36 over the months given (the previous December may be included for its runs).

    Bonuses are computed for each pair whose next month is also given.
    """
    rankings = tuple(rank_month(m, monthly_scores[m], policy) for m in sorted(monthly_scores))
    by_month = {r.month: r for r in rankings}
    bonuses = tuple(
        bonus
        for ranking in rankings
        if ranking.month.next() in by_month
        for bonus in pair_bonuses(ranking, by_month[ranking.month.next()], policy)
    )
    eliminations = elimination_checks(rankings, year=year, policy=policy)
    return YearReview(year, rankings, bonuses, eliminations)
