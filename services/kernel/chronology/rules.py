"""Pure rules over chronology entries: which agency an entry belongs to, and the page's filters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

# Who acted, where a writer recorded it (`by`: an acknowledgement; `username`, `member`: care-team changes).
ACTOR_KEYS = ("by", "username", "member", "recorded_by")
# What arrives from a hospital belongs to the acute liaison service, whoever is named in it.
HOSPITAL_KINDS = frozenset(
    {"attendance", "attendance_cancelled", "attendance_updated", "repeat_attendance", "discharged"}
)
HOSPITAL_AGENCY = "acute_liaison"


def actor_of(detail: Mapping[str, Any]) -> str | None:
    for key in ACTOR_KEYS:
        value = detail.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def agency_of(kind: str, detail: Mapping[str, Any], agency_by_username: Mapping[str, str]) -> str | None:
    """The agency an entry is about: the hospital's for an attendance; else the agency of the person who
    acted, when the entry names them; else none (the service itself: a move, a chase step)."""
    if kind in HOSPITAL_KINDS:
        return HOSPITAL_AGENCY
    actor = actor_of(detail)
    return agency_by_username.get(actor) if actor else None


def kept(
    *,
    kind: str,
    agency: str | None,
    at: datetime,
    kinds: frozenset[str],
    agencies: frozenset[str],
    since: date | None,
    until: date | None,
) -> bool:
    """An entry passes the filters: one of the kinds and agencies asked for (any, when none is asked for)
    and on or between the dates (UTC days, both ends included)."""
    if kinds and kind not in kinds:
        return False
    if agencies and agency not in agencies:
        return False
    day = at.date()
    return (since is None or day >= since) and (until is None or day <= until)
