"""Schemathesis fuzzing of every service's OpenAPI document and of the gateway's merged one.

Positive and negative examples (schemathesis' examples, coverage and fuzzing phases), derandomized
and seeded, as a signed admin so every route is reached past G3/G4. Checks: no 5xx, responses
conform to the documented status codes, content types and schemas, and every 4xx is an RFC 9457
problem document (`application/problem+json` with type, title, status and detail).
"""

from __future__ import annotations

import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.auth import CALLER_HEADER, sign_caller
from shared.config import DEV_INTERNAL_SECRET
from tests.fuzz.apps import GATEWAY_SCHEMA, SCHEMAS, STACK
from tests.fuzz.stack import problem_shape
from tests.support.auth import ADMIN

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))
# One test per document, each operation a subtest: well above pytest-timeout's 300 s default
# on a loaded machine.
LONG = pytest.mark.timeout(900)
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@schemathesis.check
def problem_document_on_4xx(
    ctx: CheckContext, response: Response, case: schemathesis.Case
) -> bool | None:
    """Every 4xx is a problem document (house rule: bad input names the field and the rule)."""
    del ctx, case
    if not 400 <= response.status_code < 500:
        return None
    media = response.headers.get("content-type", [""])[0].split(";")[0].strip()
    if media != "application/problem+json":
        raise AssertionError(f"{response.status_code} answered as {media!r}, not problem+json")
    faults = problem_shape(response.json(), response.status_code)
    if faults:
        raise AssertionError(f"{response.status_code} is not a problem document: {faults}")
    return True


CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    problem_document_on_4xx,
]


def signed_admin() -> dict[str, str]:
    """The caller header the gateway would send for an admin at HO (valid 60 s)."""
    return {CALLER_HEADER: sign_caller(ADMIN, secret=DEV_INTERNAL_SECRET, now=time.time())}


scoring = SCHEMAS["scoring"]
officers = SCHEMAS["officers"]
warnings = SCHEMAS["warnings"]


@LONG
@scoring.parametrize()
@FUZZ
def test_fuzz_scoring(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=signed_admin(), checks=CHECKS)


@LONG
@officers.parametrize()
@FUZZ
def test_fuzz_officers(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=signed_admin(), checks=CHECKS)


@LONG
@warnings.parametrize()
@FUZZ
def test_fuzz_warnings(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=signed_admin(), checks=CHECKS)


@LONG
@GATEWAY_SCHEMA.parametrize()
@FUZZ
def test_fuzz_gateway_merged(case: schemathesis.Case) -> None:
    key = {"Authorization": f"Bearer {STACK.admin_key}"}
    case.call_and_validate(headers=key, checks=CHECKS)
