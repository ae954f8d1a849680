"""G5 token buckets and limits per role, and the G2 key cache, as pure logic."""

from __future__ import annotations

import pytest

from services.gateway.identity import Principal, TtlCache
from services.gateway.ratelimit import (
    DEFAULT_POLICY,
    Limit,
    TokenBuckets,
    limit_for,
    parse_policy,
    retry_after,
)
from shared.auth import Caller, Role
from shared.errors import InvalidInput


def test_g5_a_bucket_grants_its_burst_then_refills_at_its_rate() -> None:
    buckets = TokenBuckets()
    limit = Limit(rate_per_s=2, burst=3)
    assert [buckets.take("c", limit, now=100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("c", limit, now=100.0) == pytest.approx(0.5)  # one token in 0.5 s
    assert buckets.take("c", limit, now=100.25) == pytest.approx(0.25)
    assert buckets.take("c", limit, now=100.5) == 0.0
    assert buckets.take("c", limit, now=1000.0) == 0.0  # refilled, capped at the burst
    assert [buckets.take("c", limit, now=1000.0) for _ in range(3)][-1] > 0
    assert buckets.take("other", limit, now=1000.0) == 0.0  # one bucket per credential


def test_g5_retry_after_is_whole_seconds_at_least_one() -> None:
    assert [retry_after(w) for w in (0.01, 0.99, 1.0, 1.01, 59.2)] == ["1", "1", "1", "2", "60"]


def test_g5_buckets_are_bounded() -> None:
    buckets = TokenBuckets(max_entries=2)
    limit = Limit(rate_per_s=1, burst=1)
    for key in ("a", "b", "c"):
        buckets.take(key, limit, now=0.0)
    assert buckets.take("a", limit, now=0.0) == 0.0  # "a" was dropped: a fresh bucket


def test_g5_the_most_generous_role_limit_applies_and_an_own_limit_wins() -> None:
    policy = parse_policy(DEFAULT_POLICY)
    assert limit_for(policy, [Role.VIEWER]) == Limit(rate_per_s=5, burst=30)
    assert limit_for(policy, [Role.VIEWER, Role.ADMIN]).rate_per_s == 100
    own = Limit(rate_per_s=1, burst=1)
    assert limit_for(policy, [Role.ADMIN], own) == own
    sparse = parse_policy({"default": {"rate_per_s": 7, "burst": 8}})
    assert limit_for(sparse, [Role.RISK]) == Limit(rate_per_s=7, burst=8)


def test_g5_a_bad_policy_names_the_field() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_policy({"default": {"rate_per_s": 0, "burst": 1}, "roles": {"viewer": {"x": 1}}})
    pointers = {e["pointer"] for e in refused.value.errors}
    assert {"/default/rate_per_s", "/roles/viewer/x", "/roles/viewer/burst"} <= pointers
    assert refused.value.detail.startswith("/")
    assert all(e["detail"].startswith("G5:") for e in refused.value.errors)


def principal(name: str) -> Principal:
    return Principal(Caller(name, frozenset({Role.VIEWER}), "HO", name), kind="api_key")


def test_g2_the_key_cache_expires_and_a_clear_discards_lookups_that_raced_it() -> None:
    cache = TtlCache(ttl_s=5, max_entries=2)
    generation = cache.generation
    cache.put("h1", principal("a"), now=0.0, generation=generation)
    assert cache.get("h1", now=4.9) == (True, principal("a"))
    assert cache.get("h1", now=5.0) == (False, None)
    cache.put("h2", None, now=0.0, generation=generation)  # an unknown key is cached too
    assert cache.get("h2", now=1.0) == (True, None)
    raced = cache.generation
    cache.clear()  # a rotation committed while a lookup was in flight
    cache.put("h3", principal("stale"), now=1.0, generation=raced)
    assert cache.get("h3", now=1.0) == (False, None)
    for key in ("x", "y", "z"):
        cache.put(key, principal(key), now=1.0, generation=cache.generation)
    assert cache.get("x", now=1.0) == (False, None)  # bounded: least recently stored dropped


def test_g2_a_zero_ttl_disables_the_cache() -> None:
    cache = TtlCache(ttl_s=0, max_entries=10)
    cache.put("h", principal("a"), now=0.0, generation=cache.generation)
    assert cache.get("h", now=0.0) == (False, None)
