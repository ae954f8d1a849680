"""Alembic environment of the officers service."""

from services.officers import models_funds, models_grading, models_ledger  # noqa: F401
from services.officers.models import Base
from shared.migrate import run_env

run_env(Base.metadata)
