"""The repeat-attendance rule's configuration, shared by the settings and the service."""

from __future__ import annotations

from pydantic import BaseModel, Field

from schemas.enums import AttendanceReason


class RepeatRule(BaseModel):
    """`min_count` attendances within `window_days`, counting only those with one of `reasons` (any
    attendance when `reasons` is empty)."""

    name: str = Field(min_length=1, max_length=60)
    min_count: int = Field(ge=2)
    window_days: int = Field(ge=1)
    reasons: frozenset[AttendanceReason] = frozenset()

    def describe(self) -> str:
        which = " or ".join(sorted(r.replace("_", "-") for r in self.reasons)) if self.reasons else "any"
        return f"{self.min_count} or more {which} attendances within {self.window_days} days"


DEFAULT_RULES = (
    RepeatRule(
        name="self-harm-12-weeks",
        min_count=2,
        window_days=84,
        reasons=frozenset({AttendanceReason.self_harm, AttendanceReason.overdose}),
    ),
    RepeatRule(name="any-6-months", min_count=3, window_days=182),
)
