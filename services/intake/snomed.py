"""SNOMED CT concepts that name a reason for attendance: a small data table, pure, tested without I/O.

NHS A&E departments code the chief complaint and diagnoses in SNOMED CT (the Emergency Care Data Set). A
concept listed here is evidence of the reasons beside it; a concept not listed adds nothing, so the
coding's text and any ICD-10 code still decide (services/intake/rules.py). Only exact concept IDs are
matched: liaison has no terminology server, so a descendant (say, a named drug's overdose) is not
recognised by its code, only by the words of its display text.

Every concept ID below was checked against the source named beside it (SNOMED International's own pages,
or a terminology server's rendering of a SNOMED CT release). `term` is the concept's term as that source
gives it (the fully specified name's words, semantic tag in brackets). A concept that could not be checked
is left out rather than guessed: a wrong code in a safeguarding system is worse than none. Add a row only
with its source, and keep docs/intake.md's table in step (a test compares them).
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.enums import AttendanceReason as R

SNOMED_SYSTEM = "http://snomed.info/sct"
# How a coded field names SNOMED CT: FHIR's URI; HL7 v2 table 0396 `SCT` (SNOMED Clinical Terms) and `SNM`
# (SNOMED, which some senders still put for SNOMED CT); SNOMED CT's OID. Compared upper-cased.
SNOMED_SYSTEM_NAMES = frozenset({SNOMED_SYSTEM.upper(), "SCT", "SNM", "2.16.840.1.113883.6.96"})

MBH_SELF_HARM = "https://confluence.ihtsdotools.org/display/MBHCRG/Self+Destructive+Behavior+v+Self+Harm"
MBH_SUICIDAL = (
    "https://confluence.snomedtools.org/display/MBHCRG/Is+Suicidal+ideation+a+synonym+of+Suicidal+thoughts"
)
MBH_DEPRESSION = "https://confluence.ihtsdotools.org/pages/viewpage.action?pageId=87041697"
MBH_SUBSTANCE = "https://confluence.ihtsdotools.org/x/jCilAw"
SCTEMPLATES = "https://conf.spaces.snomed.org/wiki/spaces/SCTEMPLATES/pages/"
TEMPLATE_OVERDOSE = SCTEMPLATES + "133998704/Overdose+disorder+-+v1.0"
TEMPLATE_FRACTURE = SCTEMPLATES + "133993889/Fracture+of+bone+structure+disorder+-+v1.0"
TEMPLATE_HARMFUL_USE = (
    "https://confluence.ihtsdotools.org/pages/diffpages.action?originalId=146874965&pageId=146874966"
)
EDITORIAL_OVERDOSE = (
    "https://docs.snomed.org/snomed-ct-specifications/snomed-ct-editorial-guide/readme/authoring/"
    "domain-specific-modeling/clinical-finding-and-disorder/clinical-finding-and-disorder-modeling/"
    "specific-clinical-finding-and-disorder-modeling/overdose"
)
TX_SELF_HARM = "https://build.fhir.org/ig/SHIFT-Task-Force/demo-fhir-data/ValueSet-SyntheaSelfHarmVS.html"
TX_CH_HARMFUL_USE = "https://tx.fhir.ch/snomed/2011000195101-20250607/?id=1348211007&type=snomed"


@dataclass(frozen=True)
class Concept:
    code: str
    term: str
    reasons: tuple[R, ...]
    source: str


CONCEPTS: tuple[Concept, ...] = (
    # Self-harm. Intentional self-poisoning is self-harm (NICE) and an overdose: both reasons, as the
    # frequent-attender rule counts either.
    Concept("248062006", "Self-injurious behavior (finding)", (R.self_harm,), MBH_SELF_HARM),
    Concept("86849004", "Suicidal poisoning (disorder)", (R.self_harm, R.overdose), TX_SELF_HARM),
    Concept("287185009", "Attempted suicide by cutting or stabbing", (R.self_harm,), TX_SELF_HARM),
    Concept("287182007", "Attempted suicide by suffocation", (R.self_harm,), TX_SELF_HARM),
    # Overdose.
    Concept("1149222004", "Overdose (disorder)", (R.overdose,), TEMPLATE_OVERDOSE),
    Concept("708079007", "Overdose of illicit drug (disorder)", (R.overdose,), EDITORIAL_OVERDOSE),
    # Substance use.
    Concept("66214007", "Substance abuse (disorder)", (R.substance_use,), TEMPLATE_HARMFUL_USE),
    Concept(
        "1348211007",
        "Nondependent harmful pattern of substance use (disorder)",
        (R.substance_use,),
        TX_CH_HARMFUL_USE,
    ),
    Concept("37344009", "Cannabis abuse (disorder)", (R.substance_use,), MBH_SUBSTANCE),
    Concept("428823006", "Cannabis misuse (finding)", (R.substance_use,), MBH_SUBSTANCE),
    Concept("78267003", "Cocaine abuse (disorder)", (R.substance_use,), MBH_SUBSTANCE),
    Concept("429782000", "Cocaine misuse (finding)", (R.substance_use,), MBH_SUBSTANCE),
    Concept("84758004", "Amphetamine abuse (disorder)", (R.substance_use,), MBH_SUBSTANCE),
    Concept("428659002", "Amphetamine misuse (finding)", (R.substance_use,), MBH_SUBSTANCE),
    # Injury.
    Concept("125605004", "Fracture of bone (disorder)", (R.injury,), TEMPLATE_FRACTURE),
    # Mental-health crisis (as ICD-10 F20-F43 are, in rules.py).
    Concept("6471006", "Suicidal thoughts (finding)", (R.mental_health_crisis,), MBH_SUICIDAL),
    Concept("35489007", "Depressive disorder (disorder)", (R.mental_health_crisis,), MBH_DEPRESSION),
)

REASONS_BY_CODE: dict[str, tuple[R, ...]] = {concept.code: concept.reasons for concept in CONCEPTS}


def is_snomed(system: str | None) -> bool:
    """Whether a coding system (FHIR Coding.system, HL7 v2 CE/CWE component 3 or 6) names SNOMED CT."""
    return (system or "").strip().upper() in SNOMED_SYSTEM_NAMES


def snomed_reasons(codes: list[str] | tuple[str, ...]) -> set[R]:
    """The reasons the listed SNOMED CT concept IDs are evidence of; unknown codes add nothing."""
    found: set[R] = set()
    for code in codes:
        found.update(REASONS_BY_CODE.get(code.strip(), ()))
    return found
