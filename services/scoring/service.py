"""Model documents and versions, the compiled-model cache, the AHP calculator and evaluation.

Load (store) -> decide (tree, ahp, evaluate) -> persist. Math errors (AhpError) become 422s
that name the field by JSON pointer and the rule broken.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring import store
from services.scoring.ahp import DEFAULT_CR_THRESHOLD, AhpError, judge, judgment_to_dict
from services.scoring.evaluate import evaluate, rating_to_dict
from services.scoring.models import ScoringModel
from services.scoring.tree import Model, Node, compile_model
from shared.errors import InvalidInput, NotFound
from shared.idempotency import hash_json

log = logging.getLogger("scoring.service")

NAME_MAX = 200
LABEL_MAX = 64


def invalid(err: AhpError, *, prefix: str = "") -> InvalidInput:
    """The 422 for a math error, naming the field (JSON pointer behind `prefix`) and rule."""
    return InvalidInput(err.detail, pointer=f"{prefix}{err.pointer}", rule=err.rule)


def document_id(doc: Mapping[str, Any]) -> str:
    """A model version's id: derived from the document, so the same document has one id."""
    return "m-" + hash_json(doc)[:24]


INT64 = 2**63 - 1


def check_integers(value: object, pointer: str = "/inputs", *, rule: str = "S7") -> None:
    """JSON integers must fit 64 bits (no count or parameter needs more, and storage and
    replays could not keep them exactly); 422 naming the first that does not."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT64:
        raise InvalidInput("integer beyond the 64-bit range", pointer=pointer, rule=rule)
    if isinstance(value, dict):
        for key, item in value.items():
            check_integers(item, f"{pointer}/{key}", rule=rule)
    elif isinstance(value, list):
        for k, item in enumerate(value):
            check_integers(item, f"{pointer}/{k}", rule=rule)


def compile_document(doc: object) -> Model:
    """compile_model (S1-S7, S10, S13) plus the limits of storage and an optional per-model
    `cr_threshold` (S4's default 0.10 is a model parameter, editable by a new version)."""
    if not isinstance(doc, Mapping):
        raise AhpError("S1", "", "a model document is a JSON object")
    threshold = doc.get("cr_threshold", DEFAULT_CR_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise AhpError("S4", "/cr_threshold", "cr_threshold must be a number")
    if not 0 < threshold < 1:
        raise AhpError("S4", "/cr_threshold", "cr_threshold must lie in (0, 1)")
    model = compile_model(doc, cr_threshold=float(threshold))
    if len(model.name) > NAME_MAX:
        raise AhpError("S1", "/name", f"name is longer than {NAME_MAX} characters")
    g = model.grades
    for key, labels in (("labels", g.labels), ("risk_levels", g.risk_levels)):
        for i, label in enumerate(labels):
            if len(label) > LABEL_MAX:
                raise AhpError("S2", f"/grades/{key}/{i}", f"longer than {LABEL_MAX} characters")
    return model


@dataclass(frozen=True)
class ModelVersion:
    """A stored model version, detached from any session (versions never change)."""

    id: str
    name: str
    version: int
    document: dict[str, Any]
    created_by: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: ScoringModel) -> ModelVersion:
        return cls(
            id=row.id,
            name=row.name,
            version=row.version,
            document=row.document,
            created_by=row.created_by,
            created_at=row.created_at,
        )


class ModelCache:
    """Compiled models by content hash, and stored versions by id. Documents and versions
    are immutable, so entries never go stale; the least recently used go beyond `size`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._models: OrderedDict[str, Model] = OrderedDict()
        self._versions: OrderedDict[str, ModelVersion] = OrderedDict()

    def compiled(self, doc: Mapping[str, Any], *, key: str | None = None) -> Model:
        """The compiled document; raises AhpError when it is invalid (not cached)."""
        key = key or document_id(doc)
        model = self._models.get(key)
        if model is None:
            model = compile_document(doc)
            self._models[key] = model
            if len(self._models) > self.size:
                self._models.popitem(last=False)
        else:
            self._models.move_to_end(key)
        return model

    def remember(self, version: ModelVersion) -> Model:
        """Keep a stored version (its id is its document's hash) and return its model."""
        self._versions[version.id] = version
        self._versions.move_to_end(version.id)
        if len(self._versions) > self.size:
            self._versions.popitem(last=False)
        return self.compiled(version.document, key=version.id)

    def version(self, model_id: str) -> tuple[ModelVersion, Model] | None:
        found = self._versions.get(model_id)
        return None if found is None else (found, self.remember(found))


def model_ref(row: ModelVersion) -> dict[str, Any]:
    """`model_version` of a rating: which stored version was used (S12)."""
    return {"id": row.id, "name": row.name, "version": row.version}


def model_body(row: ModelVersion, model: Model, *, in_use: bool) -> dict[str, Any]:
    """GET /v1/models/{id}: the document and every node's resolved weights (S3, S4)."""
    nodes: dict[str, Any] = {}
    for item in model.items.values():
        if isinstance(item, Node):
            report = item.judgment.report if item.judgment else None
            nodes[item.code] = {
                "children": [c.code for c in item.children],
                "weights": list(item.weights),
                "consistency": None
                if report is None
                else {
                    "lambda_max": report.lambda_max,
                    "ci": report.ci,
                    "ri": report.ri,
                    "cr": report.cr,
                    "consistent": report.consistent,
                },
            }
    return {**model_summary(row), "document": row.document, "in_use": in_use, "nodes": nodes}


def model_summary(row: ModelVersion) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "version": row.version,
        "created_by": row.created_by,
        "created_at": row.created_at,
    }


async def create_model(
    session: AsyncSession, doc: dict[str, Any], *, cache: ModelCache, created_by: str
) -> tuple[ModelVersion, bool]:
    """Store a new version of the document's name, or find the same document (Model lifecycle).

    Versions are never updated: an edited document is a new version, so a version used by a
    rating stays exactly as it was. Returns (row, created).
    """
    try:
        model = compile_document(doc)
    except AhpError as err:
        raise invalid(err) from None
    check_integers(doc, "", rule="S1")
    mid = document_id(doc)
    for _ in range(5):
        existing = await store.get_model(session, mid)
        if existing is not None:
            return ModelVersion.of(existing), False
        version = await store.next_version(session, model.name)
        row = ScoringModel(
            id=mid, name=model.name, version=version, document=doc, created_by=created_by
        )
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:  # a concurrent post took this version (or this document)
            log.info("model version race on %s v%d; retrying", model.name, version)
            continue
        await session.refresh(row)
        stored = ModelVersion.of(row)
        cache.remember(stored)
        return stored, True
    raise InvalidInput("too many concurrent versions of this model name; retry", pointer="/name")


async def load_model(
    session: AsyncSession, model_id: str, cache: ModelCache, *, pointer: str | None = "/model_id"
) -> tuple[ModelVersion, Model]:
    """A stored version and its compiled model (cached: versions never change): 422 at
    `pointer` when a body names an unknown version, 404 when the path does (pointer None)."""
    hit = cache.version(model_id)
    if hit is not None:
        return hit
    row = await store.get_model(session, model_id)
    if row is None:
        if pointer is None:
            raise NotFound(f"model {model_id} does not exist")
        raise InvalidInput(f"model {model_id} does not exist", pointer=pointer, rule="S1")
    version = ModelVersion.of(row)
    return version, cache.remember(version)


def ahp_weights(
    *, matrix: object, matrices: object, threshold: float = DEFAULT_CR_THRESHOLD
) -> dict[str, object]:
    """POST /v1/ahp/weights: weights and consistency of one matrix, a panel's matrices (S5)
    or fuzzy triples (S13); inconsistency is reported, not refused (S3, S4)."""
    if (matrix is None) == (matrices is None):
        raise InvalidInput('give exactly one of "matrix" or "matrices"', pointer="", rule="S3")
    group = matrices is not None
    raw = matrices if group else matrix
    try:
        judgment = judge(
            raw, group=group, pointer="/matrices" if group else "/matrix", threshold=threshold
        )
    except AhpError as err:
        raise invalid(err) from None
    return {**judgment_to_dict(judgment), "fuzzy": judgment.fuzzy}


def evaluate_body(model: Model, inputs: object, *, ref: dict[str, Any] | None) -> dict[str, object]:
    """The full rating of S12 for one enterprise (POST /v1/evaluate), errors at /inputs."""
    check_integers(inputs)
    try:
        rating = evaluate(model, inputs)
    except AhpError as err:
        raise invalid(err) from None
    return rating_to_dict(rating, model_version=ref)
