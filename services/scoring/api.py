"""HTTP routes of the scoring service: the AHP calculator, stateless evaluation, model versions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from services.scoring import service, store
from services.scoring.ahp import AhpError
from services.scoring.deps import ModellerDep, ModelsDep
from services.scoring.schemas import (
    AhpWeightsRead,
    AhpWeightsRequest,
    EvaluateRequest,
    ModelRead,
    ModelSummary,
    RatingBody,
)
from shared.auth import ReaderDep
from shared.db import SessionDep
from shared.errors import InvalidInput
from shared.events import Id
from shared.openapi import also
from shared.paging import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/v1")

MODEL_EXAMPLE: dict[str, Any] = {
    "name": "two-factor demo",
    "root": {
        "code": "U",
        "name": "goal",
        "comparisons": [[1, 3], [0.3333333333333333, 1]],
        "children": [
            {"code": "A", "name": "owner integrity", "kind": "votes"},
            {
                "code": "B",
                "name": "debt-to-asset ratio",
                "kind": "measured",
                "breakpoints": [0.3, 0.45, 0.6, 0.7, 0.85],
                "higher_is_better": False,
            },
        ],
    },
}


@router.post(
    "/ahp/weights", response_model=AhpWeightsRead, response_model_exclude_unset=True, tags=["ahp"]
)
async def ahp_weights(body: AhpWeightsRequest, caller: ReaderDep) -> dict[str, object]:
    """Weights (principal eigenvector), lambda_max, CI, RI, CR of a judgment matrix (S3, S4);
    `matrices` combines a panel by geometric mean (S5); [l, m, u] triples are fuzzy (S13).
    An inconsistent matrix is answered with `consistent: false` and the worst judgment."""
    del caller
    return service.ahp_weights(
        matrix=body.matrix, matrices=body.matrices, threshold=body.cr_threshold
    )


@router.post("/evaluate", response_model=RatingBody, tags=["ratings"])
async def evaluate(
    body: EvaluateRequest, session: SessionDep, caller: ReaderDep, cache: ModelsDep
) -> dict[str, object]:
    """The full rating of S12 for one enterprise, not stored: give a model document (`model`)
    or a stored version (`model_id`) and the leaf inputs."""
    del caller
    if (body.model is None) == (body.model_id is None):
        raise InvalidInput('give exactly one of "model" or "model_id"', pointer="", rule="S1")
    if body.model_id is not None:
        row, model = await service.load_model(session, body.model_id, cache)
        ref = service.model_ref(row)
    else:
        assert body.model is not None
        try:
            model = cache.compiled(body.model)
        except AhpError as err:
            raise service.invalid(err, prefix="/model") from None
        ref = None
    return service.evaluate_body(model, body.inputs, ref=ref)


@router.post(
    "/models",
    status_code=201,
    responses=also(
        200, model=ModelRead, description="the same document again returns the existing version"
    ),
    response_model=ModelRead,
    tags=["models"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}, "example": MODEL_EXAMPLE}
            },
        }
    },
)
async def create_model(
    document: dict[str, Any],
    session: SessionDep,
    caller: ModellerDep,
    cache: ModelsDep,
    response: Response,
) -> dict[str, Any]:
    """Publish a model document as the next version of its name (201); the same document
    again returns its existing version (200). Versions never change: an edit is a new version."""
    row, created = await service.create_model(
        session, document, cache=cache, created_by=caller.subject
    )
    if not created:
        response.status_code = 200
    in_use = False if created else await store.model_in_use(session, row.id)
    return service.model_body(row, cache.remember(row), in_use=in_use)


@router.get("/models", response_model=Page[ModelSummary], tags=["models"])
async def list_models(
    session: SessionDep,
    caller: ReaderDep,
    name: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Model versions, by name, newest version first, a page at a time (issue 13)."""
    del caller
    rows = await store.list_models(session, name=name, limit=limit, cursor=cursor)
    page, after = page_of(rows, limit, lambda r: (r.name, r.version))
    items = [service.model_summary(service.ModelVersion.of(r)) for r in page]
    return {"items": items, "next_cursor": after}


@router.get("/models/{model_id}", response_model=ModelRead, tags=["models"])
async def get_model(
    session: SessionDep, caller: ReaderDep, cache: ModelsDep, model_id: Annotated[Id, Path()]
) -> dict[str, Any]:
    """One model version: its document, resolved weights and consistency per node."""
    del caller
    row, model = await service.load_model(session, model_id, cache, pointer=None)
    return service.model_body(row, model, in_use=await store.model_in_use(session, row.id))
