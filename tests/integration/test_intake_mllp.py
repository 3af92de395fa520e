"""The MLLP listener over real TCP: several messages a connection, and no bad sender (text that is not HL7,
broken framing, an oversize message, silence) stops it or harms another connection."""

from __future__ import annotations

import threading

import pytest

from schemas.enums import Role
from tests.integration.conftest import Case, World, audit_events
from tests.integration.intake_helpers import (
    MllpClient,
    count,
    hl7_fixture,
    mllp_listener,
    msa,
    tables_containing,
)

pytestmark = pytest.mark.integration


def test_several_messages_on_one_connection_are_each_acknowledged_in_order(case: Case) -> None:
    with mllp_listener() as listener:
        sender = MllpClient(listener.port)
        for name, expected in (
            ("a04-ed-attendance.hl7", ("AA", "MSG0001")),
            ("a01-admission.hl7", ("AA", "MSG0002")),
            ("a03-discharge.hl7", ("AA", "MSG0003")),
            ("a11-cancel-attendance.hl7", ("AA", "MSG0004")),
        ):
            assert msa(sender.send(hl7_fixture(name)))[:2] == expected
        sender.close()
    assert count("attendances") == 2
    mllp = audit_events(via="mllp", action="attendance.recorded")
    assert len(mllp) == 2 and {e.actor_role for e in mllp} == {"system"}


def test_text_that_is_not_hl7_gets_ar_and_the_same_connection_keeps_serving(case: Case) -> None:
    with mllp_listener() as listener:
        sender = MllpClient(listener.port)
        code, control_id, text = msa(sender.send(hl7_fixture("bad-not-hl7.hl7")))
        assert (code, control_id) == ("AR", "") and "not an HL7 v2 message" in text
        assert msa(sender.send(hl7_fixture("a04-ed-attendance.hl7")))[0] == "AA"
        sender.close()
    assert count("attendances") == 1


def test_bad_framing_and_oversize_messages_close_only_their_own_connection(case: Case) -> None:
    with mllp_listener(max_message_bytes=2048) as listener:
        bystander = MllpClient(listener.port)  # connected before the trouble starts

        unframed = MllpClient(listener.port)
        unframed.send_raw(hl7_fixture("bad-not-hl7.hl7"))  # an HTTP request, no 0x0B
        code, _, text = msa(unframed.read_ack())
        assert code == "AR" and "framing" in text
        assert unframed.closed_by_peer()

        oversize = MllpClient(listener.port)  # its MSH is readable: answered AR to its control ID
        code, control_id, text = msa(
            oversize.send(hl7_fixture("a04-ed-attendance.hl7") + b"NTE|1||" + b"X" * 5000)
        )
        assert (code, control_id) == ("AR", "MSG0001") and "larger than 2048 bytes" in text
        assert oversize.closed_by_peer()

        shapeless = MllpClient(listener.port)  # no readable MSH: nothing to answer to, so only closed
        shapeless.send_raw(b"\x0bMSH|^~\\&|EDIS|RBT|" + b"X" * 5000 + b"\x1c\x0d")
        assert shapeless.read_ack_or_close() is None

        half = MllpClient(listener.port)
        half.send_raw(b"\x0bMSH|^~\\&|EDIS|RBT")  # then hangs up mid-message
        half.close()

        assert msa(bystander.send(hl7_fixture("a04-ed-attendance.hl7")))[0] == "AA"
        newcomer = MllpClient(listener.port)
        assert msa(newcomer.send(hl7_fixture("a01-admission.hl7")))[0] == "AA"
        for sender in (bystander, newcomer, unframed, oversize, shapeless):
            sender.close()
    assert count("attendances") == 2
    assert tables_containing("XXXXXXXX") == []


def test_a_silent_connection_is_closed_after_the_idle_timeout(case: Case) -> None:
    with mllp_listener(idle_timeout=0.3) as listener:
        silent = MllpClient(listener.port, timeout=10)
        assert silent.closed_by_peer()  # blocks until the listener gives up on it
        silent.close()
        fresh = MllpClient(listener.port)
        assert msa(fresh.send(hl7_fixture("a04-ed-attendance.hl7")))[0] == "AA"
        fresh.close()


def test_only_the_allowed_sending_facilities_are_taken(case: Case) -> None:
    with mllp_listener(allowed=frozenset({"RJN"})) as listener:
        sender = MllpClient(listener.port)
        code, _, text = msa(sender.send(hl7_fixture("a04-ed-attendance.hl7")))
        assert code == "AR" and "RBT is not allowed" in text
        sender.close()
    assert count("attendances") == 0 and count("inbound_messages") == 0
    [refused] = audit_events(action="hl7.rejected")
    assert refused.via == "mllp" and refused.detail["facility"] == "RBT"


def test_the_same_message_racing_on_two_connections_is_recorded_once(case: Case, world: World) -> None:
    world.user("edsys", role=Role.integration, team="RBT-LIA")
    codes: list[str] = []
    with mllp_listener() as listener:
        senders = [MllpClient(listener.port) for _ in range(4)]
        start = threading.Barrier(len(senders))

        def go(sender: MllpClient) -> None:
            start.wait()
            codes.append(msa(sender.send(hl7_fixture("a04-ed-attendance.hl7")))[0])

        threads = [threading.Thread(target=go, args=(s,)) for s in senders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        for sender in senders:
            sender.close()
    assert codes == ["AA"] * 4
    assert count("attendances") == 1 and count("inbound_messages") == 1 and count("notifications") == 1
