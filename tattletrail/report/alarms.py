"""Which checks are not OK right now, as the checker's state file (checks/state.py) says.

The report only reads: the file is opened read-only and never created, and the one thing it
relies on is the state's JSON form (`CheckState.from_json`), so the checker can change how it
keeps state without the report noticing. No file means no checker ran against this store from
here: the report says the checks' state is unknown rather than that all is well.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson

from tattletrail.alert import Status
from tattletrail.checks.state import CheckState
from tattletrail.report.model import Alarm, CheckStatus


def check_status(path: str | Path, store_url: str, group_by: dict[str, list[str]] | None = None) -> CheckStatus:
    """The checks of `store_url` whose latest status (in any group) is not OK, worst first.
    `group_by` (check name → its group_by fields) names each group's values."""
    path = Path(path).expanduser()
    if not path.is_file():
        return CheckStatus(str(path), missing=True)
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        rows = connection.execute("SELECT check_name, state FROM check_state WHERE store = ?",
                                  (store_url,)).fetchall()
    except sqlite3.OperationalError as error:
        raise sqlite3.OperationalError(f"{path}: not a check state file ({error}); give --state the file "
                                       "`tattletrail checker` keeps") from None
    finally:
        connection.close()
    alarms = []
    for name, text in rows:
        state = CheckState.from_json(orjson.loads(text))
        for key, group in state.groups.items():
            if group.status is not Status.OK:
                alarms.append(Alarm(name, _group(key, (group_by or {}).get(name)), group.status.name, group.notified_at, state.last_end))
    alarms.sort(key=lambda alarm: (-Status[alarm.status], alarm.check, sorted(alarm.group.items())))
    return CheckStatus(str(path), alarms, missing=not rows)


def _group(key: tuple[str, ...], fields: list[str] | None) -> dict[str, str]:
    """The state keeps group values only, in group_by order; unnamed (a check not loaded), by position."""
    if fields and len(fields) == len(key):
        return dict(zip(fields, key))
    return {f"group{index + 1}": value for index, value in enumerate(key)}
