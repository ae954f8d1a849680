"""Fixtures shared by every layer of the suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.databases import fresh_database

# The same examples on every run, so CI never fails on a draw it did not see before; a new
# property is explored with `HYPOTHESIS_PROFILE=explore` (random draws, more examples).
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("explore", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Storage tests run on both the embedded default and the production store."""
    return str(request.param)


@pytest.fixture
async def warnings_db(backend: str, tmp_path: Path) -> str:
    return await fresh_database("warnings", backend, tmp_path)


@pytest.fixture
async def officers_db(backend: str, tmp_path: Path) -> str:
    return await fresh_database("officers", backend, tmp_path)


@pytest.fixture
async def scoring_db(backend: str, tmp_path: Path) -> str:
    return await fresh_database("scoring", backend, tmp_path)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """The test broker (set by scripts/test.sh); its absence fails the test, never skips it."""
    servers = os.environ.get("TEST_KAFKA_BOOTSTRAP")
    if not servers:
        pytest.fail(
            "TEST_KAFKA_BOOTSTRAP is not set: run the suite with `make test`, which starts the "
            "test Kafka broker (scripts/kafka.sh)",
            pytrace=False,
        )
    return servers
