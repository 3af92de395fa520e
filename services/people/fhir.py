"""FHIR R4 export of a young person's care team as a `CareTeam`, and the references every liaison export
shares. Pure: plain data in, a dict checked with the `fhir.resources` R4B model out.

Nothing is a Patient resource: the young person is referred to by their opaque `ref` as an identifier
(`subject`), never by NHS number, name or birth date. Staff are Practitioner references by username and
teams Organization references by team code, both as identifiers with a display: liaison holds no
Practitioner or Organization resources to point at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.careteam import CareTeam

from schemas.enums import CareTeamRole
from services.kernel.fhir import BASE, instant, subject

__all__ = ["CareTeamFacts", "Member", "care_team", "staff", "team"]

STAFF_SYSTEM = "https://liaison.example/Id/staff-username"
TEAM_SYSTEM = "https://liaison.example/Id/team-code"
CARE_TEAM_SYSTEM = "https://liaison.example/Id/care-team"
CARE_TEAM_ROLE = f"{BASE}/CodeSystem/care-team-role"
AGENCY = f"{BASE}/StructureDefinition/agency"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def staff(username: str, display: str | None = None) -> dict[str, Any]:
    return {
        "type": "Practitioner",
        "identifier": {"system": STAFF_SYSTEM, "value": username},
        "display": display or username,
    }


def team(code: str, name: str | None = None) -> dict[str, Any]:
    return {
        "type": "Organization",
        "identifier": {"system": TEAM_SYSTEM, "value": code},
        "display": name or code,
    }


def care_team_identifier(ref: str) -> dict[str, str]:
    return {"system": CARE_TEAM_SYSTEM, "value": ref}


@dataclass(frozen=True)
class Member:
    """One person's part in the care team: `left` is set once they have left it (a closure)."""

    username: str
    display_name: str
    role: CareTeamRole
    team_code: str
    team_name: str
    agency: str
    joined: datetime | None
    left: datetime | None = None


@dataclass(frozen=True)
class CareTeamFacts:
    ref: str
    members: Sequence[Member]


def role_concept(role: CareTeamRole) -> dict[str, Any]:
    return {"coding": [{"system": CARE_TEAM_ROLE, "code": role.value, "display": role.label}]}


def _participant(member: Member) -> dict[str, Any]:
    period: dict[str, str] = {}
    if member.joined is not None:
        period["start"] = instant(member.joined)
    if member.left is not None:
        period["end"] = instant(member.left)
    found: dict[str, Any] = {
        "role": [role_concept(member.role)],
        "member": staff(member.username, member.display_name),
        "onBehalfOf": team(member.team_code, member.team_name),
        "extension": [{"url": AGENCY, "valueCode": member.agency}],
    }
    if period:
        found["period"] = period
    return found


def care_team(facts: CareTeamFacts) -> dict[str, Any]:
    """The care team as an R4 CareTeam: current members (no period end) first, then those who have left
    (period end = when their service's closure was decided); managing organisations = the current
    members' teams."""
    current = [m for m in facts.members if m.left is None]
    left = sorted(
        (m for m in facts.members if m.left is not None), key=lambda m: instant(m.left or m.joined or EPOCH)
    )
    teams = {m.team_code: m.team_name for m in current}
    resource: dict[str, Any] = {
        "resourceType": "CareTeam",
        "id": f"care-team-{facts.ref}",
        "identifier": [care_team_identifier(facts.ref)],
        "status": "active" if current else "inactive",
        "name": f"Care team of {facts.ref}",
        "subject": subject(facts.ref),
    }
    starts = [m.joined for m in facts.members if m.joined is not None]
    if starts:
        resource["period"] = {"start": instant(min(starts))}
    participants = [_participant(m) for m in (*current, *left)]
    if participants:
        resource["participant"] = participants
    if teams:
        resource["managingOrganization"] = [team(code, name) for code, name in sorted(teams.items())]
    CareTeam.model_validate(resource)
    return resource
