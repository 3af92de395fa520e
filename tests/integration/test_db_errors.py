"""A database error logged anywhere (the MLLP listener, the worker, the API) must not carry the young
person's data. PostgreSQL repeats a unique key's value in its own error text, so hiding statement
parameters is not enough: what we log is the error's class, SQLSTATE and constraint."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services.kernel.db import get_engine
from services.kernel.logsafe import db_error_summary, log_failure

IDENTIFYING = "9990000018 Jez Test 2009-03-14"[:32]


def _duplicate_key() -> IntegrityError:
    with get_engine().connect() as connection:
        insert = text("INSERT INTO alembic_version (version_num) VALUES (:v)")
        connection.execute(insert, {"v": IDENTIFYING})
        with pytest.raises(IntegrityError) as refused:
            connection.execute(insert, {"v": IDENTIFYING})
        connection.rollback()
    return refused.value


def test_statement_parameters_are_not_in_a_database_error() -> None:
    message = str(_duplicate_key())
    assert "INSERT INTO alembic_version" in message  # the statement is still there to debug with
    assert "SQL parameters hidden" in message


def test_what_is_logged_of_a_database_error_names_no_value(caplog: pytest.LogCaptureFixture) -> None:
    error = _duplicate_key()
    summary = db_error_summary(error)
    assert IDENTIFYING[:10] not in summary
    assert summary.startswith(("UniqueViolation", "IntegrityError"))
    if get_engine().dialect.name == "postgresql":
        assert "sqlstate 23505" in summary and "constraint alembic_version_pkc" in summary

    logger = logging.getLogger("liaison.test")
    with caplog.at_level(logging.ERROR, logger="liaison.test"):
        try:
            raise error
        except IntegrityError:
            log_failure(logger, "a message could not be processed")
    logged = caplog.text
    assert "a message could not be processed" in logged
    assert "test_db_errors.py" in logged  # the frames are kept
    assert "IntegrityError: (message withheld" in logged
    assert IDENTIFYING[:10] not in logged
