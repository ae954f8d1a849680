"""The scoring service: fuzzy-AHP credit rating of small-enterprise borrowers."""

from __future__ import annotations

from fastapi import FastAPI

from services.scoring.config import Settings
from shared.app import ServiceSpec, build_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the scoring app; tests pass their own settings."""
    return build_app(
        settings or Settings(),
        ServiceSpec(
            name="scoring",
            title="Scoring service",
            description="Fuzzy-AHP credit rating of small-enterprise borrowers (scoring.md).",
        ),
    )


app = create_app()
