"""The audit trail's hash chain (services/kernel/audit/rules.py): an untouched chain verifies; any change to a
sealed
event, any deletion, insertion or reordering of events or seals is detected; late events are reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.kernel.audit import rules

# the machine is shared: generous deadlines rather than flaky ones
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
GRACE = timedelta(minutes=15)

texts = st.text(min_size=0, max_size=12)
times = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 11, 28, 11, 0), timezones=st.just(UTC)
)
details = st.dictionaries(st.sampled_from(["version", "username", "kind"]), st.integers() | texts, max_size=3)


events_ = st.fixed_dictionaries(
    {
        "id": st.integers(1, 10_000),
        "at": times,
        "actor_user_id": st.none() | st.integers(1, 99),
        "actor_username": texts,
        "actor_role": st.sampled_from(["admin", "social_worker", "system"]),
        "young_person_ref": st.none() | texts,
        "action": texts,
        "outcome": st.sampled_from(["allowed", "denied"]),
        "via": st.sampled_from(["api", "bot", "worker", "cli"]),
        "detail": details,
    }
)


def trails(min_size: int = 1) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Events with distinct ids, in a seal order that need not be id order (late commits)."""
    return st.lists(events_, min_size=min_size, max_size=8, unique_by=lambda e: e["id"])


def sealed(events: list[dict[str, Any]]) -> tuple[list[rules.Seal], dict[int, dict[str, Any]]]:
    return rules.chain(0, rules.GENESIS, events), {e["id"]: e for e in events}


def check(seals: list[rules.Seal], by_id: dict[int, dict[str, Any]]) -> rules.Verification:
    return rules.verify(seals, by_id, now=NOW, grace=GRACE)


@relaxed
@given(trails(min_size=0))
def test_an_untouched_chain_verifies(events: list[dict[str, Any]]) -> None:
    seals, by_id = sealed(events)
    result = check(seals, by_id)
    assert result.ok and result.sealed == len(events)
    assert result.head_hash == (seals[-1].hash if seals else rules.GENESIS)


@relaxed
@given(trails(min_size=2), st.data())
def test_a_chain_sealed_in_runs_is_the_same_chain(events: list[dict[str, Any]], data: st.DataObject) -> None:
    cut = data.draw(st.integers(1, len(events) - 1))
    first = rules.chain(0, rules.GENESIS, events[:cut])
    second = rules.chain(first[-1].seq, first[-1].hash, events[cut:])
    assert first + second == rules.chain(0, rules.GENESIS, events)


CHANGES: dict[str, Any] = {
    "at": lambda v: v + timedelta(microseconds=1),
    "actor_user_id": lambda v: (v or 0) + 1,
    "actor_username": lambda v: v + "x",
    "actor_role": lambda v: v + "x",
    "young_person_ref": lambda v: (v or "") + "x",
    "action": lambda v: v + "x",
    "outcome": lambda v: v + "x",
    "via": lambda v: v + "x",
    "detail": lambda v: {**v, "tampered": True},
}


@relaxed
@given(trails(), st.data(), st.sampled_from(sorted(CHANGES)))
def test_any_change_to_any_field_of_any_sealed_event_is_found(
    events: list[dict[str, Any]], data: st.DataObject, name: str
) -> None:
    seals, by_id = sealed(events)
    victim = data.draw(st.sampled_from(seals))
    by_id[victim.event_id] = {**by_id[victim.event_id], name: CHANGES[name](by_id[victim.event_id][name])}
    result = check(seals, by_id)
    assert not result.ok
    assert result.broken is not None and result.broken.seq == victim.seq
    assert result.broken.event_id == victim.event_id


@relaxed
@given(trails(), st.data())
def test_a_deleted_event_is_found(events: list[dict[str, Any]], data: st.DataObject) -> None:
    seals, by_id = sealed(events)
    victim = data.draw(st.sampled_from(seals))
    del by_id[victim.event_id]
    result = check(seals, by_id)
    assert result.broken is not None and result.broken.seq == victim.seq
    assert "no longer exists" in result.broken.reason


