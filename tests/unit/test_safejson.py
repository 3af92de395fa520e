"""services.kernel.safejson: what json.loads would choke on, or hand on to choke something later, is
refused with a reason; ordinary JSON (a surrogate pair included) reads as before."""

from __future__ import annotations

import pytest

from services.kernel.safejson import MAX_DEPTH, MAX_INT_DIGITS, NotJson, UnsafeJson, loads


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nests deeper"),  # json.loads: RecursionError
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "nests deeper"),
        (b'{"a": ' + b"9" * 5000 + b"}", "digits"),  # json.loads: ValueError past 4,300 digits
        (b"-" + b"1" * (MAX_INT_DIGITS + 1), "digits"),
        (b'{"a": "\\ud800"}', "surrogate"),
        (b'{"\\udc00": 1}', "surrogate"),  # in a key too
        (b'["\\ud83d"]', "surrogate"),  # half a pair
    ],
)
def test_what_would_knock_a_reader_over_is_refused(raw: bytes, says: str) -> None:
    with pytest.raises(UnsafeJson, match=says) as refused:
        loads(raw)
    assert not isinstance(refused.value, NotJson)


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b""])
def test_what_is_not_json_is_said_so(raw: bytes) -> None:
    with pytest.raises(NotJson):
        loads(raw)


def test_ordinary_json_reads_as_before() -> None:
    nested = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert loads(nested) is not None
    assert loads(b'{"name": "Alex \\ud83d\\ude00", "n": -' + b"9" * MAX_INT_DIGITS + b"}") == {
        "name": "Alex \U0001f600",
        "n": -int("9" * MAX_INT_DIGITS),
    }
