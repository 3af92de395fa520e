"""Helpers for the intake tests: the fixtures' bytes, a real MLLP listener on a free port, a real MLLP
client over TCP, and a scan of every table for a value that must not have been kept."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path

import hl7
from sqlalchemy import select

from services.api.mllp import Listener, ListenerConfig, Network, frame
from services.kernel.db import session_scope
from services.models import Base

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VT, FS_CR = b"\x0b", b"\x1c\x0d"


def hl7_fixture(name: str) -> bytes:
    """The fixture's bytes, carriage returns kept (read_text would turn them into newlines)."""
    return (FIXTURES / "hl7" / name).read_bytes()


def variant(name: str, *, control_id: str, **replace: str) -> bytes:
    """A fixture with a new MSH-10 and any other text replaced: a new message about the same visit."""
    text = hl7_fixture(name).decode()
    old_id = str(hl7.parse(text)["MSH.F10"])
    text = text.replace(f"|{old_id}|", f"|{control_id}|", 1)
    for old, new in replace.items():
        text = text.replace(old, new)
    return text.encode()


class RunningListener:
    def __init__(self, config: ListenerConfig) -> None:
        self.loop = asyncio.new_event_loop()
        self.listener = Listener(config)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.listener.start(), self.loop).result(10)

    @property
    def port(self) -> int:
        return self.listener.port

    def begin_stop(self) -> Future[None]:
        """Start the listener's graceful stop (as SIGTERM does) without waiting for it to finish."""
        return asyncio.run_coroutine_threadsafe(self.listener.stop(), self.loop)

    def waiting(self) -> int:
        """How many connections are between messages (the rest have a message in flight)."""
        return len(self.listener.waiting)

    def stop(self) -> None:
        self.begin_stop().result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@contextmanager
def mllp_listener(
    *,
    max_message_bytes: int = 65536,
    idle_timeout: float = 30.0,
    read_timeout: float = 30.0,
    max_connections: int = 64,
    shutdown_grace: float = 5.0,
    allowed: frozenset[str] = frozenset(),
    max_connections_per_peer: int = 64,
    allowed_peers: tuple[Network, ...] = (),
    tls: ssl.SSLContext | None = None,
    certificate_facilities: dict[str, frozenset[str]] | None = None,
) -> Iterator[RunningListener]:
    config = ListenerConfig(
        "127.0.0.1",
        0,
        max_message_bytes=max_message_bytes,
        idle_timeout=idle_timeout,
        allowed_facilities=allowed,
        read_timeout=read_timeout,
        max_connections=max_connections,
        shutdown_grace=shutdown_grace,
        max_connections_per_peer=max_connections_per_peer,
        allowed_peers=allowed_peers,
        tls=tls,
        certificate_facilities=certificate_facilities or {},
    )
    running = RunningListener(config)
    try:
        yield running
    finally:
        running.stop()


class MllpClient:
    """A sender's end of one MLLP connection."""

    def __init__(
        self,
        port: int,
        timeout: float = 20.0,
        *,
        source: str | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """Connect from `source` (another loopback address, 127.0.0.2: another host as the listener sees
        it), over TLS when `tls` is given (the handshake happens here)."""
        sock = socket.create_connection(
            ("127.0.0.1", port), timeout=timeout, source_address=(source, 0) if source else None
        )
        self.sock: socket.socket = (
            tls.wrap_socket(sock, server_hostname="127.0.0.1") if tls is not None else sock
        )
        self.buffer = b""

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def try_send(self, data: bytes) -> None:
        """Send, as a sender would, to a listener that may already have closed the connection."""
        try:
            self.sock.sendall(data)
        except ConnectionError:
            pass

    def read_ack(self) -> hl7.Message:
        while FS_CR not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"closed by the listener; had {self.buffer!r}")
            self.buffer += chunk
        block, self.buffer = self.buffer.split(FS_CR, 1)
        assert block.startswith(VT), block
        return hl7.parse(block[1:].decode())

    def send(self, message: bytes) -> hl7.Message:
        self.send_raw(frame(message))
        return self.read_ack()

    def read_ack_or_close(self) -> hl7.Message | None:
        """The next ACK, or None when the listener closes the connection instead."""
        try:
            return self.read_ack()
        except ConnectionError:  # not a timeout: that fails the test
            return None

    def closed_by_peer(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


def until(check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Wait (briefly polling) for a state another thread reaches; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def msa(ack: hl7.Message) -> tuple[str, str, str]:
    """MSA-1 (the code), MSA-2 (the original MSH-10) and MSA-3 (the text)."""
    return str(ack["MSA.F1"]), str(ack["MSA.F2"]), str(ack["MSA.F3"]) if len(ack.segment("MSA")) > 3 else ""


def tables_containing(needle: str) -> list[str]:
    """Every table with a row whose text holds `needle` (an NHS number that must not have been kept)."""
    found = []
    with session_scope() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                if needle in repr(tuple(row)):
                    found.append(table.name)
                    break
    return found


def count(table: str) -> int:
    with session_scope() as session:
        return len(list(session.execute(select(Base.metadata.tables[table]))))
