"""Safeguarding flags are derived from the record by a pure function (active while the fact holds, inactive
with an end once it stops), and export as FHIR R4 Flags; the care team exports as a CareTeam whose leavers
keep their period; the handover is a `collection` Bundle without a Patient."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careteam import CareTeam
from fhir.resources.R4B.flag import Flag

from schemas.enums import CareTeamRole
from services.people.fhir import CARE_TEAM_ROLE, CareTeamFacts, Member, care_team
from services.transfers.fhir import contents, handover, searchset
from services.transfers.flags import FlagFacts, FlagState, MissFact, StatusChange, TransferFact, derive, flag

REF = "YP-7KQ2M-9XW4T"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
REGISTERED = NOW - timedelta(days=400)


def facts(**changes: object) -> FlagFacts:
    base: dict[str, object] = {
        "ref": REF,
        "registered_at": REGISTERED,
        "statuses": frozenset(),
        "coordinator_since": NOW - timedelta(days=300),
    }
    return FlagFacts(**(base | changes))  # type: ignore[arg-type]


def summary(found: list[FlagState]) -> list[tuple[str, bool, datetime, datetime | None]]:
    return [(f.code, f.active, f.start, f.end) for f in found]


def test_a_quiet_record_raises_no_flag() -> None:
    assert derive(facts(), now=NOW) == []


def test_statutory_statuses_are_flagged_for_each_spell_from_the_status_changes() -> None:
    added = NOW - timedelta(days=100)
    removed = NOW - timedelta(days=10)
    changes = [
        StatusChange(added, frozenset({"cin"}), frozenset({"cin", "cp_plan"})),
        StatusChange(removed, frozenset({"cin", "cp_plan"}), frozenset({"cp_plan", "lac", "early_help"})),
    ]
    found = derive(
        facts(statuses=frozenset({"cp_plan", "lac", "early_help"}), status_changes=changes), now=NOW
    )
    assert summary(found) == [
        ("cp-plan", True, added, None),
        ("lac", True, removed, None),
        ("cin", False, REGISTERED, removed),  # held since registration, ended by the second change
    ]


def test_no_care_coordinator_is_active_until_one_joins_and_then_shows_when_it_ended() -> None:
    left = NOW - timedelta(days=20)
    [active] = derive(facts(coordinator_since=None, coordinator_left=left), now=NOW)
    assert (active.code, active.active, active.start, active.end) == ("no-care-coordinator", True, left, None)
    seen, joined = NOW - timedelta(days=15), NOW - timedelta(days=5)
    [ended] = derive(facts(coordinator_since=joined, no_coordinator_seen=[seen]), now=NOW)
    assert (ended.active, ended.start, ended.end) == (False, seen, joined)


def test_a_repeat_attendance_pattern_stays_active_for_the_rule_window_then_ends() -> None:
    first, second = NOW - timedelta(days=60), NOW - timedelta(days=30)
    [state] = derive(facts(repeat_attendances=[first, second], repeat_window_days=84), now=NOW)
    assert (state.active, state.start, state.end) == (True, first, None)
    later = NOW + timedelta(days=60)
    [state] = derive(facts(repeat_attendances=[first, second], repeat_window_days=84), now=later)
    assert (state.active, state.end) == (False, second + timedelta(days=84))


def test_a_transfer_is_flagged_while_in_progress_and_an_ended_one_keeps_its_period() -> None:
    opened, ended = NOW - timedelta(days=40), NOW - timedelta(days=30)
    transfers = [
        TransferFact(2, "CEC", "MAN", "open", NOW - timedelta(days=3), None),
        TransferFact(1, "MAN", "CEC", "completed", opened, ended),
    ]
    found = derive(facts(transfers=transfers), now=NOW)
    assert summary(found) == [
        ("transfer-in-progress", True, NOW - timedelta(days=3), None),
        ("transfer-in-progress", False, opened, ended),
    ]
    assert "CEC to MAN" in found[0].text


def test_a_standing_was_not_brought_is_flagged_and_a_withdrawn_or_old_one_is_not_active() -> None:
    missed = NOW - timedelta(days=7)
    [state] = derive(facts(misses=[MissFact(missed, "was_not_brought", None)]), now=NOW)
    assert (state.code, state.active, state.start) == ("was-not-brought", True, missed)
    withdrawn = NOW - timedelta(days=1)
    [state] = derive(facts(misses=[MissFact(missed, "was_not_brought", withdrawn)]), now=NOW)
    assert (state.active, state.end) == (False, withdrawn)
    assert derive(facts(misses=[MissFact(missed, "did_not_attend", None)]), now=NOW) == []
    old = NOW - timedelta(days=200)
    [state] = derive(facts(misses=[MissFact(old, "was_not_brought", None)], missed_window_days=90), now=NOW)
    assert (state.active, state.end) == (False, old + timedelta(days=90))


def test_flags_export_as_fhir_flags_about_the_ref_with_their_period() -> None:
    found = derive(facts(statuses=frozenset({"lac"}), coordinator_since=None), now=NOW)
    resources = [flag(s, ref=REF) for s in found]
    parsed = [Flag.model_validate(r) for r in resources]
    assert [(f.status, f.code.coding[0].code) for f in parsed] == [
        ("active", "lac"),
        ("active", "no-care-coordinator"),
    ]
    assert all(f.subject.identifier.value == REF and f.period.end is None for f in parsed)
    assert parsed[1].category[1].coding[0].code == "admin"
    assert len({r["id"] for r in resources}) == 2
    bundle = Bundle.model_validate(searchset(resources, now=NOW))
    assert (bundle.type, bundle.total, bundle.entry[0].search.mode) == ("searchset", 2, "match")


def member(username: str, role: CareTeamRole, team: str, left: datetime | None = None) -> Member:
    joined = NOW - timedelta(days=50)
    return Member(username, username.title(), role, team, f"Team {team}", "social_care", joined, left)


def test_the_care_team_lists_current_members_then_leavers_with_period_end() -> None:
    left = NOW - timedelta(days=2)
    members = [
        member("camhs1", CareTeamRole.camhs, "CAMHS", left=left),
        member("jsmith", CareTeamRole.lead_social_worker, "CEC-CSC"),
        member("nurse", CareTeamRole.care_coordinator, "RBT-LIA"),
    ]
    resource = care_team(CareTeamFacts(REF, members))
    parsed = CareTeam.model_validate(resource)
    assert (parsed.status, parsed.subject.identifier.value) == ("active", REF)
    rows = [(p.member.identifier.value, p.role[0].coding[0].code, p.period.end) for p in parsed.participant]
    assert rows == [
        ("jsmith", "lead_social_worker", None),
        ("nurse", "care_coordinator", None),
        ("camhs1", "camhs", left),
    ]
    assert parsed.participant[0].role[0].coding[0].system == CARE_TEAM_ROLE
    assert parsed.participant[0].onBehalfOf.identifier.value == "CEC-CSC"
    assert [o.identifier.value for o in parsed.managingOrganization] == ["CEC-CSC", "RBT-LIA"]  # not CAMHS


def test_the_handover_is_a_collection_without_a_patient() -> None:
    team = care_team(CareTeamFacts(REF, [member("jsmith", CareTeamRole.lead_social_worker, "CEC-CSC")]))
    flags = [flag(s, ref=REF) for s in derive(facts(coordinator_since=None), now=NOW)]
    bundle = handover([team, *flags], ref=REF, now=NOW)
    parsed = Bundle.model_validate(bundle)
    assert (parsed.type, parsed.timestamp) == ("collection", NOW)
    assert contents(bundle) == [f"CareTeam/care-team-{REF}", "Flag/flag-no-care-coordinator"]
    assert parsed.entry[0].fullUrl == f"https://liaison.example/fhir/CareTeam/care-team-{REF}"
    assert "Patient/" not in str(bundle)
