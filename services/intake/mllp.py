"""The MLLP listener: HL7 v2 over TCP, framed 0x0B <message> 0x1C 0x0D, several messages a connection.

Each message is handled by the same function as `POST /api/v1/hl7/v2` (in a worker thread, as the
database is synchronous) and answered with the same ACK. Messages on one connection are handled in order;
connections are independent. What the listener does with bad input, so one bad sender never stops it:
- a frame that is not HL7 gets an AR ACK and the connection stays open for the next message;
- a frame that does not start with 0x0B (bad framing) or grows past HL7_MAX_MESSAGE_BYTES gets an AR ACK,
  then the connection is closed, as the stream can no longer be trusted to be in step;
- a connection silent for HL7_MLLP_IDLE_TIMEOUT_SECONDS is closed;
- a fault of ours (the database away) is answered AE, so the sender sends the message again.

MLLP carries no credentials. A sender is trusted by where it connects from (bind HL7_MLLP_HOST to an
interface only the hospital network reaches: HSCN or a VPN, or a TLS tunnel in front) and by its sending
facility: HL7_MLLP_ALLOWED_FACILITIES lists the MSH-4 codes taken, and `liaison mllp` refuses to start in
production without it. Messages are audited as the system actor with via=mllp.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass

from hl7.mllp.streams import CARRIAGE_RETURN, END_BLOCK, START_BLOCK
from redis import Redis

from schemas.enums import Via
from schemas.settings import Settings
from services.db import session_factory
from services.intake import hl7
from services.intake import service as intake
from services.redis_conn import get_redis

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

    @classmethod
    def from_settings(cls, settings: Settings) -> ListenerConfig:
        return cls(
            host=settings.hl7_mllp_host,
            port=settings.hl7_mllp_port,
            max_message_bytes=settings.hl7_max_message_bytes,
            idle_timeout=settings.hl7_mllp_idle_timeout_seconds,
            allowed_facilities=settings.mllp_allowed_facilities,
        )


def frame(payload: str | bytes) -> bytes:
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    return START + data + TRAILER


def _process(raw: bytes, allowed: frozenset[str], redis: Callable[[], Redis]) -> str:
    """Handle one message in its own session (runs in a worker thread)."""
    session = session_factory()()
    try:
        reply = intake.receive(
            session, raw=raw, actor=None, via=Via.mllp, get_redis=redis, allowed_facilities=allowed
        )
    except Exception:
        log.exception("MLLP message failed")
        return intake.failure(raw).ack
    finally:
        session.close()
    return reply.ack


class Listener:
    """An asyncio TCP server speaking MLLP; `serve` runs it until `stop` is called."""

    def __init__(self, config: ListenerConfig, redis: Callable[[], Redis] = get_redis) -> None:
        self.config = config
        self.redis = redis
        self.server: asyncio.Server | None = None
        self.connections: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self.server = await asyncio.start_server(
            self._connection, self.config.host, self.config.port, limit=self.config.max_message_bytes + 2
        )

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            for task in list(self.connections):
                task.cancel()
            await asyncio.gather(*self.connections, return_exceptions=True)
            await self.server.wait_closed()

    async def _reject(self, writer: asyncio.StreamWriter, reason: str) -> None:
        ack = hl7.ack(None, hl7.AckCode.reject, text=reason, error_code="100")
        writer.write(frame(ack))
        await writer.drain()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.connections.add(task)
        peer = writer.get_extra_info("peername")
        timeout = self.config.idle_timeout
        try:
            while True:
                start = await asyncio.wait_for(reader.read(1), timeout)
                if not start:
                    return  # the sender closed the connection
                if start != START:
                    log.warning("MLLP %s: bad framing (no 0x0B start block); closing", peer)
                    await self._reject(writer, "bad MLLP framing: a message must start with 0x0B")
                    return
                try:
                    block = await asyncio.wait_for(reader.readuntil(TRAILER), timeout)
                except asyncio.LimitOverrunError:
                    limit = self.config.max_message_bytes
                    log.warning("MLLP %s: message over %s bytes; closing", peer, limit)
                    await self._reject(writer, f"message larger than {limit} bytes")
                    return
                except asyncio.IncompleteReadError:
                    return  # closed mid-message: nothing to answer
                raw = block[: -len(TRAILER)]
                ack = await asyncio.to_thread(_process, raw, self.config.allowed_facilities, self.redis)
                writer.write(frame(ack))
                await writer.drain()
        except TimeoutError:
            log.info("MLLP %s: idle for %s s; closing", peer, timeout)
        except (ConnectionError, asyncio.CancelledError):
            pass
        except Exception:
            log.exception("MLLP %s: connection failed", peer)
        finally:
            self.connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def serve(config: ListenerConfig, *, ready: Callable[[int], None] | None = None) -> None:
    """Run the listener until SIGTERM or SIGINT."""
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
