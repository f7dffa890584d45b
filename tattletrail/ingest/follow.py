"""Follow a trail bucket: list it again and again, reading only what the ledger has not seen.

Each round lists from the day folder of the newest file seen, less a lookback: CloudTrail names a
file by the time it delivers it, but a region or account can deliver late, and a file can land in
an older day folder after a newer one was listed. The lookback (1 hour by default) covers that;
the ledger makes re-listing a day cheap (no file is downloaded twice). The first round lists from
`since` (everything when not given), so a follower started on a known bucket first catches up.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Iterator

from tattletrail.ingest.pipeline import BATCH_EVENTS, ingest
from tattletrail.ingest.summary import IngestSummary, add_summary, later
from tattletrail.sources.base import LogObject, SourceError
from tattletrail.sources.registry import SourceOptions, open_source
from tattletrail.sources.s3 import delivery_time_of
from tattletrail.stores.base import Store

log = logging.getLogger(__name__)

# Called after each round with what it did and the newest delivery time listed so far.
RoundReport = Callable[[IngestSummary, "datetime | None"], None]


def follow(uri: str, store: Store, stop: threading.Event, *, every: timedelta, lookback: timedelta = timedelta(hours=1),
           options: SourceOptions | None = None, batch_events: int | None = BATCH_EVENTS,
           on_round: RoundReport | None = None, rounds: int | None = None, rules: Any = None,
           alerter: Any = None) -> IngestSummary:
    """Ingest `uri` every `every` until `stop` is set (or after `rounds` rounds); the totals.

    `options` as for any source; its `since` is where the first round starts listing, and its
    `until` is not used (a follower has no end).

    A listing that fails on the first round is an error (a wrong bucket, no access); on a later
    round it is logged and the next round tries again, so an outage doesn't end the follower.
    """
    options = options or SourceOptions()
    since = options.since
    total = IngestSummary(store=store.url)
    newest: datetime | None = None
    done = 0
    while not stop.is_set():
        listing = _Newest()
        start = list_from(newest, lookback, since)
        objects = open_source(uri, replace(options, since=start, until=None))
        try:
            part = ingest(listing.watch(objects), store, batch_events=batch_events, should_stop=stop.is_set,
                          rules=rules, alerter=alerter)
        except SourceError as error:
            if done == 0:
                raise
            log.error("%s: this round failed, trying again in %s: %s", uri, every, error)
        else:
            newest = later(newest, listing.newest)
            add_summary(total, part)
            if on_round:
                on_round(part, newest)
        done += 1
        if rounds is not None and done >= rounds:
            break
        stop.wait(every.total_seconds())
    return total


def list_from(newest: datetime | None, lookback: timedelta, since: datetime | None) -> datetime | None:
    """Where a round starts listing: the newest file's day folder less the lookback, never before `since`."""
    if newest is None:
        return since
    start = newest.replace(hour=0, minute=0, second=0, microsecond=0) - lookback
    return max(start, since) if since else start


class _Newest:
    """Remembers the newest delivery time among the objects listed."""

    def __init__(self) -> None:
        self.newest: datetime | None = None

    def watch(self, objects: Iterable[LogObject]) -> Iterator[LogObject]:
        for log_object in objects:
            self.newest = later(self.newest, delivery_time_of(log_object.uri))
            yield log_object
