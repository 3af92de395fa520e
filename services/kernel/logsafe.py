"""Logging failures without the young people's data in them.

An exception's text can carry what it was handling: PostgreSQL repeats the key of a unique violation
("Key (nhs_number)=(9990000018) already exists"), a parser quotes the segment it choked on. Logs are read by
people and systems outside the care team, so the places that log a failure while handling a young person's
data keep the traceback's frames and the exception's type, and withhold its message."""

from __future__ import annotations

import logging
import sys
import traceback

WITHHELD = "(message withheld: it may hold a young person's data)"


def db_error_summary(error: BaseException) -> str:
    """A database error as its class, SQLSTATE and constraint: enough to act on, no values."""
    orig = getattr(error, "orig", None) or error
    parts = [type(orig).__name__]
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        parts.append(f"sqlstate {sqlstate}")
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    if constraint:
        parts.append(f"constraint {constraint}")
    return ", ".join(parts)


def redacted_traceback(error: BaseException) -> str:
    """The traceback of `error` and the exceptions chained to it, each message withheld."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    lines: list[str] = []
    for number, exc in enumerate(reversed(chain)):
        if number:
            lines.append("\nwhich led to:\n")
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_tb(exc.__traceback__))
        lines.append(f"{type(exc).__module__}.{type(exc).__qualname__}: {WITHHELD}\n")
    return "".join(lines).rstrip("\n")


def log_failure(logger: logging.Logger, message: str, *args: object) -> None:
    """Like `logger.exception`, inside an `except` block, with the exception's message withheld."""
    error = sys.exc_info()[1]
    if error is None:
        logger.error(message, *args)
        return
    logger.error(f"{message}\n%s", *args, redacted_traceback(error))
