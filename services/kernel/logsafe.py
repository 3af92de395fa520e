"""Logging failures without the young people's data in them, and logging without secrets.

An exception's text can carry what it was handling: PostgreSQL repeats the key of a unique violation
("Key (nhs_number)=(9990000018) already exists"), a parser quotes the segment it choked on. Logs are read by
people and systems outside the care team, so the places that log a failure while handling a young person's
data keep the traceback's frames and the exception's type, and withhold its message.

Secrets: the Telegram Bot API puts the bot's token in every URL (`https://api.telegram.org/bot<token>/...`)
and a webhook URL may carry one in its path. `configure_logging`, the logging setup of every `liaison`
process, keeps HTTP client libraries' per-request lines (which quote the URL) out of the logs and redacts
anything shaped like a bot token from every record any logger makes, messages and tracebacks alike."""

from __future__ import annotations

import logging
import re
import sys
import traceback
from typing import Any

WITHHELD = "(message withheld: it may hold a young person's data)"
REDACTED = "<redacted>"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# httpx and httpcore log every request, its URL whole, at INFO and DEBUG: a bot token or a webhook's
# secret path would be in the log of every send. Their warnings and errors still come through.
QUIET_LOGGERS = ("httpx", "httpcore")

# A Telegram bot token is `<bot id>:<35 characters>`; in a URL it follows `bot`. The bare form needs a long
# secret part, so times ("12:30:00") and ids with a colon are left alone.
_BOT_TOKEN = re.compile(r"(?<=bot)\d+:[A-Za-z0-9_-]+|\b\d{6,}:[A-Za-z0-9_-]{30,}")


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


def redact_secrets(text: str) -> str:
    """`text` with every bot token (in a Bot API URL, or bare) replaced by <redacted>."""
    return _BOT_TOKEN.sub(REDACTED, text)


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string is logging's to report, at emit
        return
    clean = redact_secrets(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact_secrets(record.exc_text)
    if record.stack_info:
        record.stack_info = redact_secrets(record.stack_info)


_installed: list[bool] = []


def install_redaction() -> None:
    """Redact secrets from every log record this process makes, whichever logger or handler it goes to
    (rq and uvicorn set up handlers of their own, so a filter on ours would not be enough). Once."""
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed.append(True)


def configure_logging(level: int = logging.INFO) -> None:
    """The logging of a `liaison` process: lines on stderr, no HTTP client request lines, no secrets."""
    logging.basicConfig(level=level, format=LOG_FORMAT)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    install_redaction()
