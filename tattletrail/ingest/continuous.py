"""What every long-running ingest shares: stopping on SIGTERM.

A queue worker or a follower runs `ingest` again and again (summary.py adds up its totals).
SIGTERM (docker stop, systemd, Kubernetes) and Ctrl-C set a `threading.Event`: the current object
is finished and written, nothing new is started, and the process exits normally.
"""

from __future__ import annotations

import signal
import threading
from typing import Any


def stop_on_signals(stop: threading.Event) -> None:
    """Make SIGTERM and SIGINT set `stop` (call from the main thread). A second Ctrl-C still interrupts."""

    def request_stop(number: int, _frame: Any) -> None:
        if number == signal.SIGINT and stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
