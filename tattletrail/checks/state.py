"""What a check remembers between runs, and the SQLite file that keeps it across restarts.

One file holds the state of every check of every store (keyed by store URL and check name), so
pointing the checker at another store never mixes the two. Default location: `checks-state.sqlite`
in the user data directory; `--state` or $TATTLETRAIL_CHECK_STATE name another file.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import platformdirs

from tattletrail.alert import Status

ENV_STATE = "TATTLETRAIL_CHECK_STATE"

GroupKey = tuple[str, ...]  # the group's values, in group_by order; () for an ungrouped check


@dataclass
class GroupState:
    """One check and group: what it is now, and what someone was last told."""

    status: Status = Status.OK
    consecutive: int = 0  # breaches in a row (WARNING or CRITICAL)
    notified: Status = Status.OK  # the last status notified; OK means nothing is outstanding
    notified_at: datetime | None = None
    suppressed: int = 0  # repeats held back by `refresh` since the last notification
    since: datetime | None = None  # when `status` began
    silenced: int = 0  # notifications held back by a silence or maintenance window since the last one

    @property
    def is_quiet(self) -> bool:
        """Nothing to remember: OK, nothing outstanding, nothing pending."""
        return (self.status is Status.OK and self.notified is Status.OK and not self.consecutive
                and not self.suppressed)


@dataclass
class CheckState:
    fingerprint: str = ""
    last_end: datetime | None = None  # end of the last window counted successfully
    groups: dict[GroupKey, GroupState] = field(default_factory=dict)
    # new_value: group → value → the end of the last window it was seen in. None: not built yet.
    seen: dict[GroupKey, dict[str, datetime]] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "last_end": _text(self.last_end),
            "groups": [{"key": list(key), "status": group.status.name, "consecutive": group.consecutive,
                        "notified": group.notified.name, "notified_at": _text(group.notified_at),
                        "suppressed": group.suppressed, "since": _text(group.since),
                        "silenced": group.silenced} for key, group in self.groups.items()],
            "seen": None if self.seen is None else [
                {"key": list(key), "values": {value: _text(when) for value, when in values.items()}}
                for key, values in self.seen.items()],
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> "CheckState":
        groups = {tuple(item["key"]): GroupState(
            status=Status[item["status"]], consecutive=item["consecutive"], notified=Status[item["notified"]],
            notified_at=_time(item["notified_at"]), suppressed=item["suppressed"], since=_time(item.get("since")),
            silenced=item.get("silenced", 0)) for item in document["groups"]}
        seen = None if document.get("seen") is None else {
            tuple(item["key"]): {value: _time(when) for value, when in item["values"].items()}
            for item in document["seen"]}
        return cls(fingerprint=document["fingerprint"], last_end=_time(document["last_end"]), groups=groups,
                   seen=seen)  # type: ignore[arg-type]


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def default_state_path() -> Path:
    if os.environ.get(ENV_STATE):
        return Path(os.environ[ENV_STATE])
    return Path(platformdirs.user_data_dir("tattletrail")) / "checks-state.sqlite"


class StateFile:
    """Check states in SQLite: each save is one short transaction, so a kill never half-writes."""

    def __init__(self, path: str | Path, store_url: str) -> None:
        self.path = Path(path).expanduser()
        self.store_url = store_url
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection: sqlite3.Connection | None = None
        with self._connect() as connection:
            connection.execute("CREATE TABLE IF NOT EXISTS check_state (store TEXT NOT NULL, check_name TEXT "
                               "NOT NULL, state TEXT NOT NULL, PRIMARY KEY (store, check_name))")

    def _connect(self) -> sqlite3.Connection:
        """One connection for this process. WAL lets `check run --notify` and the daemon share the
        file; synchronous=NORMAL skips an fsync per save (a power cut may lose the last save, which
        at worst repeats one notification; the file itself stays consistent)."""
        if self._connection is None:
            self._connection = sqlite3.connect(self.path, timeout=30)
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def load(self, check_name: str, fingerprint: str) -> CheckState:
        """The saved state, or a fresh one if there is none or the check's query/grouping changed."""
        row = self._connect().execute("SELECT state FROM check_state WHERE store = ? AND check_name = ?",
                                      (self.store_url, check_name)).fetchone()
        if row is None:
            return CheckState(fingerprint=fingerprint)
        state = CheckState.from_json(orjson.loads(row[0]))
        return state if state.fingerprint == fingerprint else CheckState(fingerprint=fingerprint)

    def saved(self) -> dict[str, CheckState]:
        """Every check's saved state for this store, by check name (`check status`)."""
        rows = self._connect().execute("SELECT check_name, state FROM check_state WHERE store = ?",
                                       (self.store_url,)).fetchall()
        return {name: CheckState.from_json(orjson.loads(text)) for name, text in rows}

    def save(self, check_name: str, state: CheckState) -> None:
        with self._connect() as connection:  # one transaction
            connection.execute("INSERT OR REPLACE INTO check_state VALUES (?, ?, ?)",
                               (self.store_url, check_name, orjson.dumps(state.to_json()).decode()))
