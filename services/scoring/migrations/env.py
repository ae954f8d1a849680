"""Alembic environment of the scoring service."""

from services.scoring.models import Base
from shared.migrate import run_env

run_env(Base.metadata)
