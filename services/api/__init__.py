"""The HTTP API: one router per domain, the typed dependencies, and the MLLP listener."""