@relaxed
@given(trails(), st.data())
def test_a_deleted_seal_is_found(events: list[dict[str, Any]], data: st.DataObject) -> None:
    """Removing a link breaks the next one; removing the last leaves its event unsealed, then overdue."""
    seals, by_id = sealed(events)
    index = data.draw(st.integers(0, len(seals) - 1))
    removed = seals.pop(index)
    result = check(seals, by_id)
    assert not result.ok
    if index < len(seals):
        assert result.broken is not None and result.broken.seq == removed.seq + 1
    else:
        assert result.broken is None and result.overdue_unsealed == [removed.event_id]


@relaxed
@given(trails(), st.data())
def test_an_inserted_event_or_seal_is_found(events: list[dict[str, Any]], data: st.DataObject) -> None:
    seals, by_id = sealed(events)
    index = data.draw(st.integers(0, len(seals) - 1))
    forged_id = max(by_id) + 1
    by_id[forged_id] = {**by_id[seals[index].event_id], "id": forged_id}
    # the forger links the new event in after seal `index - 1` and renumbers the rest
    previous = seals[index - 1].hash if index else rules.GENESIS
    forged = rules.Seal(seq=index + 1, event_id=forged_id, hash=rules.link_hash(previous, by_id[forged_id]))
    renumbered = [rules.Seal(seq=s.seq + 1, event_id=s.event_id, hash=s.hash) for s in seals[index:]]
    result = check([*seals[:index], forged, *renumbered], by_id)
    assert result.broken is not None and result.broken.seq == index + 2


@relaxed
@given(trails(min_size=2), st.data())
def test_reordering_events_or_seals_is_found(events: list[dict[str, Any]], data: st.DataObject) -> None:
    seals, by_id = sealed(events)
    i, j = data.draw(
        st.lists(st.integers(0, len(seals) - 1), min_size=2, max_size=2, unique=True).map(sorted)
    )
    swapped_events = list(seals)
    swapped_events[i] = rules.Seal(seq=seals[i].seq, event_id=seals[j].event_id, hash=seals[i].hash)
    swapped_events[j] = rules.Seal(seq=seals[j].seq, event_id=seals[i].event_id, hash=seals[j].hash)
    result = check(swapped_events, by_id)
    assert result.broken is not None and result.broken.seq == i + 1
    swapped_hashes = list(seals)
    swapped_hashes[i] = rules.Seal(seq=seals[i].seq, event_id=seals[i].event_id, hash=seals[j].hash)
    swapped_hashes[j] = rules.Seal(seq=seals[j].seq, event_id=seals[j].event_id, hash=seals[i].hash)
    assert check(swapped_hashes, by_id).broken is not None


def test_events_not_yet_sealed_are_reported_only_after_the_grace_period() -> None:
    old = {"id": 1, "at": NOW - GRACE - timedelta(seconds=1)}
    new = {"id": 2, "at": NOW - GRACE + timedelta(seconds=1)}
    result = check([], {1: old, 2: new})
    assert result.broken is None and result.overdue_unsealed == [1] and not result.ok


def test_the_canonical_form_is_fixed() -> None:
    """Sealing and verifying on different machines or databases must agree byte for byte."""
    event = {
        "id": 7,
        "at": datetime(2026, 11, 28, 10, 30, tzinfo=UTC),
        "actor_user_id": None,
        "actor_username": "liaison-system",
        "actor_role": "system",
        "young_person_ref": "YP-ABC",
        "action": "notification.delivered",
        "outcome": "allowed",
        "via": "worker",
        "detail": {"z": 1, "a": "é"},
        "unhashed": "ignored",
    }
    assert rules.canonical(event) == (
        '{"action":"notification.delivered","actor_role":"system","actor_user_id":null,'
        '"actor_username":"liaison-system","at":"2026-11-28T10:30:00.000000Z","detail":{"a":"é","z":1},'
        '"id":7,"outcome":"allowed","via":"worker","young_person_ref":"YP-ABC"}'
    )
    assert rules.link_hash(rules.GENESIS, event) == rules.link_hash(rules.GENESIS, dict(event))
