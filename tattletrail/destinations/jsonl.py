"""A JSON Lines file: one alert (the versioned webhook schema) per line, appended."""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from tattletrail.alert import Alert


class JsonLinesDestination:
    def __init__(self, name: str, path: str | Path) -> None:
        self.name = name
        self.path = Path(path)

    def send(self, alert: Alert) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = orjson.dumps(alert.to_json()) + b"\n"
        # One write of a whole line with O_APPEND: concurrent writers never interleave lines.
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, line)
        finally:
            os.close(descriptor)
