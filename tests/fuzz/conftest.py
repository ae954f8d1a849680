"""Migrated databases for the fuzzed apps, attached before any of them starts."""

from __future__ import annotations

import pytest

from tests.fuzz.apps import APPS, STACK
from tests.fuzz.stack import attach


@pytest.fixture(scope="session", autouse=True)
def fuzz_databases(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each fuzzed app (and the gateway stack) on its own freshly migrated database."""
    directory = tmp_path_factory.mktemp("fuzz")
    for name, app in APPS.items():
        attach(app, name, directory / "alone")
    STACK.attach(directory / "stack")
