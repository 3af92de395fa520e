"""rq workers that stop in a second, not a minute.

rq's worker listens for commands (kill a job, stop) on a Redis pub/sub channel in a thread that sleeps up
to 60 s between reads. redis-py 8's `PubSubWorkerThread.stop()` waits for that thread to finish, and rq
calls it with no timeout, so a worker stopping (a burst drained, a SIGTERM) could hang for up to 60 s
after its last job, holding up `liaison run`'s shutdown and each test that drains a queue. Here the wait is
bounded; the thread is a daemon, already told to stop, and no longer reads the connection being closed."""

from __future__ import annotations

from rq import SimpleWorker, Worker

STOP_WAIT_SECONDS = 1.0


class QuickStop:
    """Mixed into an rq worker class before it: `unsubscribe` waits at most STOP_WAIT_SECONDS."""

    def unsubscribe(self) -> None:
        thread, pubsub = getattr(self, "pubsub_thread", None), getattr(self, "pubsub", None)
        if thread is None or pubsub is None:
            return
        pubsub.unsubscribe()
        thread.stop(timeout=STOP_WAIT_SECONDS)
        pubsub.close()


class QuickStopSimpleWorker(QuickStop, SimpleWorker):
    pass


class QuickStopWorker(QuickStop, Worker):
    pass
