"""The rq worker: delivers alerts on every channel, retries, and re-drives anything left undelivered."""
