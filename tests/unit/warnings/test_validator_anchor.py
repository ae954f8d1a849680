"""Issue 13: the polled reads' validators count crossed deadlines from an anchor that every
read of a period shares, on every replica, and that never lies after the read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.warnings.tiles import VALIDATOR_PERIOD, validator_anchor

MINUTE = datetime(2026, 12, 2, 9, 41, tzinfo=UTC)


@pytest.mark.parametrize(
    "offset", [timedelta(0), timedelta(microseconds=1), timedelta(seconds=59.999999)]
)
def test_issue13_reads_of_one_period_share_the_anchor(offset: timedelta) -> None:
    assert VALIDATOR_PERIOD == timedelta(minutes=1)
    assert validator_anchor(MINUTE + offset) == MINUTE


def test_issue13_the_anchor_moves_with_the_period_whatever_the_zone() -> None:
    assert validator_anchor(MINUTE + VALIDATOR_PERIOD) == MINUTE + VALIDATOR_PERIOD
    shanghai = (MINUTE + timedelta(seconds=5)).astimezone(ZoneInfo("Asia/Shanghai"))
    assert validator_anchor(shanghai) == MINUTE  # the same instant, whatever its zone
    assert validator_anchor(MINUTE, timedelta(hours=1)) == MINUTE.replace(minute=0)
