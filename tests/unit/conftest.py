"""Shared by the settings tests: a clean environment, so only what a test passes counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.settings import Settings


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No variables or `.env` from the machine running the tests."""
    for name in list(Settings.model_fields):
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)
