"""The MLLP listener: HL7 v2 over TCP, framed 0x0B <message> 0x1C 0x0D, several messages a connection.

Each message is handled by the same function as `POST /api/v1/hl7/v2` (in a worker thread, as the
database is synchronous) and answered with the same ACK. Messages on one connection are handled in order;
connections are independent. What the listener does with bad input, so one bad sender never stops it:
- a frame that is not HL7 gets an AR ACK and the connection stays open for the next message;
- a frame that does not start with 0x0B (bad framing) gets an AR ACK, then the connection is closed, as
  the stream can no longer be trusted to be in step;
- a frame that grows past HL7_MAX_MESSAGE_BYTES is refused before it is all read (the reader's limit, so
  memory is bounded): AR to its MSH when that is readable, then the connection is closed;
- a connection silent for HL7_MLLP_IDLE_TIMEOUT_SECONDS between messages is closed, and so is one whose
  message, once begun, is not whole within HL7_MLLP_READ_TIMEOUT_SECONDS (a slow sender, or one that
  never reads its ACKs, holds nothing for long);
- a connection beyond HL7_MLLP_MAX_CONNECTIONS, or beyond HL7_MLLP_MAX_CONNECTIONS_PER_PEER from one peer
  address, is closed as soon as it is accepted (logged with the peer's address only), while those already
  open are served as before: idle connections from one host never lock the others out;
- a connection from an address outside HL7_MLLP_ALLOWED_PEERS (when set) is closed at once, unanswered;
- a fault of ours (the database away) is answered AE, so the sender sends the message again.

MLLP carries no credentials, and MSH-4 is whatever the sender writes. A sender is trusted by what it can
prove: a TLS client certificate signed by HL7_MLLP_TLS_CLIENT_CA_FILE (the listener then serves MLLP over
TLS, HL7_MLLP_TLS_CERT_FILE and _KEY_FILE, and a sender without one fails the handshake), and/or where it
connects from (HL7_MLLP_ALLOWED_PEERS; bind HL7_MLLP_HOST to an interface only the hospital network
reaches); then by its sending facility (HL7_MLLP_ALLOWED_FACILITIES lists the MSH-4 codes taken).
`liaison mllp` refuses to start in production without the facilities and without one of the first two
(`Settings.mllp_faults`). Messages are audited as the system actor with via=mllp.

Stopping (SIGTERM or SIGINT): the listener stops accepting, closes connections waiting between messages,
gives messages already begun HL7_MLLP_SHUTDOWN_GRACE_SECONDS to be received, handled and answered, then
closes the rest unanswered (their senders send them again; a repeat is recognised by MSH-4 and MSH-10).

python-hl7's `hl7.mllp` offers a StreamReader that reads whole blocks; it has no caps or timeouts, and
would only notice bad framing after a whole block, so only its framing constants are used here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import ssl
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from hl7.mllp.streams import CARRIAGE_RETURN, END_BLOCK, START_BLOCK

from schemas.enums import Via
from schemas.settings import Settings
from schemas.settings_parts import Network, address_in
from services.intake import hl7
from services.intake import service as intake
from services.kernel.db import session_scope
from services.kernel.logsafe import log_failure

log = logging.getLogger(__name__)

START: bytes = START_BLOCK
TRAILER: bytes = END_BLOCK + CARRIAGE_RETURN


@dataclass(frozen=True)
class ListenerConfig:
    host: str
    port: int
    max_message_bytes: int
    idle_timeout: float
    allowed_facilities: frozenset[str]
    read_timeout: float
    max_connections: int
    shutdown_grace: float
    max_connections_per_peer: int = 8
    allowed_peers: tuple[Network, ...] = ()
    tls: ssl.SSLContext | None = field(default=None, compare=False)
    # By client certificate (its subject's common name): the facilities it may send for. Empty: any.
    certificate_facilities: dict[str, frozenset[str]] = field(default_factory=dict, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> ListenerConfig:
        tls = None
        if settings.hl7_mllp_tls_cert_file and settings.hl7_mllp_tls_key_file:
            tls = tls_context(
                cert_file=settings.hl7_mllp_tls_cert_file,
                key_file=settings.hl7_mllp_tls_key_file,
                client_ca_file=settings.hl7_mllp_tls_client_ca_file,
            )
        return cls(
            host=settings.hl7_mllp_host,
            port=settings.hl7_mllp_port,
            max_message_bytes=settings.hl7_max_message_bytes,
            idle_timeout=settings.hl7_mllp_idle_timeout_seconds,
            allowed_facilities=settings.mllp_allowed_facilities,
            read_timeout=settings.hl7_mllp_read_timeout_seconds,
            max_connections=settings.hl7_mllp_max_connections,
            shutdown_grace=settings.hl7_mllp_shutdown_grace_seconds,
            max_connections_per_peer=settings.hl7_mllp_max_connections_per_peer,
            allowed_peers=settings.mllp_allowed_peers,
            tls=tls,
            certificate_facilities={
                name: frozenset(f.strip().upper() for f in codes)
                for name, codes in settings.hl7_mllp_tls_facilities.items()
            },
        )

    def facilities_for(self, certificate: dict[str, object] | None) -> frozenset[str] | None:
        """The facilities a connection may send for: HL7_MLLP_ALLOWED_FACILITIES, narrowed to those its
        client certificate is listed for in HL7_MLLP_TLS_FACILITIES when that is set. None: refuse the
        connection (a certificate not listed, or listed for none of the allowed facilities)."""
        if not self.certificate_facilities:
            return self.allowed_facilities
        listed = self.certificate_facilities.get(common_name(certificate) or "")
        if not listed:
            return None
        narrowed = listed & self.allowed_facilities if self.allowed_facilities else listed
        return narrowed or None

    def admits(self, address: str) -> bool:
        """Whether a peer at `address` may connect (HL7_MLLP_ALLOWED_PEERS; empty: any)."""
        return not self.allowed_peers or address_in(address, self.allowed_peers)


def common_name(certificate: dict[str, object] | None) -> str | None:
    """The subject common name of a peer certificate as `ssl` decodes it, or None."""
    subject = certificate.get("subject", ()) if certificate else ()
    for rdn in subject if isinstance(subject, tuple) else ():
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None


def tls_context(*, cert_file: str, key_file: str, client_ca_file: str | None) -> ssl.SSLContext:
    """The listener's TLS (1.2 at least): its certificate and, with `client_ca_file`, a client certificate
    signed by that CA required of every sender (refused in the handshake otherwise)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    if client_ca_file:
        context.load_verify_locations(cafile=client_ca_file)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def frame(payload: str | bytes) -> bytes:
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    return START + data + TRAILER


