"""The API fuzzed from its own OpenAPI (issue 13): schemathesis generates bounded, deterministic examples
for every operation (schema-valid and not) and sends them to the real app, database and Redis as an admin,
who may see everything, so answers are real records. Every answer must be no 5xx, carry a status code the
OpenAPI declares for the operation, and match the declared schema and content type. A failure names the
operation and the request to replay."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from schemas.enums import Role
from tests.integration.conftest import Case as YoungPersonCase
from tests.integration.conftest import World

pytestmark = pytest.mark.integration

EXAMPLES = 6  # per operation, positive and negative: 89 operations in about a minute on a quiet machine
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


@pytest.fixture
def admin(world: World, case: YoungPersonCase) -> Caller:
    world.team("ADM", la=None)
    return Caller(world.user("root", role=Role.admin, team="ADM").headers, case.ref)


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


def test_every_operation_answers_as_its_openapi_says(app: FastAPI, admin: Caller) -> None:
    """Each operation in turn (schemathesis' own pytest loader is not used: it reaches into pytest's
    internals); every failure is collected, so one run names them all."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 80
    failures: list[str] = []
    for operation in operations:
        try:
            _fuzz(operation, admin)
        except Exception as failure:  # noqa: BLE001 - reported below, with the operation
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}")
    assert not failures, "\n\n".join(failures)


def test_a_domain_422_answers_in_a_shape_the_openapi_declares(
    app: FastAPI, case: YoungPersonCase, world: World
) -> None:
    """A domain rule's 422 (`detail`: a string) was declared as FastAPI's validation error (`detail`: an
    array): the document now declares both, and a real domain refusal conforms."""
    world.team("IG", la=None)
    world.user("dpo", role=Role.ig_officer, team="IG")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = schema["/api/v1/young-people/{ref}/care-team"]["POST"]
    refused = operation.Case(path_parameters={"ref": case.ref}, body={"username": "dpo", "role": "camhs"})
    answer = refused.call_and_validate(headers=case.lead.headers, checks=CHECKS)
    assert answer.status_code == 422 and isinstance(answer.json()["detail"], str)
    invalid = operation.Case(path_parameters={"ref": case.ref}, body={"username": "dpo"})  # FastAPI's own
    answer = invalid.call_and_validate(headers=case.lead.headers, checks=CHECKS)
    assert answer.status_code == 422 and isinstance(answer.json()["detail"], list)
