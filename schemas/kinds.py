"""One home per kind of notification: what people call it, what its message says and asks, where the reader
goes next, how it is chased by default, and whether (and when) it is voided.

Pure data over the closed vocabulary (`schemas.enums.NotificationKind`), with no service imports, so that
the services, the worker and the bot all read the same entry. Messages name the young person by the case
ref alone (`worker/messages.py` lays them out). A deployment changes the ladder and clock of a kind through
ESCALATION_KINDS and ESCALATION_CLOCKS (`schemas/settings.py`); the rules that check and apply them are in
`schemas/chasing.py` and `services/notifications/chase_rules.py`. `tests/unit/test_kinds.py` walks every
kind and fails when any part of its entry is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from schemas.enums import NotificationKind

# Ladder names (minutes per step: `schemas/chasing.py`) and clocks; docs/escalation.md says why, kind by kind.
URGENT_LADDER = "urgent"  # ESCALATION_REMINDER/MANAGER/LEAD_MINUTES: 30 minutes, 2 hours, 4 hours
SAME_DAY = "same_day"
DAILY = "daily"
NEVER = "never"  # not chased
WALL_CLOCK = "wall"  # 24/7
WORKING_CLOCK = "working"  # working hours on working days, not bank holidays
ASSESSMENTS = ("Assessments", "assessments")
MISSED = ("Missed appointments", "missed-appointments")
TRANSFERS = ("Transfers", "transfers")


@dataclass(frozen=True)
class KindEntry:
    """Everything one kind of notification is.

    `label` is what people call it: the chronology, the bot and the message's title and subject all say it
    (an attendance alert's own layout says "Acute attendance"). `happened` and `asked` are the message's
    body: what happened ("{ref}" stands for the case ref), and what it asks of the reader. `link` is
    where the reader goes next: (name, path under /api/v1/young-people/<ref>/). `ladder` and `clock` are
    its default chase (`NEVER`: not chased). `voided_when` says what voids it, in words: the producer of
    the event it tells of calls `services.notifications.events.void` when that happens, and a voided
    notification is no longer chased; None when nothing voids it. `chaser`: a reminder or escalation,
    voided with the alert it chases and never chased itself. `key_prefix` marks a kind told of another
    event's key (a re-score prompt of an attendance: "rescore:"), so its recipients are its own."""

    kind: NotificationKind
    label: str
    happened: str
    asked: str
    link: tuple[str, str]
    ladder: str
    clock: str
    voided_when: str | None
    chaser: bool = False
    key_prefix: str = ""

    @property
    def voidable(self) -> bool:
        return self.voided_when is not None


_ENTRIES = (
    KindEntry(
        NotificationKind.attendance,
        "Attendance alert",
        "A young person on your caseload ({ref}) has attended an acute hospital setting.",
        "Please acknowledge this alert so the hospital and the care team know it has been received,\n"
        "then review the chronology and the discharge plan in liaison.\n"
        "The care coordinator (or, where none is named, the lead social worker) is asked to re-score\n"
        "the needs assessment.",
        ("Chronology", "chronology"),
        URGENT_LADDER,  # a crisis now: the care team must know today
        WALL_CLOCK,  # in an acute setting now: discharge does not wait for Monday
        "the hospital cancels the attendance (recorded in error)",
    ),
    KindEntry(
        NotificationKind.gateway,
        "Gateway referral",
        "A needs assessment shows a HIGH likelihood of Tier 4 admission, placement breakdown or custody,\n"
        "and a Gateway (Level 1) referral has been made.",
        "Please acknowledge, then read the assessment, its explanation and the risk formulation in liaison\n"
        "before the Gateway meeting. Check whether a Care, Education and Treatment Review is prompted.",
        ASSESSMENTS,
        DAILY,  # HIGH: the care team prepares for the Gateway meeting
        WORKING_CLOCK,
        "the referral is resolved",
    ),
    KindEntry(
        NotificationKind.resolution,
        "Resolution request",
        "A Gateway referral has been raised to a Resolution (Level 2) request.",
        "Please acknowledge, then read the reason and the assessment in liaison.",
        ASSESSMENTS,
        DAILY,
        WORKING_CLOCK,
        "the referral is resolved",
    ),
    KindEntry(
        NotificationKind.need_overdue,
        "Unmet need overdue",
        "An action on the unmet-needs register is past its due date.",
        "Please acknowledge, then check the register in liaison with the owning team.",
        ASSESSMENTS,
        NEVER,
        WORKING_CLOCK,
        None,
    ),
    KindEntry(
        NotificationKind.rescore,
        "Re-score the needs assessment",
        "Something has changed (an attendance, a move, a review, or the last assessment is old).",
        "Please acknowledge, then review and re-score the needs assessment in liaison.",
        ASSESSMENTS,
        DAILY,
        WORKING_CLOCK,
        None,
        key_prefix="rescore:",
    ),
    KindEntry(
        NotificationKind.repeat_attendance,
        "Repeat attendances",
        "A young person has attended acute hospital settings repeatedly within the period your local\n"
        "authority's frequent-attender rule sets.",
        "Please acknowledge, then read the chronology in liaison and make sure a multi-agency meeting,\n"
        "a re-score of the needs assessment and a Gateway referral are considered.",
        ASSESSMENTS,
        DAILY,  # the pattern the review found nobody saw
        WORKING_CLOCK,
        None,
    ),
    KindEntry(
        NotificationKind.closure_proposed,
        "Closure proposed",
        "A service proposes to end its involvement with a young person on your caseload.",
        "Please acknowledge, then answer the consultation in liaison (agree or object, with your reasons)\n"
        "before the service closes.",
        ASSESSMENTS,
        DAILY,  # the consultation must be answered before closing
        WORKING_CLOCK,
        "the closure is decided (closed or kept open)",
    ),
    KindEntry(
        NotificationKind.closure,
        "Closure decided",
        "A decision has been made on a proposal to end a service's involvement.",
        "Please acknowledge, then read the decision in liaison and check that the plan still has\n"
        "everyone it needs.",
        ASSESSMENTS,
        NEVER,
        WORKING_CLOCK,
        None,
    ),
    KindEntry(
        NotificationKind.reminder,
        "Reminder",
        "You were sent this and nobody has acknowledged it yet.",
        "Please acknowledge it now; if it is not\nacknowledged, your team manager will be told.",
        ASSESSMENTS,
        NEVER,
        WORKING_CLOCK,
        "with the alert it repeats",
        chaser=True,
    ),
    KindEntry(
        NotificationKind.escalation,
        "Escalation",
        "A notification about a young person has not been acknowledged.",
        "Please make sure it is picked up, then acknowledge this escalation.",
        ASSESSMENTS,
        NEVER,
        WORKING_CLOCK,
        "with the alert it is about",
        chaser=True,
    ),
    KindEntry(
        NotificationKind.plan_issued,
        "Discharge plan issued",
        "A multi-agency discharge plan has been issued, and you are named in it.",
        "Please acknowledge that you have received it, then read the plan in liaison: your part in it, the\n"
        "follow-up appointments and the crisis plan.",
        ("Plans", "plans"),
        DAILY,  # NICE QS159: everyone named in the plan has it
        WALL_CLOCK,  # the 72 h (or 48 h) first contact after discharge runs 24/7
        None,
    ),
    KindEntry(
        NotificationKind.plan_review_due,
        "Care plan review due",
        "The care plan has passed its review date.",
        "Please acknowledge, then review the care plan with the young person and the care team, and record\n"
        "the review in liaison.",
        ("Care plan", "care-plan"),
        NEVER,
        WORKING_CLOCK,
        None,
    ),
    KindEntry(
        NotificationKind.attendance_cancelled,
        "Attendance cancelled",
        "The hospital has cancelled an attendance you were alerted about (recorded in error, or the\n"
        "visit did not go ahead).",
        "Please acknowledge, then check the chronology in liaison; no action is needed for that visit.",
        ASSESSMENTS,
        NEVER,
        WORKING_CLOCK,
        None,
    ),
    KindEntry(
        NotificationKind.was_not_brought,
        "Was not brought",
        "An appointment was missed: the young person was not brought (they rely on others to get them\n"
        "there). You are told because of their status on the care team or because you coordinate care.",
        "Please acknowledge, then find out why and whether the child is safe, agree how to re-offer the\n"
        "appointment and review the plan. The care coordinator (or, where none is named, the lead social\n"
        "worker) is asked to re-score the needs assessment.",
        MISSED,
        SAME_DAY,  # act until satisfied the child is safe
        WORKING_CLOCK,
        "the miss is withdrawn (an arrival reported, the outcome corrected, the booking deleted)",
    ),
    KindEntry(
        NotificationKind.did_not_attend,
        "Did not attend",
        "An appointment was missed: the young person, judged competent to decide, chose not to go.",
        "Please acknowledge, then explore what got in the way, re-offer the appointment and review the\n"
        "plan. The care coordinator (or, where none is named, the lead social worker) is asked to re-score\n"
        "the needs assessment.",
        MISSED,
        DAILY,  # the young person's own choice: re-offer, explore barriers
        WORKING_CLOCK,
        "the miss is withdrawn (an arrival reported, the outcome corrected, the booking deleted)",
    ),
    KindEntry(
        NotificationKind.missed_appointments,
        "Repeated missed appointments",
        "A young person has missed appointments repeatedly within the period your service sets\n"
        "(was not brought or did not attend), the latest just now.",
        "Please acknowledge, then read the missed appointments in liaison and discuss them with the care\n"
        "team and the safeguarding lead. Nobody should close for non-attendance without a multi-agency\n"
        "discussion and a fresh risk review. The care coordinator (or, where none is named, the lead\n"
        "social worker) is asked to re-score the needs assessment.",
        MISSED,
        SAME_DAY,  # the threshold is met: a multi-agency discussion
        WORKING_CLOCK,
        "the latest miss is withdrawn",
    ),
    KindEntry(
        NotificationKind.missed_appointment_withdrawn,
        "Missed appointment withdrawn",
        "A missed appointment you were told about (was not brought, did not attend, or the repeated-misses\n"
        "threshold it counted towards) has been withdrawn: it is no longer recorded as missed.",
        "No action is needed for that miss, and its reminders stop. Please acknowledge, then check the\n"
        "missed appointments in liaison: the others still stand.",
        MISSED,
        NEVER,  # informational
        WORKING_CLOCK,
        None,
        key_prefix="withdrawn:",
    ),
    KindEntry(
        NotificationKind.transfer_opened,
        "Transfer between local authorities",
        "A young person you work with, or whose case your local authority holds or is to receive, has moved\n"
        "between local authorities (where they live, or which authority is responsible). A transfer has\n"
        "been opened; the sending authority keeps responsibility until the receiving one accepts.",
        "Please acknowledge, then read the transfer in liaison. The receiving authority's safeguarding lead\n"
        "or a team manager accepts or declines it; everyone works through the handover checklist.",
        TRANSFERS,
        DAILY,  # a move between authorities: nobody may drop the case
        WORKING_CLOCK,
        "the transfer is withdrawn",
    ),
    KindEntry(
        NotificationKind.transfer_accepted,
        "Transfer accepted",
        "The receiving local authority has accepted a transfer of a young person you work with.",
        "Please acknowledge, then check the handover checklist in liaison for anything of yours that is\n"
        "still outstanding.",
        TRANSFERS,
        NEVER,
        WORKING_CLOCK,
        None,
    ),
    KindEntry(
        NotificationKind.transfer_declined,
        "Transfer declined",
        "The receiving local authority has declined a transfer; the sending authority keeps responsibility.",
        "Please acknowledge, then read the reason in liaison and agree the next step between the two\n"
        "authorities.",
        TRANSFERS,
        NEVER,
        WORKING_CLOCK,
        None,
    ),
    KindEntry(
        NotificationKind.transfer_completed,
        "Transfer completed",
        "The handover of a young person you work with to another local authority is complete.",
        "Please acknowledge, then check the care team in liaison is right for where the young person is now.",
        TRANSFERS,
        NEVER,
        WORKING_CLOCK,
        None,
    ),
    KindEntry(
        NotificationKind.transfer_withdrawn,
        "Transfer withdrawn",
        "A transfer between local authorities has been withdrawn (by the sending authority, or because the\n"
        "young person has moved again).",
        "Please acknowledge, then read the chronology in liaison.",
        TRANSFERS,
        NEVER,
        WORKING_CLOCK,
        None,
    ),
    KindEntry(
        NotificationKind.transfer_overdue,
        "Transfer not accepted",
        "A transfer between local authorities has not been accepted or declined within the time set. The\n"
        "sending authority still holds responsibility.",
        "Please acknowledge, then make sure the receiving authority decides today, and that the young\n"
        "person is not left between the two authorities.",
        TRANSFERS,
        DAILY,
        WORKING_CLOCK,
        "the transfer is no longer waiting for acceptance (accepted, declined, completed or withdrawn)",
    ),
    KindEntry(
        NotificationKind.registration_elsewhere,
        "Registration attempted elsewhere",
        "Someone in another local authority tried to register, under its own responsibility, a young person\n"
        "your authority already holds. They were told only that the young person is known to your authority\n"
        "and to contact your duty team: not the case ref, and nothing of the record.",
        "Please acknowledge, then expect their call: the young person may have moved or be staying there.\n"
        "The access log in liaison shows who tried and when.",
        ("Access log", "access-log"),
        SAME_DAY,  # another authority is working with the child now: find out today
        WORKING_CLOCK,
        None,
    ),
    KindEntry(
        NotificationKind.member_left,
        "Care team member left",
        "A member of this young person's care team, or someone with an alert still open to them, has\n"
        "left liaison: their account is deactivated, so alerts and reminders no longer reach them.",
        "Please acknowledge, then name someone in their place on the care team, and pick up any alert\n"
        "still open to them (the young person's page in liaison lists open alerts).",
        ("Chronology", "chronology"),
        SAME_DAY,  # nobody holds that part of the plan until someone is named
        WORKING_CLOCK,
        None,
    ),
)

KINDS: MappingProxyType[NotificationKind, KindEntry] = MappingProxyType({e.kind: e for e in _ENTRIES})


def entry(kind: str) -> KindEntry:
    """The kind's entry; KeyError for a string that names no kind (never another kind's words)."""
    return KINDS[NotificationKind(kind)]


# The chasers themselves: never chased, whatever is configured.
CHASERS = frozenset(e.kind for e in _ENTRIES if e.chaser)
# Which kinds are chased by default, on which ladder; ESCALATION_KINDS overrides any of these.
DEFAULT_LADDERS = MappingProxyType({e.kind: e.ladder for e in _ENTRIES if e.ladder != NEVER})
# Which clock each kind's ladder counts by default; ESCALATION_CLOCKS overrides any of these.
DEFAULT_CLOCKS = MappingProxyType({e.kind: e.clock for e in _ENTRIES})
# Kinds a producer voids (and the chasers, voided with their alert).
VOIDABLE = frozenset(e.kind for e in _ENTRIES if e.voidable)