def _process(raw: bytes, allowed: frozenset[str]) -> str:
    """Handle one message in its own unit of work (runs in a worker thread)."""
    try:
        with session_scope() as session:
            reply = intake.receive(session, raw=raw, actor=None, via=Via.mllp, allowed_facilities=allowed)
    except Exception:
        log_failure(log, "MLLP message failed")
        return intake.failure(raw).ack
    return reply.ack


class Listener:
    """An asyncio TCP server speaking MLLP; `serve` runs it until `stop` is called."""

    def __init__(self, config: ListenerConfig) -> None:
        self.config = config
        self.server: asyncio.Server | None = None
        self.connections: set[asyncio.Task[None]] = set()
        self.waiting: set[asyncio.Task[None]] = set()  # between messages: nothing in flight
        self.per_peer: Counter[str] = Counter()  # connections open, by peer address
        self.stopping = False
        self.port = 0  # the port bound (config.port may be 0: any free one)

    async def start(self) -> None:
        # The reader's limit bounds the memory one connection can take: past it a frame is refused (and
        # the socket is paused at twice the limit until then).
        # With TLS, a handshake not done within the read timeout is dropped (asyncio's own bound).
        self.server = await asyncio.start_server(
            self._connection,
            self.config.host,
            self.config.port,
            limit=self.config.max_message_bytes + 2,
            ssl=self.config.tls,
            ssl_handshake_timeout=self.config.read_timeout if self.config.tls is not None else None,
        )
        self.port = int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop accepting; close the connections waiting between messages; give messages in flight
        `shutdown_grace` seconds to be received, handled and answered; then close what is left."""
        if self.server is None or self.stopping:
            return
        self.stopping = True
        self.server.close()
        for task in list(self.waiting):
            task.cancel()
        if self.connections:
            in_flight = len(self.connections - self.waiting)
            log.info("MLLP listener stopping: %s message(s) in flight", in_flight)
            _done, late = await asyncio.wait(set(self.connections), timeout=self.config.shutdown_grace)
            for task in late:
                task.cancel()
            if late:
                log.warning("MLLP listener: %s connection(s) closed mid-message at shutdown", len(late))
            await asyncio.gather(*self.connections, return_exceptions=True)
        await self.server.wait_closed()

    async def _send(self, writer: asyncio.StreamWriter, ack: str) -> None:
        async with asyncio.timeout(self.config.read_timeout):  # a sender that never reads its ACKs
            writer.write(frame(ack))
            await writer.drain()

    async def _reject(self, writer: asyncio.StreamWriter, reason: str) -> None:
        await self._send(writer, hl7.ack(None, hl7.AckCode.reject, text=reason, error_code="100"))

    async def _oversize(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: object
    ) -> None:
        """A frame past the limit: AR to its MSH when that is readable from what is buffered."""
        limit = self.config.max_message_bytes
        ack = hl7.oversize_ack(await reader.read(4096), limit)  # already buffered: returns at once
        answered = "AR sent" if ack is not None else "no readable MSH, no ACK"
        log.warning("MLLP %s: message over %s bytes (%s); closing", peer, limit, answered)
        if ack is not None:
            await self._send(writer, ack)

    def _refusal(self, address: str) -> str | None:
        """Why a new connection from `address` is closed at once, or None to serve it."""
        if not self.config.admits(address):
            return "not in HL7_MLLP_ALLOWED_PEERS"
        if self.per_peer[address] >= self.config.max_connections_per_peer:
            return (
                f"{self.per_peer[address]} connections from this peer already open "
                f"(HL7_MLLP_MAX_CONNECTIONS_PER_PEER {self.config.max_connections_per_peer})"
            )
        return None

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        refusal = self._refusal(address)
        facilities = self.config.facilities_for(writer.get_extra_info("peercert"))
        if facilities is None and refusal is None:
            refusal = "its client certificate is not listed in HL7_MLLP_TLS_FACILITIES"
        if refusal is not None and not self.stopping:
            log.warning("MLLP %s: refused, %s", peer, refusal)
            writer.transport.abort()
            return
        if self.stopping or len(self.connections) >= self.config.max_connections:
            # Logged without a byte of what was sent: the peer and the count only.
            log.warning(
                "MLLP %s: refused, %s connections already open (HL7_MLLP_MAX_CONNECTIONS %s)%s",
                peer,
                len(self.connections),
                self.config.max_connections,
                " and the listener is stopping" if self.stopping else "",
            )
            writer.transport.abort()
            return
        task = asyncio.current_task()
        assert task is not None
        self.connections.add(task)
        self.per_peer[address] += 1
        try:
            await self._messages(reader, writer, peer, task, facilities or frozenset())
        except (ConnectionError, asyncio.CancelledError):
            pass
        except TimeoutError:  # only `_send` lets one out
            log.warning("MLLP %s: the ACK was not taken within %s s; closing", peer, self.config.read_timeout)
        except Exception:
            log_failure(log, "MLLP %s: connection failed", peer)
        finally:
            self.connections.discard(task)
            self.waiting.discard(task)
            self.per_peer[address] -= 1
            if self.per_peer[address] <= 0:
                del self.per_peer[address]
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _messages(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        peer: object,
        task: asyncio.Task[None],
        facilities: frozenset[str],
    ) -> None:
        """Read, handle and answer messages in order until the sender stops, errs, or the listener stops."""
        while not self.stopping:
            self.waiting.add(task)
            try:
                async with asyncio.timeout(self.config.idle_timeout):
                    start = await reader.read(1)
            except TimeoutError:
                log.info("MLLP %s: idle for %s s; closing", peer, self.config.idle_timeout)
                return
            finally:
                self.waiting.discard(task)
            if not start:
                return  # the sender closed the connection
            if start != START:
                log.warning("MLLP %s: bad framing (no 0x0B start block); closing", peer)
                await self._reject(writer, "bad MLLP framing: a message must start with 0x0B")
                return
            try:
                async with asyncio.timeout(self.config.read_timeout):
                    block = await reader.readuntil(TRAILER)
            except asyncio.LimitOverrunError:
                await self._oversize(reader, writer, peer)
                return
            except asyncio.IncompleteReadError:
                return  # closed mid-message: nothing to answer
            except TimeoutError:
                log.warning(
                    "MLLP %s: message not complete after %s s; closing", peer, self.config.read_timeout
                )
                return
            raw = block[: -len(TRAILER)]
            ack = await asyncio.to_thread(_process, raw, facilities)
            await self._send(writer, ack)


async def serve(config: ListenerConfig, *, ready: Callable[[int], None] | None = None) -> None:
    """Run the listener until SIGTERM or SIGINT, then stop it gracefully (see `Listener.stop`)."""
    listener = Listener(config)
    await listener.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log.info("MLLP listener on %s:%s", config.host, listener.port)
    if ready is not None:
        ready(listener.port)
    await stop.wait()
    await listener.stop()
    log.info("MLLP listener stopped")
