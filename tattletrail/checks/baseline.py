"""What a `new_value` check has seen before its window, kept between runs so it is read once.

A new_value check needs the values of its field seen in the `baseline` (e.g. 30 days) before each
window. Reading 30 days from the store on every `check run` cost most of the check pack's time;
instead the values seen, each with when it was last seen, are kept in a small SQLite file beside
the check state, and each run reads only the time since the last run, then forgets what is older
than the baseline. The file is a cache of what the store holds: deleting it costs one full read.

Late events: the last `SETTLE` before a window is read again on the next run, so events that
arrive up to that late (CloudTrail delivers most within 15 minutes) are still counted as seen.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

import orjson

from tattletrail.checks.model import Check
from tattletrail.checks.state import GroupKey

SETTLE = timedelta(hours=1)

Seen = dict[GroupKey, dict[str, datetime]]  # group → value → when it was last seen


@dataclass
class Baseline:
    read_until: datetime  # the store was read up to here (by event time), minus what may still arrive
    seen: Seen = field(default_factory=dict)


def extended(kept: Baseline | None, start: datetime, end: datetime,
             read: Callable[[datetime, datetime], Seen]) -> tuple[Seen, Baseline]:
    """The values seen in [start, end): the kept ones plus what `read` finds in the time not read
    yet; and the baseline to keep for the next run. Reads everything when nothing usable is kept."""
    if kept is None or not start <= kept.read_until <= end:
        kept = Baseline(read_until=start)
    seen = merged(kept.seen, read(kept.read_until, end), oldest=start)
    return seen, Baseline(read_until=max(kept.read_until, end - SETTLE), seen=seen)


def merged(kept: Seen, found: Seen, oldest: datetime) -> Seen:
    """Both, each value with its latest time, without what was last seen before `oldest`."""
    combined: Seen = {key: dict(values) for key, values in kept.items()}
    for key, values in found.items():
        known = combined.setdefault(key, {})
        for value, when in values.items():
            known[value] = max(known.get(value, when), when)
    return {key: kept_values for key, values in combined.items()
            if (kept_values := {value: when for value, when in values.items() if when >= oldest})}


def baseline_key(check: Check) -> str:
    """What the seen values depend on: the query, the field and the grouping (not the window,
    thresholds or destinations, which a user changes without changing what was seen)."""
    text = orjson.dumps([check.query, check.field, list(check.group_by), check.count_by.value]).decode()
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class BaselineFile:
    """The kept baselines of every new_value check of every store (keyed by store URL and check)."""

    def __init__(self, path: str | Path, store_url: str) -> None:
        self.path = Path(path).expanduser()
        self.store_url = store_url
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(self.path, timeout=30)
        self._connection.execute("PRAGMA journal_mode=WAL")
        with self._connection:
            self._connection.execute("CREATE TABLE IF NOT EXISTS baseline (store TEXT NOT NULL, check_name TEXT "
                                     "NOT NULL, key TEXT NOT NULL, baseline TEXT NOT NULL, "
                                     "PRIMARY KEY (store, check_name))")

    @staticmethod
    def beside(state_path: Path, store_url: str) -> "BaselineFile":
        return BaselineFile(state_path.with_name("check-baselines.sqlite"), store_url)

    def load(self, check: Check) -> Baseline | None:
        row = self._connection.execute("SELECT key, baseline FROM baseline WHERE store = ? AND check_name = ?",
                                       (self.store_url, check.name)).fetchone()
        if row is None or row[0] != baseline_key(check):
            return None
        document = orjson.loads(row[1])
        return Baseline(read_until=datetime.fromisoformat(document["read_until"]), seen={
            tuple(item["key"]): {value: datetime.fromisoformat(when) for value, when in item["values"].items()}
            for item in document["seen"]})

    def save(self, check: Check, baseline: Baseline) -> None:
        document = {"read_until": baseline.read_until.isoformat(), "seen": [
            {"key": list(key), "values": {value: when.isoformat() for value, when in values.items()}}
            for key, values in baseline.seen.items()]}
        with self._connection:
            self._connection.execute("INSERT OR REPLACE INTO baseline VALUES (?, ?, ?, ?)",
                                     (self.store_url, check.name, baseline_key(check), orjson.dumps(document).decode()))

    def close(self) -> None:
        self._connection.close()
