"""FHIR R4 Bundles: the handover a receiving local authority needs when a case transfers, and the list of
a young person's flags. Pure: resources (already built and checked) in, a Bundle checked with the
`fhir.resources` R4B model out.

The handover is a `collection`, not a `document`. A document Bundle starts with a Composition: a record
someone authored and attests, whose sections tell the story and which is immutable once issued. liaison
has no such record: the handover is assembled on request from resources that each keep their own version
and status (the care plan and safety plan versions, the discharge plan, the completed assessment), for
the receiving service to take in as they are. Nothing is signed or attested, so calling it a document
would claim more than it is. Every entry has a `fullUrl` under liaison's base, and there is no Patient
entry: every resource names the young person by their opaque ref as an identifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from services.kernel.fhir import BASE, instant

HANDOVER_SYSTEM = "https://liaison.example/Id/handover"


def entry(resource: dict[str, Any], *, mode: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "fullUrl": f"{BASE}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
    }
    if mode is not None:
        found["search"] = {"mode": mode}
    return found


def handover(resources: Sequence[dict[str, Any]], *, ref: str, now: datetime) -> dict[str, Any]:
    """The handover as a `collection` Bundle, stamped with when it was assembled."""
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": f"handover-{ref}-{now:%Y%m%dT%H%M%SZ}",
        "identifier": {"system": HANDOVER_SYSTEM, "value": f"{ref}/{instant(now)}"},
        "type": "collection",
        "timestamp": instant(now),
        "entry": [entry(r) for r in resources],
    }
    Bundle.model_validate(bundle)
    return bundle


def searchset(resources: Sequence[dict[str, Any]], *, now: datetime) -> dict[str, Any]:
    """Resources answered as a FHIR search would answer them (`searchset`, every entry a match)."""
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": instant(now),
        "total": len(resources),
    }
    if resources:
        bundle["entry"] = [entry(r, mode="match") for r in resources]
    Bundle.model_validate(bundle)
    return bundle


def contents(bundle: dict[str, Any]) -> list[str]:
    """`ResourceType/id` of every entry: what was exported, for the audit trail."""
    return [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle.get("entry", [])]
