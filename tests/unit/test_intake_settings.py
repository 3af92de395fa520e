"""The MLLP listener's trust rule: in production it serves only the sending facilities listed."""

from __future__ import annotations

import pytest

from schemas.settings import Settings
from tests.unit.test_settings import SAFE

pytestmark = pytest.mark.usefixtures("clean_environment")


def test_production_refuses_an_mllp_listener_open_to_any_facility() -> None:
    settings = Settings(**SAFE)
    assert settings.mllp_allowed_facilities == frozenset()
    assert "HL7_MLLP_ALLOWED_FACILITIES" in settings.mllp_faults()[0]


def test_listed_facilities_are_read_from_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HL7_MLLP_ALLOWED_FACILITIES", " rbt, RJN ,")
    settings = Settings(**SAFE)
    assert settings.mllp_allowed_facilities == frozenset({"RBT", "RJN"})
    assert settings.mllp_faults() == []


def test_development_takes_any_facility_and_defaults_to_loopback_port_2575() -> None:
    settings = Settings()
    assert settings.mllp_faults() == []
    assert (settings.hl7_mllp_host, settings.hl7_mllp_port) == ("127.0.0.1", 2575)
