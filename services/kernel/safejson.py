"""JSON from outside, read without being knocked over by it.

`json.loads` raises RecursionError on deeply nested arrays and ValueError on an integer of more than 4,300
digits, and it hands back a lone surrogate escape (`"\\ud800"`) as a string no encoder will write out
again: each of these was a 500 (the FHIR routes, and the 422 handler repeating the bad input). `loads`
refuses them all with `UnsafeJson`, for the caller to answer 400: nesting deeper than `MAX_DEPTH` (nothing
liaison takes nests near it; a deeper document would only reach a recursive validator later), integers
longer than `MAX_INT_DIGITS` digits, and strings that are not valid Unicode text."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64
MAX_INT_DIGITS = 64


class UnsafeJson(ValueError):
    """The body is not JSON liaison will read; the message says why (never repeating the body)."""


class NotJson(UnsafeJson):
    """The body does not parse as JSON at all."""


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise UnsafeJson(f"a number in the body is longer than {MAX_INT_DIGITS} digits")
    return int(text)


def loads(raw: bytes | str) -> Any:
    """The parsed body, or UnsafeJson naming what is wrong with it."""
    try:
        value = json.loads(raw, parse_int=_int)
    except UnsafeJson:
        raise
    except RecursionError:
        raise UnsafeJson(f"the body nests deeper than {MAX_DEPTH} levels") from None
    except UnicodeDecodeError:
        raise NotJson("the body is not UTF-8 text") from None
    except ValueError as exc:  # json.JSONDecodeError among them
        raise NotJson(f"the body is not JSON: {exc}") from None
    check(value)
    return value


def check(value: Any) -> None:
    """Refuse (UnsafeJson) parsed JSON nesting deeper than MAX_DEPTH or holding a lone surrogate."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _text(item)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise UnsafeJson(f"the body nests deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                for key in item:
                    _text(key)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)


def _text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsafeJson("the body holds a \\u escape that is not a character (a lone surrogate)") from None
