"""Alembic environment of the officers service."""

from services.officers import models_grading  # noqa: F401  (registers its tables)
from services.officers.models import Base
from shared.migrate import run_env

run_env(Base.metadata)
