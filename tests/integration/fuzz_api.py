"""The bounded schemathesis fuzz, run as its own process by tests/integration/test_schemathesis.py, so
schemathesis (and the hypothesis settings it runs under) never load into the pytest process the other
tests share, and its pytest loader (which reaches into pytest internals) is not needed.

    python -m tests.integration.fuzz_api ADMIN_TOKEN REF LEAD_TOKEN

DATABASE_URL and REDIS_URL come from the environment (the test's). Exit 0 when every operation answered as
its OpenAPI says; else 1, with each failure printed."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field

import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from services.app import create_app

EXAMPLES = 6  # per operation, positive and negative: 89 operations in about 20 s on a quiet machine
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@dataclass
class Caller:
    headers: dict[str, str]
    ref: str
    examples: Counter[str] = field(default_factory=Counter)

    def aim(self, case: schemathesis.Case) -> None:
        """Every other example of an operation on a young person names the one that exists, so answers
        with a record in them are checked against their schema too (the rest: whatever was generated)."""
        key = f"{case.method} {case.path}"
        self.examples[key] += 1
        if self.examples[key] % 2:
            return
        if case.path_parameters and "ref" in case.path_parameters:
            case.path_parameters["ref"] = self.ref
        if case.path_parameters and "username" in case.path_parameters:
            case.path_parameters["username"] = "jsmith"
        if isinstance(case.query, dict) and "young_person" in case.query:
            case.query["young_person"] = self.ref


def _fuzz(operation: schemathesis.APIOperation, caller: Caller) -> None:
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @given(strategy)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    def one(case: schemathesis.Case) -> None:
        caller.aim(case)
        case.call_and_validate(headers=caller.headers, checks=CHECKS)

    one()


def domain_422(schema: schemathesis.BaseSchema, ref: str, lead: dict[str, str]) -> list[str]:
    """A domain rule's 422 (a string `detail`) and FastAPI's own (an array) both conform."""
    operation = schema["/api/v1/young-people/{ref}/care-team"]["POST"]
    failures = []
    for body, shape in (({"username": "dpo", "role": "camhs"}, str), ({"username": "dpo"}, list)):
        try:
            answer = operation.Case(path_parameters={"ref": ref}, body=body).call_and_validate(
                headers=lead, checks=CHECKS
            )
            if answer.status_code != 422 or not isinstance(answer.json()["detail"], shape):
                failures.append(f"care-team {body}: {answer.status_code} {answer.text[:200]}")
        except Exception as failure:  # noqa: BLE001 - reported
            failures.append(f"care-team {body}: {failure}")
    return failures


def main(admin_token: str, ref: str, lead_token: str) -> int:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())
    operations = [result.ok() for result in schema.get_all_operations()]
    failures = domain_422(schema, ref, {"Authorization": f"Bearer {lead_token}"})
    caller = Caller({"Authorization": f"Bearer {admin_token}"}, ref)
    for operation in operations:
        try:
            _fuzz(operation, caller)
        except Exception as failure:  # noqa: BLE001 - reported below, with the operation
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}")
    print(f"{len(operations)} operations fuzzed, {EXAMPLES} examples each")  # noqa: T201
    for failure in failures:
        print(failure, end="\n\n")  # noqa: T201
    return 1 if failures or len(operations) < 80 else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
