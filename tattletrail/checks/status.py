"""`check status`: what each check and group is now, read from the state file (no store query).

For each check: its groups' status and since when, what was last notified and when, the alerts
still waiting in the outbox for that check and group, and the silence that covers it now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from tattletrail.alert import Status
from tattletrail.checks.model import Check
from tattletrail.checks.silence import Silence, covering
from tattletrail.checks.state import CheckState, GroupState
from tattletrail.destinations.outbox import OutboxEntry
from tattletrail.timespec import iso_utc


@dataclass(frozen=True)
class GroupStatus:
    check: str
    group: dict[str, str]
    status: Status | None          # None: the check never ran against this store
    since: datetime | None
    notified: Status | None
    notified_at: datetime | None
    suppressed: int = 0
    silenced: int = 0               # notifications held back by silences since the last one
    last_window_end: datetime | None = None
    pending: tuple[OutboxEntry, ...] = ()
    silence: Silence | None = None
    enabled: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "group": dict(self.group), "status": self.status.name if self.status is not None else None,
                "since": iso_utc(self.since), "last_notified": self.notified.name if self.notified is not None else None,
                "last_notified_at": iso_utc(self.notified_at), "suppressed": self.suppressed, "silenced": self.silenced,
                "last_window_end": iso_utc(self.last_window_end), "enabled": self.enabled,
                "pending": [{"destination": entry.destination, "status": entry.alert.status.name,
                             "alert_id": entry.alert.alert_id, "attempts": entry.attempts,
                             "last_error": entry.last_error} for entry in self.pending],
                "silence": self.silence.to_json() if self.silence else None}


@dataclass
class StatusReport:
    groups: list[GroupStatus] = field(default_factory=list)
    silences: list[Silence] = field(default_factory=list)


def status_of(checks: list[Check], states: dict[str, CheckState], pending: list[OutboxEntry],
              silences: list[Silence], now: datetime) -> StatusReport:
    """Every check's groups as the state file has them; a check with state but no outstanding
    group is one OK line (since its last counted window)."""
    report = StatusReport(silences=[silence for silence in silences if silence.until > now])
    for check in checks:
        state = states.get(check.name)
        if state is None or state.fingerprint != check.fingerprint:
            report.groups.append(GroupStatus(check.name, {}, None, None, None, None, enabled=check.enabled,
                                             silence=covering(silences, check.name, {}, now)))
            continue
        groups: Mapping[tuple[str, ...], GroupState | None] = state.groups or {(): None}
        for key, group in groups.items():
            labels = dict(zip(check.group_by, key))
            waiting = tuple(entry for entry in pending if entry.alert.check == check.name and entry.alert.group == labels)
            report.groups.append(GroupStatus(
                check.name, labels, group.status if group else Status.OK, group.since if group else None,
                group.notified if group else Status.OK, group.notified_at if group else None,
                group.suppressed if group else 0, group.silenced if group else 0, state.last_end, waiting,
                covering(silences, check.name, labels, now), check.enabled))
    return report
