"""Child processes that must not outlive whoever started them."""

from __future__ import annotations

import ctypes
import signal
import sys

PR_SET_PDEATHSIG = 1


def stop_with_parent() -> None:
    """Run in a child before exec (`preexec_fn`): on Linux, ask for SIGTERM when the parent dies without
    cleaning up (killed outright), so no API, worker or Redis outlives the supervisor."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
