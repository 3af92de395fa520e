"""What a hospital's coded reasons say about an attendance: pure rules shared by the HL7 v2 and FHIR
intakes, tested without I/O. Evidence adds up: SNOMED CT concepts (services/intake/snomed.py), ICD-10
chapters and words in the coded text each contribute; a reason nothing here recognises is `other`."""

from __future__ import annotations

import re
from collections.abc import Iterable

from schemas.enums import AttendanceReason
from services.intake.snomed import snomed_reasons

# Words in a coded reason's text (PV2-3, DG1-3/4) and the reason they are evidence of.
REASON_WORDS: tuple[tuple[re.Pattern[str], AttendanceReason], ...] = (
    (re.compile(r"self[- ]?harm|self[- ]?injur|cutting", re.I), AttendanceReason.self_harm),
    (re.compile(r"overdose|poisoning|ingestion", re.I), AttendanceReason.overdose),
    (
        re.compile(r"alcohol|intoxicat|substance|drug (?:use|misuse)|solvent", re.I),
        AttendanceReason.substance_use,
    ),
    (re.compile(r"injur|fracture|wound|laceration|assault|burn", re.I), AttendanceReason.injury),
    (
        re.compile(r"mental health|psychiatr|psychos|suicid|crisis|mental state", re.I),
        AttendanceReason.mental_health_crisis,
    ),
)
# ICD-10 chapters (DG1-3 with coding system I10) and the reason each is evidence of.
ICD10_PREFIXES: tuple[tuple[re.Pattern[str], AttendanceReason], ...] = (
    (re.compile(r"^X(?:6\d|7\d|8[0-4])"), AttendanceReason.self_harm),  # X60-X84 intentional self-harm
    (re.compile(r"^T(?:3[6-9]|4\d|50)"), AttendanceReason.overdose),  # T36-T50 poisoning by drugs
    (re.compile(r"^F1\d"), AttendanceReason.substance_use),  # F10-F19 psychoactive substance use
    (re.compile(r"^(?:S\d|T0\d|T1[0-4])"), AttendanceReason.injury),  # S00-T14 injuries
    (re.compile(r"^F(?:2\d|3\d|4[0-3])"), AttendanceReason.mental_health_crisis),
)


def reasons_from(
    texts: Iterable[str], codes: Iterable[str] = (), snomed: Iterable[str] = ()
) -> tuple[AttendanceReason, ...]:
    """The attendance reasons shown by coded reasons' texts, ICD-10 codes (`codes`) and SNOMED CT concept
    IDs (`snomed`); `other` when none. A SNOMED CT code not in the table adds nothing, so the text and any
    ICD-10 code of the same reason still count."""
    found: set[AttendanceReason] = snomed_reasons(tuple(snomed))
    for text in texts:
        found.update(reason for pattern, reason in REASON_WORDS if pattern.search(text))
    for code in codes:
        clean = code.replace(".", "").upper()
        found.update(reason for pattern, reason in ICD10_PREFIXES if pattern.match(clean))
    return tuple(sorted(found)) if found else (AttendanceReason.other,)
