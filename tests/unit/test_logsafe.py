from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from services.kernel import logsafe
from services.kernel.logsafe import WITHHELD, redact_secrets, redacted_traceback


def _parse(segment: str) -> None:
    raise ValueError(f"cannot read {segment}")


def test_a_chain_of_exceptions_keeps_every_frame_and_type_but_no_message() -> None:
    segment = "PID|||9990000018^^^NHS||Test^Jez"
    try:
        try:
            _parse(segment)
        except ValueError as error:
            raise RuntimeError(f"message failed: {error}") from error
    except RuntimeError as error:
        text = redacted_traceback(error)
    assert "9990000018" not in text and "Jez" not in text
    assert "in _parse" in text  # the frame where it went wrong
    assert f"builtins.ValueError: {WITHHELD}" in text
    assert f"builtins.RuntimeError: {WITHHELD}" in text
    assert text.index("ValueError") < text.index("which led to") < text.index("RuntimeError")


TOKEN = "7012345678:AAHk-3x_Q9ZlN2mP8rT4vW6yB1cD5eF7gH0"  # noqa: S105 - made up, of the real shape


def test_bot_tokens_are_redacted_in_urls_and_bare_but_times_and_ids_are_not() -> None:
    url = f"POST https://api.telegram.org/bot{TOKEN}/sendMessage"
    assert redact_secrets(url) == "POST https://api.telegram.org/bot<redacted>/sendMessage"
    assert redact_secrets(f"token {TOKEN} refused") == "token <redacted> refused"
    assert redact_secrets("at 12:30:00, delivery 42:3, ref YP-3KV98-VDSDS") == (
        "at 12:30:00, delivery 42:3, ref YP-3KV98-VDSDS"
    )


@pytest.fixture
def redacting(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """install_redaction in this process, undone afterwards."""
    factory = logging.getLogRecordFactory()
    monkeypatch.setattr(logsafe, "_installed", [])
    logsafe.install_redaction()
    try:
        yield
    finally:
        logging.setLogRecordFactory(factory)


def test_every_logger_s_records_lose_the_token_in_message_args_and_traceback(
    redacting: None, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("telegram.ext.somewhere")  # not one of ours, not quietened
    with caplog.at_level(logging.INFO):
        logger.info("calling %s", f"https://api.telegram.org/bot{TOKEN}/getUpdates")
        try:
            raise ConnectionError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getMe")
        except ConnectionError:
            logger.exception("network trouble")
    text = caplog.text
    assert TOKEN not in text and TOKEN.split(":")[1] not in text, text
    assert "bot<redacted>/getUpdates" in text and "bot<redacted>/getMe" in text
    assert "ConnectionError" in text  # the traceback is still there, minus the token


def test_the_http_clients_request_lines_are_kept_out(monkeypatch: pytest.MonkeyPatch) -> None:
    factory = logging.getLogRecordFactory()
    monkeypatch.setattr(logsafe, "_installed", [])
    for name in logsafe.QUIET_LOGGERS:
        monkeypatch.setattr(logging.getLogger(name), "level", logging.NOTSET)
    try:
        logsafe.configure_logging()
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
        assert not logging.getLogger("httpcore").isEnabledFor(logging.INFO)
        assert logging.getLogger("httpx").isEnabledFor(logging.WARNING)
    finally:
        logging.setLogRecordFactory(factory)
