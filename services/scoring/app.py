"""The scoring service: fuzzy-AHP credit rating of small-enterprise borrowers."""

from __future__ import annotations

from fastapi import FastAPI

from services.scoring import api, ratings_api
from services.scoring.config import Settings
from services.scoring.models import OutboxEvent
from services.scoring.service import ModelCache
from services.scoring.timing import ServerTiming
from shared.app import ServiceSpec, build_app
from shared.clock import Clock
from shared.events import Topic
from shared.outbox import outbox_lifespan, relay_running

BATCH_PATH = "/v1/ratings/batch"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the scoring app; tests pass their own settings."""
    settings = settings or Settings()
    app = build_app(
        settings,
        ServiceSpec(
            name="scoring",
            title="Scoring service",
            description="Fuzzy-AHP credit rating of small-enterprise borrowers (scoring.md).",
            routers=[api.router, ratings_api.router],
            extra_lifespan=outbox_lifespan(
                OutboxEvent.__table__,  # type: ignore[arg-type]
                topics=[Topic.RATING.value],
                poll_s=settings.outbox_poll_s,
            ),
            readiness_checks=(relay_running,),
            body_limits={BATCH_PATH: settings.batch_max_body_bytes},
        ),
    )
    app.state.models = ModelCache(settings.model_cache_size)
    app.state.clock = Clock()
    app.add_middleware(ServerTiming)
    return app


app = create_app()
