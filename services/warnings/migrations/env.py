"""Alembic environment of the warnings service."""

from services.warnings.models import Base
from shared.migrate import run_env

run_env(Base.metadata)
