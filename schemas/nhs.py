"""The NHS number as a validated type, shared by every intake path (JSON, HL7 v2, FHIR)."""

from __future__ import annotations

import re
from typing import Annotated

import nhs_number
from pydantic import AfterValidator

_SEPARATORS = re.compile(r"[\s-]")


class InvalidNhsNumber(ValueError):
    pass


def check_nhs_number(value: str) -> str:
    """Ten digits (spaces or dashes allowed) whose modulus 11 check digit is right; returns the digits."""
    digits = _SEPARATORS.sub("", value)
    if not re.fullmatch(r"[0-9]{10}", digits):  # not \d: "９９９..." (full-width) would be a second identity
        raise InvalidNhsNumber("an NHS number has exactly 10 digits")
    if not nhs_number.is_valid(digits):  # type: ignore[attr-defined]
        raise InvalidNhsNumber("NHS number fails the modulus 11 check digit")
    return digits


NhsNumber = Annotated[str, AfterValidator(check_nhs_number)]
