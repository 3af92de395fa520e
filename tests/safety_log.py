"""Checks the hazard log (docs/safety/hazard-log.md) against the test suite.

Fails when a control names a test that does not exist, when a manufacturer's control names no test, when a
hazard has no control, or when a risk rating is not the one the DCB0129 matrix gives for its severity and
likelihood (or the residual risk is above the initial one). Lists the controls that only a deploying
organisation can provide: no test here can show them.

    python -m tests.safety_log          # from the repository root; exit code 1 on any fault
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "docs" / "safety" / "hazard-log.md"

SEVERITIES = ("Minor", "Significant", "Considerable", "Major", "Catastrophic")
LIKELIHOODS = ("Very low", "Low", "Medium", "High", "Very high")
MATRIX = {  # likelihood: ratings from Minor to Catastrophic (DCB0129 implementation guidance)
    "Very high": (3, 4, 4, 5, 5),
    "High": (2, 3, 3, 4, 5),
    "Medium": (2, 2, 3, 3, 4),
    "Low": (1, 2, 2, 3, 4),
    "Very low": (1, 1, 2, 2, 3),
}

HAZARD = re.compile(r"^## (HAZ-\d+): (.+)$")
RISK = re.compile(r"^\| (Initial|Residual) risk \| (\w+) × ([\w ]+?) = (\d) \|$")
CONTROL = re.compile(r"^- (C\d+) \((manufacturer|deployment)\) (.+)$")
TEST_ID = re.compile(r"`(tests/[^`:]+\.py)::([^`\[]+)(?:\[[^`]*\])?`")


def rating(severity: str, likelihood: str) -> int:
    return MATRIX[likelihood][SEVERITIES.index(severity)]


@dataclass
class Control:
    name: str
    owner: str
    text: str
    tests: list[str] = field(default_factory=list)


@dataclass
class Hazard:
    id: str
    title: str
    risks: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    controls: list[Control] = field(default_factory=list)


def parse(text: str) -> list[Hazard]:
    hazards: list[Hazard] = []
    for line in text.splitlines():
        if match := HAZARD.match(line):
            hazards.append(Hazard(match[1], match[2]))
        elif hazards and (match := RISK.match(line)):
            hazards[-1].risks[match[1]] = (match[2], match[3], int(match[4]))
        elif hazards and (match := CONTROL.match(line)):
            control = Control(match[1], match[2], match[3])
            control.tests = [f"{path}::{name}" for path, name in TEST_ID.findall(match[3])]
            hazards[-1].controls.append(control)
    return hazards


@cache
def _defined(path: Path) -> frozenset[str]:
    """`name` and `Class::name` of every test function the file defines."""
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return frozenset(n for n in names if n.rsplit("::", 1)[-1].startswith("test_"))


def test_exists(test_id: str, root: Path = ROOT) -> bool:
    path, name = test_id.split("::", 1)
    file = root / path
    return file.is_file() and name in _defined(file)


def faults(hazards: list[Hazard], root: Path = ROOT) -> list[str]:
    found: list[str] = []
    if not hazards:
        found.append("the hazard log names no hazard")
    seen: set[str] = set()
    for hazard in hazards:
        if hazard.id in seen:
            found.append(f"{hazard.id} appears twice")
        seen.add(hazard.id)
        for kind in ("Initial", "Residual"):
            if kind not in hazard.risks:
                found.append(f"{hazard.id}: no {kind.lower()} risk")
                continue
            severity, likelihood, given = hazard.risks[kind]
            if severity not in SEVERITIES or likelihood not in LIKELIHOODS:
                found.append(f"{hazard.id}: {kind.lower()} risk {severity} × {likelihood} is off the matrix")
            elif rating(severity, likelihood) != given:
                found.append(
                    f"{hazard.id}: {kind.lower()} risk {severity} × {likelihood} is "
                    f"{rating(severity, likelihood)} on the matrix, not {given}"
                )
        if {"Initial", "Residual"} <= hazard.risks.keys():
            if hazard.risks["Residual"][2] > hazard.risks["Initial"][2]:
                found.append(f"{hazard.id}: the residual risk is above the initial risk")
        if not hazard.controls:
            found.append(f"{hazard.id}: no control")
        for control in hazard.controls:
            if control.owner == "manufacturer" and not control.tests:
                found.append(f"{hazard.id} {control.name}: a manufacturer's control that names no test")
            found.extend(
                f"{hazard.id} {control.name}: no such test {test_id}"
                for test_id in control.tests
                if not test_exists(test_id, root)
            )
    return found


def untested(hazards: list[Hazard]) -> list[str]:
    """The controls only a deploying organisation provides (DCB0160): shown by no test here."""
    return [
        f"{hazard.id} {control.name}: {control.text}"
        for hazard in hazards
        for control in hazard.controls
        if not control.tests
    ]


def main() -> int:
    hazards = parse(LOG.read_text())
    problems = faults(hazards)
    tests = sorted({t for h in hazards for c in h.controls for t in c.tests})
    controls = sum(len(h.controls) for h in hazards)
    sys.stdout.write(f"{len(hazards)} hazards, {controls} controls, {len(tests)} tests named\n")
    for line in untested(hazards):
        sys.stdout.write(f"no test (the deploying organisation's): {line}\n")
    for line in problems:
        sys.stderr.write(f"FAULT {line}\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
