"""Who may reach the MLLP listener (issue 13, 6), over real TCP and real TLS: idle connections from one peer
never lock the others out (HL7_MLLP_MAX_CONNECTIONS_PER_PEER); only listed addresses connect when
HL7_MLLP_ALLOWED_PEERS is set; and over TLS with client certificates, a sender without a certificate the
configured CA signed never gets a byte in. Another host is another loopback address (127.0.0.2): Linux
routes all of 127/8 to this machine. Certificates are throwaway ones from `trustme`."""

from __future__ import annotations

import ipaddress
import logging
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from services.api.mllp import frame, tls_context
from tests.integration.conftest import Case
from tests.integration.intake_helpers import (
    MllpClient,
    count,
    hl7_fixture,
    mllp_listener,
    msa,
    until,
    variant,
)

pytestmark = pytest.mark.integration

A04 = hl7_fixture("a04-ed-attendance.hl7")
OTHER_HOST = "127.0.0.2"


def test_idle_connections_from_one_peer_do_not_lock_out_another(
    case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="services.api.mllp")
    with mllp_listener(max_connections=64, max_connections_per_peer=2) as listener:
        hogs = [MllpClient(listener.port, timeout=5) for _ in range(2)]  # connect, then say nothing
        until(lambda: len(listener.listener.connections) == 2, "the idle connections to be taken")
        third = MllpClient(listener.port, timeout=5)
        third.try_send(frame(A04))
        assert third.read_ack_or_close() is None  # the same peer's third is closed, unanswered
        third.close()

        other = MllpClient(listener.port, source=OTHER_HOST)  # another host is served
        assert msa(other.send(A04))[0] == "AA"
        other.close()

        hogs.pop().close()
        until(lambda: len(listener.listener.connections) == 1, "the closed one to be let go")
        again = MllpClient(listener.port)  # its place is free again for that peer
        assert msa(again.send(variant("a01-admission.hl7", control_id="PEER0002")))[0] == "AA"
        again.close()
        for hog in hogs:
            hog.close()
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 1 and "HL7_MLLP_MAX_CONNECTIONS_PER_PEER 2" in refused[0]
    assert count("attendances") == 2  # the other host's A04 and the A01; nothing from the refused one


def test_only_listed_peers_connect(case: Case) -> None:
    allowed = (ipaddress.ip_network(f"{OTHER_HOST}/32"),)
    with mllp_listener(allowed_peers=allowed) as listener:
        stranger = MllpClient(listener.port, timeout=5)  # 127.0.0.1: not listed
        stranger.try_send(frame(A04))
        assert stranger.read_ack_or_close() is None
        stranger.close()
        assert count("attendances") == 0

        listed = MllpClient(listener.port, source=OTHER_HOST)
        assert msa(listed.send(A04))[0] == "AA"
        listed.close()
    assert count("attendances") == 1


class Pki:
    """A CA the listener trusts for senders, the listener's own certificate, and a sender's."""

    def __init__(self, folder: Path) -> None:
        self.ca = trustme.CA()
        self.server = self.ca.issue_cert("127.0.0.1")
        self.folder = folder
        self.ca.cert_pem.write_to_path(str(folder / "clients-ca.pem"))
        self.server.cert_chain_pems[0].write_to_path(str(folder / "server.pem"))
        self.server.private_key_pem.write_to_path(str(folder / "server.key"))

    def listener_tls(self, *, client_auth: bool = True) -> ssl.SSLContext:
        return tls_context(
            cert_file=str(self.folder / "server.pem"),
            key_file=str(self.folder / "server.key"),
            client_ca_file=str(self.folder / "clients-ca.pem") if client_auth else None,
        )

    def sender_tls(self, client: trustme.LeafCert | None) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        self.ca.configure_trust(context)
        if client is not None:
            client.configure_cert(context)
        return context


@pytest.fixture
def pki(tmp_path: Path) -> Iterator[Pki]:
    yield Pki(tmp_path)


def _refused_in_handshake(port: int, tls: ssl.SSLContext) -> bool:
    """The listener refuses the sender's certificate (or its lack): TLS 1.3 says so at the first read."""
    try:
        sender = MllpClient(port, timeout=5, tls=tls)
        sender.try_send(frame(A04))
        refused = sender.read_ack_or_close() is None
        sender.close()
        return refused
    except (ssl.SSLError, ConnectionError):
        return True


def test_mllp_over_tls_serves_a_sender_whose_certificate_the_ca_signed(case: Case, pki: Pki) -> None:
    with mllp_listener(tls=pki.listener_tls()) as listener:
        hospital = pki.ca.issue_cert("rbt-edis.hospital.example")
        sender = MllpClient(listener.port, tls=pki.sender_tls(hospital))
        assert msa(sender.send(A04))[0] == "AA"
        sender.close()
    assert count("attendances") == 1


def test_mllp_over_tls_refuses_a_sender_without_a_certificate_or_with_a_stranger_s(
    case: Case, pki: Pki
) -> None:
    stranger = trustme.CA().issue_cert("rbt-edis.hospital.example")  # a CA the listener does not trust
    with mllp_listener(tls=pki.listener_tls()) as listener:
        assert _refused_in_handshake(listener.port, pki.sender_tls(None))
        assert _refused_in_handshake(listener.port, pki.sender_tls(stranger))
        plain = MllpClient(listener.port, timeout=5)  # no TLS at all: its MLLP frame is not a handshake
        plain.try_send(frame(A04))
        assert plain.read_ack_or_close() is None
        plain.close()
        good = MllpClient(listener.port, tls=pki.sender_tls(pki.ca.issue_cert("rjn.hospital.example")))
        assert msa(good.send(A04))[0] == "AA"  # the listener is unharmed
        good.close()
    assert count("attendances") == 1


def test_a_client_certificate_sends_only_for_the_facilities_it_is_listed_for(case: Case, pki: Pki) -> None:
    """MSH-4 is whatever the sender writes: with HL7_MLLP_TLS_FACILITIES, a certificate sends for its own
    facilities only, and a certificate not listed is not served at all."""
    listed = {"edis.rbt.example": frozenset({"RBT"})}
    with mllp_listener(tls=pki.listener_tls(), certificate_facilities=listed) as listener:
        rbt = pki.ca.issue_cert("edis.rbt.example", common_name="edis.rbt.example")
        sender = MllpClient(listener.port, tls=pki.sender_tls(rbt))
        assert msa(sender.send(A04))[0] == "AA"  # MSH-4 RBT: its own
        posing = variant("a01-admission.hl7", control_id="POSE0001").replace(b"|EDIS|RBT|", b"|EDIS|RJN|")
        assert msa(sender.send(posing))[0] == "AR"  # another hospital's facility: refused
        sender.close()

        unlisted = pki.ca.issue_cert("edis.rjn.example", common_name="edis.rjn.example")  # the right CA
        assert _refused_in_handshake(listener.port, pki.sender_tls(unlisted))
    assert count("attendances") == 1
