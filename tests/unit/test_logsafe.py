from __future__ import annotations

from services.kernel.logsafe import WITHHELD, redacted_traceback


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
