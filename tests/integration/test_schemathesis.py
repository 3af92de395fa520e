"""The API fuzzed from its own OpenAPI (issue 13): schemathesis generates bounded, deterministic examples
for every operation (positive and negative) and sends them to the real app, database and Redis as an
admin, who may see everything, half of them aimed at a young person who exists, so answers are real
records. Every answer must be no 5xx and carry a status code, content type and body the OpenAPI declares
for the operation; a domain 422 (a string `detail`) and FastAPI's (an array) must both conform. The fuzz
runs as its own process (`tests/integration/fuzz_api.py`), against the test's database and Redis; a
failure names the operation and the request to replay."""

from __future__ import annotations

import subprocess
import sys

import pytest

from schemas.enums import Role
from tests.integration.conftest import Case, World

pytestmark = pytest.mark.integration


def test_every_operation_answers_as_its_openapi_says(case: Case, world: World) -> None:
    world.team("ADM", la=None)
    admin = world.user("root", role=Role.admin, team="ADM")
    world.team("IG", la=None)
    world.user("dpo", role=Role.ig_officer, team="IG")  # never on a care team: the domain 422
    fuzz = subprocess.run(
        [sys.executable, "-m", "tests.integration.fuzz_api", admin.token, case.ref, case.lead.token],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert fuzz.returncode == 0, fuzz.stdout[-20000:] + fuzz.stderr[-5000:]
    assert "operations fuzzed" in fuzz.stdout
