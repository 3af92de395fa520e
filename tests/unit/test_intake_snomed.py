"""SNOMED CT reasons for attendance: the table's integrity, the pure mapping and its fall-back to the
words and ICD-10 codes, and where the HL7 v2 and FHIR intakes find SNOMED CT codings."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from schemas.enums import AttendanceReason as R
from services.intake import fhir, hl7
from services.intake.rules import reasons_from
from services.intake.snomed import CONCEPTS, REASONS_BY_CODE, is_snomed, snomed_reasons

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
ENCOUNTER: dict[str, Any] = json.loads((FIXTURES / "fhir" / "encounter-ed.json").read_text())
A04 = (FIXTURES / "hl7" / "a04-ed-attendance.hl7").read_bytes().decode()
UNLISTED = "999999999999"  # not in the table (nor, as it happens, a valid SCTID)

# Verhoeff's dihedral-group tables: the check digit every SNOMED CT identifier ends with.
_MULTIPLY = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_FIRST = [1, 5, 7, 6, 2, 8, 3, 0, 9, 4]  # Verhoeff's permutation; row k applies it k times
_PERMUTE = [list(range(10))]
for _ in range(7):
    _PERMUTE.append([_FIRST[digit] for digit in _PERMUTE[-1]])


def verhoeff_ok(number: str) -> bool:
    check = 0
    for position, digit in enumerate(reversed(number)):
        check = _MULTIPLY[check][_PERMUTE[position % 8][int(digit)]]
    return check == 0


def test_the_check_digit_test_itself_tells_a_typo() -> None:
    assert verhoeff_ok("2363") and not verhoeff_ok("2364")  # the textbook example
    assert verhoeff_ok("138875005") and verhoeff_ok("404684003")  # SNOMED CT's root and |Clinical finding|
    assert verhoeff_ok("248062006") and not verhoeff_ok("248062007") and not verhoeff_ok("248026006")


def test_every_concept_is_a_well_formed_concept_id_with_its_term_reasons_and_source() -> None:
    codes = [concept.code for concept in CONCEPTS]
    assert len(codes) == len(set(codes)), "a concept listed twice"
    for concept in CONCEPTS:
        assert re.fullmatch(r"[1-9]\d{5,17}", concept.code), concept
        assert verhoeff_ok(concept.code), f"{concept.code}: the check digit is wrong (a typo?)"
        assert concept.code[-3:-1] in ("00", "10"), f"{concept.code} is not a concept identifier"
        assert concept.term and concept.reasons and R.other not in concept.reasons, concept
        assert concept.source.startswith("https://"), concept


def test_the_documented_table_is_the_table_in_code() -> None:
    doc = (ROOT / "docs" / "intake.md").read_text()
    documented = dict(re.findall(r"^\| `(\d+)` \| ([^|]+?) \|", doc, flags=re.M))
    assert documented == {concept.code: concept.term for concept in CONCEPTS}


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        ("http://snomed.info/sct", True),
        ("SCT", True),
        ("sct", True),
        ("SNM", True),
        (" 2.16.840.1.113883.6.96 ", True),
        ("I10", False),
        ("http://hl7.org/fhir/sid/icd-10", False),
        ("", False),
        (None, False),
    ],
)
def test_snomed_ct_is_recognised_by_its_uri_hl7_table_0396_names_and_oid(
    system: str | None, expected: bool
) -> None:
    assert is_snomed(system) is expected


def test_a_listed_concept_is_enough_on_its_own() -> None:
    assert reasons_from([], snomed=["248062006"]) == (R.self_harm,)
    assert reasons_from([], snomed=["86849004"]) == (R.overdose, R.self_harm)
    assert reasons_from([], snomed=[" 6471006 "]) == (R.mental_health_crisis,)
    assert snomed_reasons(["1149222004", "66214007"]) == {R.overdose, R.substance_use}
    assert REASONS_BY_CODE["125605004"] == (R.injury,)


def test_an_unlisted_code_falls_back_to_the_words_and_the_icd10_code() -> None:
    assert reasons_from([], snomed=[UNLISTED]) == (R.other,)
    assert reasons_from(["Overdose of paracetamol"], snomed=[UNLISTED]) == (R.overdose,)
    assert reasons_from([], ["X78.9"], snomed=[UNLISTED]) == (R.self_harm,)
    assert reasons_from(["Laceration of forearm"], ["S51.8"], [UNLISTED]) == (R.injury,)


def test_evidence_adds_up_across_snomed_icd10_and_words() -> None:
    assert reasons_from(["intoxicated"], ["S06"], ["248062006"]) == (R.injury, R.self_harm, R.substance_use)


def _event(text: str) -> hl7.VisitEvent:
    message = hl7.parse(text)
    return hl7.visit_event(message, hl7.header(message))


def test_hl7_pv2_3_coded_in_snomed_ct_gives_its_reason_even_without_telling_words() -> None:
    text = A04.replace("PV2|||^Overdose of prescribed and non-prescribed drugs", "PV2|||248062006^SH^SCT")
    assert _event(text).reasons == (R.self_harm,)
    unlisted = A04.replace(
        "PV2|||^Overdose of prescribed and non-prescribed drugs", f"PV2|||{UNLISTED}^SH^SCT"
    )
    assert _event(unlisted).reasons == (R.other,)


def test_hl7_dg1_3_in_snomed_ct_primary_or_alternate_and_icd10_alongside() -> None:
    base = A04.replace("PV2|||^Overdose of prescribed and non-prescribed drugs", "PV2|||^Seen in ED")
    assert _event(base).reasons == (R.other,)
    dg1 = "DG1|1||1149222004^OD^SCT\rDG1|2||T39.1^Poisoning by 4-Aminophenol derivatives^I10^6471006^ST^SNM"
    assert _event(base.rstrip("\r") + "\r" + dg1).reasons == (R.mental_health_crisis, R.overdose)
    # the same code under another coding system is not read as SNOMED CT
    local = "DG1|1||1149222004^OD^99LOCAL"
    assert _event(base.rstrip("\r") + "\r" + local).reasons == (R.other,)


def _encounter(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(ENCOUNTER)
    body.update(changes)
    return {key: item for key, item in body.items() if item is not None}


def test_fhir_reason_code_with_a_snomed_ct_coding_and_no_display() -> None:
    coding = {"system": "http://snomed.info/sct", "code": "1149222004"}
    made = fhir.attendance_from_encounter(_encounter(reasonCode=[{"coding": [coding]}]))
    assert made.reasons == [R.overdose]
    other_system = {"system": "http://example.org/local", "code": "1149222004"}
    assert fhir.attendance_from_encounter(_encounter(reasonCode=[{"coding": [other_system]}])).reasons == [
        R.other
    ]


def test_fhir_diagnosis_naming_a_contained_condition_coded_in_snomed_ct() -> None:
    condition = {
        "resourceType": "Condition",
        "id": "dx1",
        "subject": {"identifier": {"system": fhir.NHS_NUMBER_SYSTEM, "value": "9990000018"}},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "248062006"}]},
    }
    body = _encounter(
        reasonCode=None, contained=[condition], diagnosis=[{"condition": {"reference": "#dx1"}}]
    )
    assert fhir.attendance_from_encounter(body).reasons == [R.self_harm]
    elsewhere = _encounter(reasonCode=None, diagnosis=[{"condition": {"reference": "Condition/dx1"}}])
    assert fhir.attendance_from_encounter(elsewhere).reasons == [R.other]
    by_reason = _encounter(reasonCode=None, contained=[condition], reasonReference=[{"reference": "#dx1"}])
    assert fhir.attendance_from_encounter(by_reason).reasons == [R.self_harm]
