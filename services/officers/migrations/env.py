"""Alembic environment of the officers service."""

from services.officers.models import Base
from shared.migrate import run_env

run_env(Base.metadata)
