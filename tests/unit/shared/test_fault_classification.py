"""Which failures are the database or broker being away (503 / retry the same step) and which
are the request's or the batch's own (500 / apply one by one and dead-letter): tests/faults
exercise these on real servers; here each class is pinned down."""

from __future__ import annotations

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    RecordTooLargeError,
)
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from shared.consumer import transient
from shared.errors import database_unavailable


class DriverError(Exception):
    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def dbapi(sqlstate: str | None, *, invalidated: bool = False) -> DBAPIError:
    return DBAPIError(
        "SELECT 1", {}, DriverError("boom", sqlstate), connection_invalidated=invalidated
    )


@pytest.mark.parametrize(
    "exc",
    [
        dbapi("57P03"),  # the database system is starting up / not yet accepting connections
        dbapi("57P01"),  # terminating connection due to administrator command
        dbapi("08006"),  # connection failure
        dbapi(None, invalidated=True),  # connection was closed in the middle of operation
        ConnectionRefusedError(111, "Connection refused"),
        OperationalError("SELECT 1", {}, DriverError("gone", None)),
        PoolTimeout("QueuePool limit reached"),
    ],
)
def test_w18_database_away_is_unavailable_and_transient(exc: BaseException) -> None:
    assert database_unavailable(exc)
    assert transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        IntegrityError("INSERT", {}, DriverError("duplicate key", "23505")),
        dbapi("22001"),  # value too long for the column: this event's fault, not the server's
        dbapi("23505"),
        DataError("INSERT", {}, DriverError("numeric field overflow", None)),
        ValueError("a handler bug"),
    ],
)
def test_w18_a_batch_own_fault_is_neither_unavailable_nor_retried_forever(
    exc: BaseException,
) -> None:
    assert not database_unavailable(exc)
    assert not transient(exc)


def test_w18_serialization_failure_deadlock_and_unknown_driver_errors_are_retried() -> None:
    assert transient(dbapi("40001"))
    assert transient(dbapi("40P01"))
    assert transient(dbapi(None))  # unknown: retrying loses nothing, dead-lettering would


@pytest.mark.parametrize("exc", [KafkaConnectionError(), KafkaTimeoutError()])
def test_w18_broker_away_is_transient(exc: BaseException) -> None:
    assert transient(exc)


@pytest.mark.parametrize("exc", [MessageSizeTooLargeError(), RecordTooLargeError()])
def test_w18_a_record_too_large_is_not_retried_forever(exc: BaseException) -> None:
    assert not transient(exc)
