"""An injectable clock: services read the time through it, tests move it instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """The current time, real by default; `freeze` / `advance` for tests."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        """An aware UTC datetime."""
        return self._frozen if self._frozen is not None else datetime.now(UTC)

    def freeze(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("freeze needs an aware datetime")
        self._frozen = at.astimezone(UTC)

    def advance(self, by: timedelta) -> None:
        self._frozen = self.now() + by

    def unfreeze(self) -> None:
        self._frozen = None
