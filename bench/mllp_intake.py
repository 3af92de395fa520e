"""Benchmark: HL7 v2 over MLLP through the real stack — ACK latency and messages a second.

Starts `liaison run` (API, MLLP listener, worker, scheduler; embedded Redis unless REDIS_URL is set; a
SQLite file unless DATABASE_URL is set) in a temporary folder, registers young people with synthetic
999-range NHS numbers (each with a care-team member, so every A04 makes an alert), then sends ADT^A04
messages, each a new visit:
  1. one connection, one message at a time: the ACK latency (the durable commit included);
  2. --connections connections at once: messages a second.

    .venv/bin/python bench/mllp_intake.py [--messages 300] [--connections 4]

Runs on loopback only and stops by itself. Use an empty database.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stack import free_port, percentile, running  # noqa: E402

A04 = (
    "MSH|^~\\&|EDIS|RBT|LIAISON|CEC|20221208093000||ADT^A04^ADT_A01|{control}|P|2.4\r"
    "EVN|A04|20221208093000\r"
    "PID|1||{nhs}^^^NHS^NH||BENCH^PERSON||20080101|U\r"
    "PV1|1|E|ED^^^RBT||||||||||||||||{visit}^^^RBT^VN|||||||||||||||||||||||||20221208092500\r"
    "PV2|||^Self-harm\r"
)


def send_all(port: int, messages: list[bytes], latencies: list[float], codes: list[str]) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        for message in messages:
            started = time.perf_counter()
            sock.sendall(b"\x0b" + message + b"\x1c\x0d")
            answer = b""
            while not answer.endswith(b"\x1c\x0d"):
                chunk = sock.recv(65536)
                if not chunk:
                    raise SystemExit("the listener closed the connection")
                answer += chunk
            latencies.append((time.perf_counter() - started) * 1000)
            codes.append(answer.split(b"MSA|", 1)[1][:2].decode())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--people", type=int, default=20)
    args = parser.parse_args()

    mllp_port = free_port()
    with running("liaison-bench-mllp-", HL7_MLLP_PORT=str(mllp_port)) as stack:
        people, _ = stack.seed(args.people)

        def message(i: int) -> bytes:
            return A04.format(control=f"B{i:06d}", nhs=people[i % len(people)], visit=f"BV{i:06d}").encode()

        half = args.messages // 2
        serial_latency: list[float] = []
        codes: list[str] = []
        send_all(mllp_port, [message(i) for i in range(half)], serial_latency, codes)

        parallel_latency: list[float] = []
        batches = [
            [message(i) for i in range(half + c, args.messages, args.connections)]
            for c in range(args.connections)
        ]
        threads = [
            threading.Thread(target=send_all, args=(mllp_port, batch, parallel_latency, codes))
            for batch in batches
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        sent = sum(len(b) for b in batches)

        print(f"database: {os.environ.get('DATABASE_URL') or 'SQLite file'}; messages: {len(codes)}")
        print(f"ACK codes: { {c: codes.count(c) for c in sorted(set(codes))} }")
        print(
            f"one connection, one at a time: ACK p50 {percentile(serial_latency, 50):.1f} ms, "
            f"p99 {percentile(serial_latency, 99):.1f} ms, {len(serial_latency) / (sum(serial_latency) / 1000):.1f} msg/s"
        )
        print(
            f"{args.connections} connections at once: {sent / elapsed:.1f} msg/s; ACK p50 "
            f"{percentile(parallel_latency, 50):.1f} ms, p99 {percentile(parallel_latency, 99):.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
