"""Silences: a check (or one group of it) that is still evaluated and recorded, but not notified.

Two sources, one shape: `tattletrail check silence NAME [--group actor=ci-deploy] --for 2h --reason …`
(kept in the state file, table `silences`) and maintenance windows in the config
(`checker: maintenance:`). `Silence.covers` is pure; evaluate.py asks it for each notification.
A silenced breach leaves "what was last notified" as it was, so when the silence ends a breach
still under way is notified at the next run (and a recovery during the silence, of a breach notified
before it, is notified then too).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

import orjson

from tattletrail.config import MaintenanceWindow
from tattletrail.timespec import iso_utc

ANY_CHECK = "*"


@dataclass(frozen=True)
class Silence:
    check: str                                   # a check name, or "*" for every check
    until: datetime                              # naive UTC; the silence covers [start, until)
    reason: str = ""
    group: dict[str, str] = field(default_factory=dict)  # only groups with these values (empty: all)
    start: datetime | None = None                # None: from when it was made
    source: str = "silence"                      # silence | maintenance

    def covers(self, check: str, group: dict[str, str], now: datetime) -> bool:
        if self.check not in (check, ANY_CHECK):
            return False
        if not (self.start is None or self.start <= now) or now >= self.until:
            return False
        return all(group.get(name) == value for name, value in self.group.items())

    @property
    def label(self) -> str:
        target = self.check + (f" [{', '.join(f'{k}={v}' for k, v in sorted(self.group.items()))}]" if self.group else "")
        return f"{self.source} of {target} until {self.until:%Y-%m-%d %H:%M} UTC" + (
            f" ({self.reason})" if self.reason else "")

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "group": dict(self.group), "start": _text(self.start),
                "until": _text(self.until), "reason": self.reason, "source": self.source}


def maintenance_silences(windows: Iterable[MaintenanceWindow]) -> list[Silence]:
    """The config's maintenance windows as silences (one per check named, or one for every check)."""
    return [Silence(name, window.end, window.reason, dict(window.group), window.start, "maintenance")
            for window in windows for name in (window.checks or [ANY_CHECK])]


class SilenceBook:
    """What the runner asks at each run: the silences in force (the state file's and the config's)."""

    def __init__(self, silence_file: SilenceFile | None, windows: Iterable[MaintenanceWindow] = ()) -> None:
        self.silence_file = silence_file
        self.maintenance = maintenance_silences(windows)

    def in_force(self, now: datetime) -> list[Silence]:
        made = self.silence_file.active(now) if self.silence_file else []
        return made + [silence for silence in self.maintenance if silence.covers(silence.check, silence.group, now)]


def covering(silences: Iterable[Silence], check: str, group: dict[str, str], now: datetime) -> Silence | None:
    return next((silence for silence in silences if silence.covers(check, group, now)), None)


def parse_group(items: list[str] | None) -> dict[str, str]:
    """`--group actor=ci-deploy` (repeatable) → {"actor": "ci-deploy"}."""
    group = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--group {item!r}: write FIELD=VALUE, e.g. --group actor=ci-deploy")
        group[name] = value
    return group


def _text(moment: datetime | None) -> str | None:
    return iso_utc(moment)


class SilenceFile:
    """Silences made at the command line, in the checker's state file (its own table)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("CREATE TABLE IF NOT EXISTS silences (check_name TEXT NOT NULL, grp TEXT NOT NULL, "
                               "until TEXT NOT NULL, reason TEXT NOT NULL, created_at TEXT NOT NULL, "
                               "PRIMARY KEY (check_name, grp))")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def add(self, silence: Silence, now: datetime) -> None:
        """Silence a check (and group); silencing it again replaces the earlier one."""
        with self._connect() as connection:
            connection.execute("INSERT OR REPLACE INTO silences VALUES (?, ?, ?, ?, ?)",
                               (silence.check, _group_text(silence.group), silence.until.isoformat(),
                                silence.reason, now.isoformat()))

    def remove(self, check: str, group: dict[str, str] | None = None) -> int:
        """Remove a check's silence of one group, or all its silences (group None); how many went."""
        with self._connect() as connection:
            if group is None:
                return connection.execute("DELETE FROM silences WHERE check_name = ?", (check,)).rowcount
            return connection.execute("DELETE FROM silences WHERE check_name = ? AND grp = ?",
                                      (check, _group_text(group))).rowcount

    def active(self, now: datetime) -> list[Silence]:
        return [silence for silence in self.all() if silence.until > now]

    def all(self) -> list[Silence]:
        with self._connect() as connection:
            rows = connection.execute("SELECT check_name, grp, until, reason, created_at FROM silences "
                                      "ORDER BY check_name, grp").fetchall()
        return [Silence(check, datetime.fromisoformat(until), reason, orjson.loads(group),
                        datetime.fromisoformat(created)) for check, group, until, reason, created in rows]

    def expire(self, now: datetime) -> list[Silence]:
        """Remove the silences that have ended; returns them (the checker logs each)."""
        ended = [silence for silence in self.all() if silence.until <= now]
        with self._connect() as connection:
            connection.execute("DELETE FROM silences WHERE until <= ?", (now.isoformat(),))
        return ended


def _group_text(group: dict[str, str]) -> str:
    return orjson.dumps(dict(sorted(group.items()))).decode()
