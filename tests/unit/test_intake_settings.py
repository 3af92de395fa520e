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
    monkeypatch.setenv("HL7_MLLP_ALLOWED_PEERS", "10.20.0.0/16, 192.0.2.7")
    settings = Settings(**SAFE)
    assert settings.mllp_allowed_facilities == frozenset({"RBT", "RJN"})
    assert [str(n) for n in settings.mllp_allowed_peers] == ["10.20.0.0/16", "192.0.2.7/32"]
    assert settings.mllp_faults() == []


TLS = {
    "hl7_mllp_tls_cert_file": "/etc/liaison/mllp.pem",
    "hl7_mllp_tls_key_file": "/etc/liaison/mllp.key",
}


def test_production_refuses_an_mllp_listener_that_cannot_tell_its_senders_apart() -> None:
    facilities = {"hl7_mllp_allowed_facilities": "RBT"}
    [fault] = Settings(**SAFE, **facilities).mllp_faults()
    assert "HL7_MLLP_TLS_CLIENT_CA_FILE" in fault and "HL7_MLLP_ALLOWED_PEERS" in fault
    # TLS without client certificates hides the traffic but still takes anyone: not enough
    assert Settings(**SAFE, **facilities, **TLS).mllp_faults() == [fault]
    with_client_auth = Settings(**SAFE, **facilities, **TLS, hl7_mllp_tls_client_ca_file="/etc/ca.pem")
    assert with_client_auth.mllp_client_auth and with_client_auth.mllp_faults() == []
    assert Settings(**SAFE, **facilities, hl7_mllp_allowed_peers="10.20.0.0/16").mllp_faults() == []


def test_half_a_tls_configuration_is_refused_anywhere() -> None:
    assert "go together" in Settings(hl7_mllp_tls_cert_file="/a.pem").mllp_faults()[0]
    assert "needs" in Settings(hl7_mllp_tls_client_ca_file="/ca.pem").mllp_faults()[0]


def test_a_peer_that_is_not_an_address_is_refused() -> None:
    with pytest.raises(ValueError, match="HL7_MLLP_ALLOWED_PEERS|does not appear"):
        Settings(hl7_mllp_allowed_peers="10.0.0.0/8,hospital.example")


def test_development_takes_any_facility_and_defaults_to_loopback_port_2575() -> None:
    settings = Settings()
    assert settings.mllp_faults() == []
    assert (settings.hl7_mllp_host, settings.hl7_mllp_port) == ("127.0.0.1", 2575)
