"""Monthly ranking over the API (spec officers.md O36): scores are recorded per officer and
month; a ranking covers the officers with a score under the requested node (the ranking
group is the subtree asked for, e.g. a branch)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.kernel import policies
from services.officers.models.grading import MonthlyScore
from services.officers.models.people import Officer
from services.officers.org.store import within
from services.officers.records.rules import (
    EliminationCheck,
    MonthlyRanking,
    PairBonus,
    Pairing,
    YearMonth,
    elimination_checks,
    pair_bonuses,
    rank_month,
    review_year,
)
from services.officers.records.rules import MonthlyScore as Score
from services.officers.records.schemas import (
    BonusRead,
    EliminationRead,
    PairRead,
    RankedRead,
    RankingMonthRead,
    RankingYearRead,
    ScoreIn,
    ScoresRecorded,
)


async def record(
    session: AsyncSession, month: YearMonth, scores: Sequence[ScoreIn], *, by: str, at: datetime
) -> ScoresRecorded:
    """O36: record (or correct) a month's scores; the same scores again change nothing."""
    ids = [s.officer_id for s in scores]
    stmt = select(MonthlyScore).where(
        MonthlyScore.year == month.year,
        MonthlyScore.month == month.month,
        MonthlyScore.officer_id.in_(ids),
    )
    known = {m.officer_id: m for m in await session.scalars(stmt)}
    new, changed = [], []
    for s in scores:
        row = {
            "officer_id": s.officer_id,
            "year": month.year,
            "month": month.month,
            "score": s.score,
            "recorded_by": by,
            "recorded_at": at,
        }
        old = known.get(s.officer_id)
        if old is None:
            new.append(row)
        elif old.score != s.score:
            changed.append(row)
    if new:
        await session.execute(insert(MonthlyScore), new)
    if changed:
        await session.execute(update(MonthlyScore), changed)
    return ScoresRecorded(month=str(month), recorded=len(new), changed=len(changed))


async def _scores(
    session: AsyncSession, months: Sequence[YearMonth], under: str
) -> dict[YearMonth, list[Score]]:
    wanted = or_(*((MonthlyScore.year == m.year) & (MonthlyScore.month == m.month) for m in months))
    stmt = (
        select(MonthlyScore.year, MonthlyScore.month, MonthlyScore.officer_id, MonthlyScore.score)
        .join(Officer, Officer.id == MonthlyScore.officer_id)
        .where(wanted, within(Officer.org_id, under))
        .order_by(MonthlyScore.officer_id)
    )
    out: dict[YearMonth, list[Score]] = {}
    for year, month, officer_id, score in (await session.execute(stmt)).all():
        out.setdefault(YearMonth(year, month), []).append(Score(officer_id, score))
    return out


def _previous(month: YearMonth) -> YearMonth:
    return (
        YearMonth(month.year - 1, 12)
        if month.month == 1
        else YearMonth(month.year, month.month - 1)
    )


def _pair(p: Pairing) -> PairRead:
    return PairRead(month=str(p.month), mentor_id=p.mentor_id, trainee_id=p.trainee_id)


def _bonus(b: PairBonus) -> BonusRead:
    return BonusRead(
        pair=_pair(b.pairing),
        judged_in=str(b.next_month),
        trainee_rank=b.trainee_rank,
        awarded=b.awarded,
        points=b.points,
        officer_ids=list(b.officer_ids),
    )


def _elim(e: EliminationCheck) -> EliminationRead:
    return EliminationRead(
        officer_id=e.officer_id,
        year=e.year,
        bottom_months=[str(m) for m in e.bottom_months],
        longest_run=e.longest_run,
        flagged=e.flagged,
        reasons=list(e.reasons),
    )


async def month_view(session: AsyncSession, month: YearMonth, *, under: str) -> RankingMonthRead:
    """O36 for a month: ranks, retraining (bottom 3), pairs with the top 3, last month's pairs'
    bonuses and the year's elimination record so far."""
    policy = await policies.ranking_policy(session, month.year)
    months = [YearMonth(month.year - 1, 12)] + [
        YearMonth(month.year, m) for m in range(1, month.month + 1)
    ]
    scores = await _scores(session, months, under)
    rankings = {m: rank_month(m, scores[m], policy) for m in sorted(scores)}
    current = rankings.get(month) or MonthlyRanking(month, (), (), (), ())
    previous = rankings.get(_previous(month))
    bonuses = () if previous is None else pair_bonuses(previous, current, policy)
    eliminations = elimination_checks(rankings.values(), year=month.year, policy=policy)
    return RankingMonthRead(
        month=str(month),
        org=under,
        officers=[
            RankedRead(
                officer_id=o.officer_id,
                score=o.score,
                rank=o.rank,
                rank_from_bottom=o.rank_from_bottom,
                top=o.top,
                bottom=o.bottom,
            )
            for o in current.officers
        ],
        retraining=list(current.retraining),
        pairs=[_pair(p) for p in current.pairs],
        bonuses=[_bonus(b) for b in bonuses],
        eliminations=[_elim(e) for e in eliminations],
    )


async def year_view(session: AsyncSession, year: int, *, under: str) -> RankingYearRead:
    """O36 for a year (with the previous December for runs): bonuses and elimination flags."""
    policy = await policies.ranking_policy(session, year)
    months = [YearMonth(year - 1, 12)] + [YearMonth(year, m) for m in range(1, 13)]
    scores = await _scores(session, months, under)
    review = review_year(scores, year=year, policy=policy)
    return RankingYearRead(
        year=year,
        org=under,
        months=[str(r.month) for r in review.rankings],
        bonuses=[_bonus(b) for b in review.bonuses],
        eliminations=[_elim(e) for e in review.eliminations],
        flagged=list(review.flagged),
    )
