"""An rq worker stops in a second, over a real Redis: its command listener (a pub/sub thread that sleeps up
to 60 s between reads) no longer holds up a drained burst worker or a SIGTERM for a minute
(worker/quick_stop.py). A stock rq 3 worker with redis-py 8 took 60 s here."""

from __future__ import annotations

import time

from rq import Queue, SimpleWorker

from services.kernel.redis_conn import get_redis
from worker.quick_stop import QuickStopSimpleWorker


def _stop_time(worker: SimpleWorker) -> float:
    worker.subscribe()
    assert worker.pubsub is not None
    worker.pubsub.unsubscribe()  # the listener reads the confirmation, then sleeps until its next read
    time.sleep(0.5)
    started = time.monotonic()
    worker.unsubscribe()
    return time.monotonic() - started


def test_a_worker_whose_command_listener_sleeps_stops_in_a_second() -> None:
    redis = get_redis()
    worker = QuickStopSimpleWorker([Queue("stop-test", connection=redis)], connection=redis)
    assert _stop_time(worker) < 3.0
