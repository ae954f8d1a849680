"""The fuzzed apps and their schemas, built at import (pytest parametrizes from the schemas).

The documents come from the apps themselves (`app.openapi()`, no lifespan needed) and, for the
gateway, from its own merge code; schemathesis then starts each app's lifespan on first call.
"""

from __future__ import annotations

import os

import schemathesis
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.fuzz.stack import SERVICES, UNSET, GatewayStack, service_app

# Derandomized and seeded per operation: every run draws the same examples (a stable CI).
# The services get all three phases (schema examples, coverage of boundaries and negative
# cases, random fuzzing); the merged document, whose operations are the services' again behind
# the gateway, gets the fuzzing phase only, to keep the whole run near five minutes.
SEED = 20261128
CONFIG = schemathesis.Config.from_dict({"seed": SEED, "generation": {"deterministic": True}})
GATEWAY_CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"deterministic": True},
        "phases": {"coverage": {"enabled": os.environ.get("FUZZ_GATEWAY_COVERAGE") == "1"}},
    }
)

APPS = {name: service_app(name, UNSET) for name in SERVICES}
STACK = GatewayStack()


def _schema(
    document: dict[str, object], app: object, config: schemathesis.Config = CONFIG
) -> OpenApiSchema:
    schema = schemathesis.openapi.from_dict(document, config=config)
    schema.app = app
    schema.location = "/v1/openapi.json"
    return schema


SCHEMAS = {name: _schema(app.openapi(), app) for name, app in APPS.items()}
GATEWAY_SCHEMA = _schema(STACK.merged_openapi(), STACK, GATEWAY_CONFIG)
