"""One delivery worker per destination: a daemon thread taking tasks in order.

Not a ThreadPoolExecutor: Python joins an executor's threads when the process exits, so a send
stuck in a 10-second timeout would hold the checker's exit after SIGTERM. A daemon thread does
not; what it was sending stays leased in the outbox and is tried again after the lease.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable

_STOP = object()


class Worker:
    """Runs submitted tasks one at a time, in the order submitted, on its own daemon thread."""

    def __init__(self, name: str) -> None:
        self._tasks: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def submit(self, task: Callable[..., Any], *arguments: object) -> Future[Any]:
        future: Future[Any] = Future()
        self._tasks.put((future, task, arguments))
        return future

    def _serve(self) -> None:
        while True:
            item = self._tasks.get()
            if item is _STOP:
                return
            future, task, arguments = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(task(*arguments))
            except BaseException as error:  # noqa: BLE001 - handed to whoever waits on the future
                future.set_exception(error)

    def shutdown(self, timeout: float | None = None) -> bool:
        """Finish what is queued, then stop; wait at most `timeout` seconds. True if it stopped."""
        self._tasks.put(_STOP)
        self._thread.join(timeout)
        return not self._thread.is_alive()
