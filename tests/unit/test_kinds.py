"""Every kind of notification has one complete entry in the registry (schemas/kinds.py), and its message,
label and chase all come from it."""

from __future__ import annotations

import pytest

from schemas.chasing import chased_kinds, clock_of, ladder_minutes
from schemas.enums import NotificationKind
from schemas.kinds import CHASERS, KINDS, NEVER, URGENT_LADDER, VOIDABLE, WALL_CLOCK, WORKING_CLOCK, entry
from worker.messages import notification_message

REF = "YP-7Q2K9"
LADDERS = set(ladder_minutes([30, 120, 240], {})) | {NEVER}


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_every_kind_has_a_complete_entry(kind: NotificationKind) -> None:
    found = KINDS.get(kind)
    assert found is not None, f"{kind} has no entry in schemas/kinds.py"
    assert found.kind == kind
    for part in ("label", "happened", "asked"):
        assert getattr(found, part).strip(), f"{kind}: no {part}"
    name, path = found.link
    assert name.strip() and path.strip() and "/" not in path
    assert found.ladder in LADDERS, f"{kind}: ladder {found.ladder!r} is not a named ladder"
    assert found.clock in (WALL_CLOCK, WORKING_CLOCK)
    assert found.voided_when is None or found.voided_when.strip()
    assert not (found.chaser and found.ladder != NEVER), "a chaser is never chased"


def test_the_registry_has_no_entry_for_anything_else_and_labels_are_one_each() -> None:
    assert set(KINDS) == set(NotificationKind)
    labels = [e.label for e in KINDS.values()]
    assert len(labels) == len(set(labels))
    assert NotificationKind.closure.label == "Closure decided"  # the email said so; the label now too


@pytest.mark.parametrize("kind", [k for k in NotificationKind if k != NotificationKind.attendance])
def test_each_kind_is_worded_by_its_own_entry(kind: NotificationKind) -> None:
    message = notification_message(
        kind=str(kind), notification_id=5, young_person_ref=REF, public_base_url="https://liaison.example.org"
    )
    words = entry(kind)
    assert words.label in message.subject
    assert words.happened in message.text and words.asked in message.text
    assert entry(NotificationKind.attendance).asked not in message.text  # never an attendance alert's words
    assert message.text.endswith(f"/api/v1/young-people/{REF}/{words.link[1]}\n")


def test_a_string_that_names_no_kind_gets_no_words() -> None:
    with pytest.raises(ValueError):
        notification_message(
            kind="something_new", notification_id=5, young_person_ref=REF, public_base_url="https://x.org"
        )


def test_the_default_chase_is_the_entries() -> None:
    chased = chased_kinds(ladder_minutes([30, 120, 240], {}), {})
    assert set(chased) == {k for k, e in KINDS.items() if e.ladder != NEVER}
    assert chased[NotificationKind.attendance] == [30, 120, 240]  # KINDS[...].ladder == URGENT_LADDER
    assert KINDS[NotificationKind.attendance].ladder == URGENT_LADDER
    assert {k for k in NotificationKind if clock_of(k, {}) == WALL_CLOCK} == {
        NotificationKind.attendance,
        NotificationKind.plan_issued,
    }
    assert CHASERS == {NotificationKind.reminder, NotificationKind.escalation}
    assert CHASERS <= VOIDABLE  # voided with the alert they chase
