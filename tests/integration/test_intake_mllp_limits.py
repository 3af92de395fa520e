"""The MLLP listener's limits over real TCP, as a sending system notices them: a connection over
HL7_MLLP_MAX_CONNECTIONS is closed at once while the others are served; a message that dribbles in is
given up on after HL7_MLLP_READ_TIMEOUT_SECONDS; and a stop (SIGTERM) lets a message already begun be
answered, closes idle connections and takes no new ones. Timeouts are made small here: nothing sleeps."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys

import pytest

from services.api.mllp import frame
from tests.integration.conftest import YOUNG_PERSON, Case, _free_port
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


def test_a_connection_over_the_cap_is_closed_at_once_and_the_others_are_still_served(
    case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="services.api.mllp")
    with mllp_listener(max_connections=2) as listener:
        first, second = MllpClient(listener.port), MllpClient(listener.port)
        assert msa(first.send(A04))[:2] == ("AA", "MSG0001")  # both are being served
        until(lambda: len(listener.listener.connections) == 2, "both connections to be taken")

        extra = MllpClient(listener.port, timeout=5)
        extra.try_send(frame(A04))  # never read, never answered
        assert extra.read_ack_or_close() is None
        extra.close()

        assert msa(second.send(variant("a01-admission.hl7", control_id="CAP0002")))[0] == "AA"
        assert msa(first.send(variant("a03-discharge.hl7", control_id="CAP0003")))[0] == "AA"
        first.close()
        until(lambda: len(listener.listener.connections) == 1, "the closed connection to be let go")
        later = MllpClient(listener.port)  # a place is free again
        assert msa(later.send(hl7_fixture("a11-cancel-attendance.hl7")))[0] == "AA"
        for sender in (second, later):
            sender.close()
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 1 and "HL7_MLLP_MAX_CONNECTIONS 2" in refused[0]
    assert YOUNG_PERSON["nhs_number"] not in caplog.text and "TESTPERSON" not in caplog.text


def test_a_message_that_never_finishes_arriving_is_given_up_on_after_the_read_timeout(case: Case) -> None:
    with mllp_listener(idle_timeout=60, read_timeout=0.3) as listener:
        bystander = MllpClient(listener.port)
        slow = MllpClient(listener.port, timeout=10)  # far shorter than the idle timeout
        slow.send_raw(b"\x0b" + A04[:40])  # begun, then nothing more
        assert slow.read_ack_or_close() is None
        slow.close()
        assert msa(bystander.send(A04))[0] == "AA"
        bystander.close()
    assert count("attendances") == 1


def test_stopping_answers_the_message_in_flight_closes_idle_connections_and_takes_no_new_ones(
    case: Case,
) -> None:
    with mllp_listener(shutdown_grace=10) as listener:
        idle = MllpClient(listener.port, timeout=5)
        busy = MllpClient(listener.port)
        assert msa(busy.send(variant("a04-ed-attendance.hl7", control_id="GRACE01")))[0] == "AA"
        until(lambda: listener.waiting() == 2, "both connections to wait for a message")
        busy.send_raw(b"\x0b" + A04[:60])  # the next message: begun, not finished
        until(lambda: listener.waiting() == 1, "the second message to be under way")

        stopping = listener.begin_stop()
        assert idle.closed_by_peer()  # nothing in flight there: closed at once
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", listener.port), timeout=5)
        busy.send_raw(A04[60:] + b"\x1c\x0d")  # the rest arrives within the grace
        assert msa(busy.read_ack())[:2] == ("AA", "MSG0001")
        assert busy.closed_by_peer()
        stopping.result(10)
        for sender in (idle, busy):
            sender.close()
    assert count("inbound_messages") == 2


def test_a_message_still_incomplete_when_the_grace_runs_out_is_dropped_unanswered(case: Case) -> None:
    with mllp_listener(shutdown_grace=0.3) as listener:
        late = MllpClient(listener.port, timeout=10)
        late.send_raw(b"\x0b" + A04[:60])
        until(lambda: listener.waiting() == 0 and len(listener.listener.connections) == 1, "the message")
        listener.begin_stop().result(10)
        assert late.read_ack_or_close() is None  # no ACK: the sender sends it again elsewhere or later
        late.close()
    assert count("inbound_messages") == 0


def test_sigterm_stops_liaison_mllp_cleanly(case: Case) -> None:
    port = _free_port()
    env = dict(os.environ, HL7_MLLP_PORT=str(port), HL7_MLLP_SHUTDOWN_GRACE_SECONDS="5")
    process = subprocess.Popen(
        [sys.executable, "-m", "runtime.cli", "mllp"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        until(lambda: _accepts(port) or process.poll() is not None, "the listener to start", timeout=60)
        sender = MllpClient(port, timeout=10)
        assert msa(sender.send(A04))[0] == "AA"
        process.send_signal(signal.SIGTERM)
        assert sender.closed_by_peer()  # idle between messages: closed at once
        assert process.wait(10) == 0
        sender.close()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.stdout is not None
    output = process.stdout.read()
    assert "MLLP listener stopped" in output and "Traceback" not in output, output
    assert count("attendances") == 1


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0
