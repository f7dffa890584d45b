"""stdout: one line per alert, in the Sensu form, for `check run --notify` and the checker's log."""

from __future__ import annotations

import sys
from typing import TextIO

from tattletrail.alert import Alert


class StdoutDestination:
    def __init__(self, name: str = "stdout", stream: TextIO | None = None) -> None:
        self.name = name
        self._stream = stream

    def send(self, alert: Alert) -> None:
        stream = self._stream or sys.stdout
        stream.write(f"{alert.title}: {alert.message}\n")
        for sample in alert.samples:
            stream.write(f"    {sample.line()}\n")
        stream.flush()
