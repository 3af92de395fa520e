"""What each kind of notification other than an attendance alert says: its title, what happened and what
is asked of the reader, and where the reader goes next. Plain words only: messages name the young person
by the case ref alone (`worker/messages.py` builds them)."""

from __future__ import annotations

# What each other kind of notification asks of its reader: (subject, what happened, what to do).
OTHER_KINDS = {
    "gateway": (
        "Gateway referral",
        "A needs assessment shows a HIGH likelihood of Tier 4 admission, placement breakdown or custody,\n"
        "and a Gateway (Level 1) referral has been made.",
        "Please acknowledge, then read the assessment, its explanation and the risk formulation in liaison\n"
        "before the Gateway meeting. Check whether a Care, Education and Treatment Review is prompted.",
    ),
    "resolution": (
        "Resolution request",
        "A Gateway referral has been raised to a Resolution (Level 2) request.",
        "Please acknowledge, then read the reason and the assessment in liaison.",
    ),
    "need_overdue": (
        "Unmet need overdue",
        "An action on the unmet-needs register is past its due date.",
        "Please acknowledge, then check the register in liaison with the owning team.",
    ),
    "repeat_attendance": (
        "Repeat attendances",
        "A young person has attended acute hospital settings repeatedly within the period your local\n"
        "authority's frequent-attender rule sets.",
        "Please acknowledge, then read the chronology in liaison and make sure a multi-agency meeting,\n"
        "a re-score of the needs assessment and a Gateway referral are considered.",
    ),
    "closure_proposed": (
        "Closure proposed",
        "A service proposes to end its involvement with a young person on your caseload.",
        "Please acknowledge, then answer the consultation in liaison (agree or object, with your reasons)\n"
        "before the service closes.",
    ),
    "closure": (
        "Closure decided",
        "A decision has been made on a proposal to end a service's involvement.",
        "Please acknowledge, then read the decision in liaison and check that the plan still has\n"
        "everyone it needs.",
    ),
    "attendance_cancelled": (
        "Attendance cancelled",
        "The hospital has cancelled an attendance you were alerted about (recorded in error, or the\n"
        "visit did not go ahead).",
        "Please acknowledge, then check the chronology in liaison; no action is needed for that visit.",
    ),
    "rescore": (
        "Re-score the needs assessment",
        "Something has changed (an attendance, a move, a review, or the last assessment is old).",
        "Please acknowledge, then review and re-score the needs assessment in liaison.",
    ),
    "plan_issued": (
        "Discharge plan issued",
        "A multi-agency discharge plan has been issued, and you are named in it.",
        "Please acknowledge that you have received it, then read the plan in liaison: your part in it, the\n"
        "follow-up appointments and the crisis plan.",
    ),
    "was_not_brought": (
        "Was not brought",
        "An appointment was missed: the young person was not brought (they rely on others to get them\n"
        "there). You are told because of their status on the care team or because you coordinate care.",
        "Please acknowledge, then find out why and whether the child is safe, agree how to re-offer the\n"
        "appointment and review the plan. The care coordinator (or, where none is named, the lead social\n"
        "worker) is asked to re-score the needs assessment.",
    ),
    "did_not_attend": (
        "Did not attend",
        "An appointment was missed: the young person, judged competent to decide, chose not to go.",
        "Please acknowledge, then explore what got in the way, re-offer the appointment and review the\n"
        "plan. The care coordinator (or, where none is named, the lead social worker) is asked to re-score\n"
        "the needs assessment.",
    ),
    "missed_appointments": (
        "Repeated missed appointments",
        "A young person has missed appointments repeatedly within the period your service sets\n"
        "(was not brought or did not attend), the latest just now.",
        "Please acknowledge, then read the missed appointments in liaison and discuss them with the care\n"
        "team and the safeguarding lead. Nobody should close for non-attendance without a multi-agency\n"
        "discussion and a fresh risk review. The care coordinator (or, where none is named, the lead\n"
        "social worker) is asked to re-score the needs assessment.",
    ),
    "missed_appointment_withdrawn": (
        "Missed appointment withdrawn",
        "A missed appointment you were told about (was not brought, did not attend, or the repeated-misses\n"
        "threshold it counted towards) has been withdrawn: it is no longer recorded as missed.",
        "No action is needed for that miss, and its reminders stop. Please acknowledge, then check the\n"
        "missed appointments in liaison: the others still stand.",
    ),
    "plan_review_due": (
        "Care plan review due",
        "The care plan has passed its review date.",
        "Please acknowledge, then review the care plan with the young person and the care team, and record\n"
        "the review in liaison.",
    ),
    "transfer_opened": (
        "Transfer between local authorities",
        "A young person you work with, or whose case your local authority holds or is to receive, has moved\n"
        "between local authorities (where they live, or which authority is responsible). A transfer has\n"
        "been opened; the sending authority keeps responsibility until the receiving one accepts.",
        "Please acknowledge, then read the transfer in liaison. The receiving authority's safeguarding lead\n"
        "or a team manager accepts or declines it; everyone works through the handover checklist.",
    ),
    "transfer_accepted": (
        "Transfer accepted",
        "The receiving local authority has accepted a transfer of a young person you work with.",
        "Please acknowledge, then check the handover checklist in liaison for anything of yours that is\n"
        "still outstanding.",
    ),
    "transfer_declined": (
        "Transfer declined",
        "The receiving local authority has declined a transfer; the sending authority keeps responsibility.",
        "Please acknowledge, then read the reason in liaison and agree the next step between the two\n"
        "authorities.",
    ),
    "transfer_completed": (
        "Transfer completed",
        "The handover of a young person you work with to another local authority is complete.",
        "Please acknowledge, then check the care team in liaison is right for where the young person is now.",
    ),
    "transfer_withdrawn": (
        "Transfer withdrawn",
        "A transfer between local authorities has been withdrawn (by the sending authority, or because the\n"
        "young person has moved again).",
        "Please acknowledge, then read the chronology in liaison.",
    ),
    "transfer_overdue": (
        "Transfer not accepted",
        "A transfer between local authorities has not been accepted or declined within the time set. The\n"
        "sending authority still holds responsibility.",
        "Please acknowledge, then make sure the receiving authority decides today, and that the young\n"
        "person is not left between the two authorities.",
    ),
}

# Where each kind's reader goes next (the assessments, unless said otherwise).
LINKS = {
    "plan_issued": ("Plans", "plans"),
    "plan_review_due": ("Care plan", "care-plan"),
    "was_not_brought": ("Missed appointments", "missed-appointments"),
    "did_not_attend": ("Missed appointments", "missed-appointments"),
    "missed_appointments": ("Missed appointments", "missed-appointments"),
    "missed_appointment_withdrawn": ("Missed appointments", "missed-appointments"),
    **{kind: ("Transfers", "transfers") for kind in OTHER_KINDS if kind.startswith("transfer_")},
}
