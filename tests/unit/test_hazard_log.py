"""The hazard log's controls point at tests that exist, and the check finds it when they do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import safety_log
from tests.safety_log import LOG, faults, parse, rating, untested

HAZARD = """\
## HAZ-01: An alert is never delivered

| | |
|---|---|
| Initial risk | Major × High = 4 |
| Residual risk | Major × Low = 3 |

Controls:
- C1 (manufacturer) The sweeper. Tests: `tests/test_x.py::test_swept`, `tests/test_x.py::Suite::test_kept[2]`
- C2 (deployment) Monitoring.
"""


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "tests").mkdir(exist_ok=True)
    (tmp_path / "tests" / "test_x.py").write_text(
        "def test_swept():\n    pass\n\nclass Suite:\n    def test_kept(self):\n        pass\n"
    )
    return tmp_path


def test_every_control_in_the_log_names_tests_that_exist_and_every_rating_follows_the_matrix() -> None:
    hazards = parse(LOG.read_text())
    assert len(hazards) >= 17
    assert faults(hazards) == []
    assert all(h.controls for h in hazards)
    # Only the deploying organisation's controls go without a test.
    assert all(": " in line for line in untested(hazards))
    assert {c.owner for h in hazards for c in h.controls if not c.tests} == {"deployment"}


def test_the_hazards_the_review_is_about_are_in_the_log() -> None:
    titles = " ".join(h.title.lower() for h in parse(LOG.read_text()))
    for words in (
        "never delivered",
        "late",
        "wrong person",
        "wrong young person",
        "two records",
        "escalation",
        "suicide risk",
        "issued while incomplete",
        "non-engagement",
        "without consulting",
        "loses the plan",
        "bank holiday",
        "chat push",
    ):
        assert words in titles, words


def test_a_well_formed_hazard_passes(tmp_path: Path) -> None:
    hazards = parse(HAZARD)
    assert [c.tests for c in hazards[0].controls] == [
        ["tests/test_x.py::test_swept", "tests/test_x.py::Suite::test_kept"],
        [],
    ]
    assert faults(hazards, _tree(tmp_path)) == []
    assert untested(hazards) == ["HAZ-01 C2: Monitoring."]


def test_a_test_that_does_not_exist_fails_the_check(tmp_path: Path) -> None:
    renamed = HAZARD.replace("test_swept", "test_swept_away")
    assert faults(parse(renamed), _tree(tmp_path)) == [
        "HAZ-01 C1: no such test tests/test_x.py::test_swept_away"
    ]
    moved = HAZARD.replace("tests/test_x.py::test_swept", "tests/test_gone.py::test_swept")
    assert faults(parse(moved), _tree(tmp_path)) == ["HAZ-01 C1: no such test tests/test_gone.py::test_swept"]


def test_a_manufacturers_control_without_a_test_fails_the_check(tmp_path: Path) -> None:
    bare = HAZARD.replace("Tests: `tests/test_x.py::test_swept`, `tests/test_x.py::Suite::test_kept[2]`", "")
    assert faults(parse(bare), _tree(tmp_path)) == ["HAZ-01 C1: a manufacturer's control that names no test"]


def test_a_rating_off_the_matrix_or_a_residual_above_the_initial_fails_the_check(tmp_path: Path) -> None:
    assert rating("Major", "High") == 4 and rating("Minor", "Very low") == 1
    assert rating("Catastrophic", "Very high") == 5
    wrong = HAZARD.replace("Major × Low = 3", "Major × Low = 2")
    assert faults(parse(wrong), _tree(tmp_path)) == [
        "HAZ-01: residual risk Major × Low is 3 on the matrix, not 2"
    ]
    worse = HAZARD.replace("Major × Low = 3", "Catastrophic × Very high = 5")
    assert faults(parse(worse), _tree(tmp_path)) == ["HAZ-01: the residual risk is above the initial risk"]
    unknown = HAZARD.replace("Major × Low = 3", "Dire × Low = 3")
    assert faults(parse(unknown), _tree(tmp_path)) == ["HAZ-01: residual risk Dire × Low is off the matrix"]


def test_a_hazard_without_controls_or_risks_fails_the_check(tmp_path: Path) -> None:
    assert faults(parse("## HAZ-09: Something\n"), _tree(tmp_path)) == [
        "HAZ-09: no initial risk",
        "HAZ-09: no residual risk",
        "HAZ-09: no control",
    ]
    assert faults(parse("nothing here"), _tree(tmp_path)) == ["the hazard log names no hazard"]


def test_the_command_exits_non_zero_on_a_fault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "hazard-log.md"
    log.write_text(HAZARD.replace("test_swept", "test_nowhere"))
    monkeypatch.setattr(safety_log, "LOG", log)
    assert safety_log.main() == 1
    monkeypatch.setattr(safety_log, "LOG", LOG)
    assert safety_log.main() == 0
