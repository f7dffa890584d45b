"""`--account`, `--region`, `--since`, `--until` for sources that can't filter at the listing (local
files and folders): by the CloudTrail key layout when a path has it, and always by each event.

A file under `AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/` outside the filters is not even opened
(the S3 source's KeyFilter decides, so both read the layout the same way); every event read is then
kept only if its own account, region and eventTime are inside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from tattletrail.event import Event

if TYPE_CHECKING:
    from tattletrail.sources.s3 import KeyFilter


@dataclass
class EventFilter:
    accounts: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    since: datetime | None = None
    until: datetime | None = None
    files_outside: int = 0  # files left unopened by their key layout
    _keys: "KeyFilter | None" = field(default=None, repr=False)

    @property
    def active(self) -> bool:
        return bool(self.accounts or self.regions or self.since or self.until)

    def keeps_path(self, relative: str) -> bool:
        """False for a file whose layout puts it outside; a file off the layout is opened."""
        if self._keys is None:
            from tattletrail.sources.s3 import KeyFilter

            self._keys = KeyFilter(self.accounts, self.regions, self.since, self.until)
        on_layout = _on_layout(relative)
        if not on_layout or self._keys.keeps_key(relative):
            return True
        self.files_outside += 1
        return False

    def __call__(self, event: Event) -> bool:
        record = event.record
        if self.accounts and not ({event.account, record.get("recipientAccountId")} & self.accounts):
            return False
        if self.regions and record.get("awsRegion") not in self.regions:
            return False
        if self.since is not None and (event.event_time is None or event.event_time < self.since):
            return False
        return self.until is None or (event.event_time is not None and event.event_time < self.until)

    def describe(self) -> str:
        parts = [f"--account {','.join(sorted(self.accounts))}" if self.accounts else "",
                 f"--region {','.join(sorted(self.regions))}" if self.regions else "",
                 f"--since {self.since:%Y-%m-%d %H:%M:%S}Z" if self.since else "",
                 f"--until {self.until:%Y-%m-%d %H:%M:%S}Z" if self.until else ""]
        return " ".join(part for part in parts if part)


def _on_layout(relative: str) -> bool:
    from tattletrail.sources.s3 import _LAYOUT

    place = _LAYOUT.search(relative)
    return bool(place and place["day"] and place["rest"] and "/" not in place["rest"])
