"""Regression tests for what fuzzing the services' OpenAPI documents found (tests/fuzz)."""

from __future__ import annotations

from typing import Any

from services.officers.app import create_app as create_officers
from services.officers.config import Settings as OfficersSettings
from services.scoring.app import create_app as create_scoring
from services.scoring.config import Settings as ScoringSettings
from services.warnings.app import create_app as create_warnings
from services.warnings.config import Settings as WarningsSettings
from shared.openapi import SERVICE_ERRORS, operations
from tests.support.apps import serve
from tests.support.hostile import assert_problem

MODEL = {
    "name": "two-factor demo",
    "root": {
        "code": "U",
        "name": "goal",
        "comparisons": [[1, 3], [0.333, 1]],
        "children": [
            {"code": "A", "name": "owner integrity", "kind": "votes"},
            {"code": "B", "name": "debt", "kind": "measured",
             "breakpoints": [0.3, 0.45, 0.6, 0.7, 0.85]},
        ],
    },
}  # fmt: skip


def documents(tmp_path: Any) -> dict[str, dict[str, Any]]:
    url = f"sqlite+aiosqlite:///{tmp_path}/unused.db"
    return {
        "scoring": create_scoring(ScoringSettings(database_url=url)).openapi(),
        "officers": create_officers(OfficersSettings(database_url=url)).openapi(),
        "warnings": create_warnings(WarningsSettings(database_url=url)).openapi(),
    }


async def test_fuzz_every_operation_documents_its_problem_documents(tmp_path: Any) -> None:
    """Found: a 422 was documented as `application/json` HTTPValidationError and 401, 403,
    404, 409, 413, 503 not at all, while every service answers them as problem documents."""
    for name, document in documents(tmp_path).items():
        assert "HTTPValidationError" not in document["components"]["schemas"], name
        for path, method, operation in operations(document):
            if path in ("/healthz", "/readyz", "/metrics"):
                continue
            for status in SERVICE_ERRORS:
                content = operation["responses"][str(status)]["content"]
                assert list(content) == ["application/problem+json"], (name, path, method)


async def test_fuzz_metrics_is_documented_as_prometheus_text(tmp_path: Any) -> None:
    """Found: /metrics answers text/plain but was documented as application/json."""
    for name, document in documents(tmp_path).items():
        content = document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
        assert list(content) == ["text/plain; version=1.0.0; charset=utf-8"], name


async def test_fuzz_a_repeated_model_is_200_and_documented(scoring_db: str) -> None:
    """Found: the same model document again answers 200, which was not documented."""
    app = create_scoring(ScoringSettings(database_url=scoring_db))
    async with serve(app) as client:
        assert (await client.post("/v1/models", json=MODEL)).status_code == 201
        assert (await client.post("/v1/models", json=MODEL)).status_code == 200
    assert "200" in app.openapi()["paths"]["/v1/models"]["post"]["responses"]


async def test_fuzz_officers_replays_and_first_versions_are_documented(officers_db: str) -> None:
    """Found: a repeated org node (200) and a first stored policy (201) were not documented."""
    app = create_officers(OfficersSettings(database_url=officers_db))
    async with serve(app) as client:
        node = {"id": "HO", "name": "head office"}
        assert (await client.post("/v1/orgs", json=node)).status_code == 201
        assert (await client.post("/v1/orgs", json=node)).status_code == 200
        assert (await client.put("/v1/policies/grading/2099", json={})).status_code == 201
    paths = app.openapi()["paths"]
    assert "200" in paths["/v1/orgs"]["post"]["responses"]
    assert "201" in paths["/v1/policies/{kind}/{year}"]["put"]["responses"]
    for path in ("/v1/officers", "/v1/exams", "/v1/appointments"):
        assert "200" in paths[path]["post"]["responses"], path
    for path, operation in paths.items():
        if path.startswith("/v1/officers/{officer_id}/funds/") and "post" in operation:
            assert "200" in operation["post"]["responses"], path


async def test_fuzz_a_run_id_beyond_64_bits_is_422_not_500(officers_db: str) -> None:
    """Found: /v1/grading/runs/747066154356938768384/recompute overflowed the database
    integer (500); run ids are bounded to 64 bits in the path."""
    app = create_officers(OfficersSettings(database_url=officers_db))
    async with serve(app) as client:
        for method, path in (
            ("GET", "/v1/grading/runs/747066154356938768384"),
            ("POST", "/v1/grading/runs/747066154356938768384/recompute"),
            ("POST", "/v1/grading/runs/79277387180540281487360/reopen"),
        ):
            response = await client.request(method, path)
            body = assert_problem(response, 422)
            assert body["errors"][0]["pointer"] == "#path/run_id" or "run_id" in body["detail"]
        assert_problem(await client.get("/v1/grading/runs/2147483647"), 404)


async def test_fuzz_a_nul_in_a_query_filter_is_422_not_500(scoring_db: str) -> None:
    """Found on PostgreSQL: GET /v1/models?name=<...%00...> was a 500 (text cannot hold NUL)."""
    app = create_scoring(ScoringSettings(database_url=scoring_db))
    async with serve(app) as client:
        response = await client.get("/v1/models", params={"name": "a\u0000b"})
        body = assert_problem(response, 422)
        assert body["errors"][0]["pointer"] == "#query/name"
        assert (await client.get("/v1/models", params={"name": "ab"})).status_code == 200


async def test_fuzz_an_id_beyond_the_database_column_is_422_not_500(officers_db: str) -> None:
    """Found on PostgreSQL: POST /v1/assignments/4611686018427387903/accept overflowed the
    INTEGER column in the driver (500); a row id above the column's range is now a 422 on both
    backends (`api_common.RowId`)."""
    app = create_officers(OfficersSettings(database_url=officers_db))
    async with serve(app) as client:
        response = await client.post("/v1/assignments/4611686018427387903/accept")
        assert_problem(response, 422)
        assert "2147483647" in response.text
