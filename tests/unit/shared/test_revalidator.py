"""Issue 13: the revalidator keeps a bounded number of polled answers' recipes (shared/etag.py)."""

from __future__ import annotations

from shared.etag import Revalidator
from tests.support.auth import caller

HO, SUB = caller("head_office"), caller("sub_branch", org="HO/GZ/LS03")


async def tag() -> str:
    return '"t"'


def test_issue13_recipes_are_kept_by_path_query_and_caller_least_recent_dropped() -> None:
    kept = Revalidator(size=3)
    kept.keep(("/v1/summary", b"", HO), None, tag)
    kept.keep(("/v1/summary", b"", SUB), None, tag)
    kept.keep(("/v1/deadlines", b"limit=20", HO), None, tag)
    assert kept.get(("/v1/summary", b"", HO)) is not None  # now the most recent
    assert kept.get(("/v1/summary", b"org=HO", HO)) is None
    kept.keep(("/v1/warnings", b"", HO), None, tag)  # drops the least recent: SUB's summary
    assert kept.get(("/v1/summary", b"", SUB)) is None
    assert kept.get(("/v1/summary", b"", HO)) is not None
    assert kept.serves("/v1/summary")
    assert kept.serves("/v1/warnings")
    kept.keep(("/v1/escalations", b"", HO), None, tag)  # drops the deadlines recipe
    assert not kept.serves("/v1/deadlines")
    assert kept.serves("/v1/escalations")
    assert len(kept) == 3
