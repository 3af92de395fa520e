"""Attendance intake from hospital systems: HL7 v2 (over HTTP and MLLP) and FHIR R4 Encounters."""
