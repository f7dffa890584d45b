"""Log objects → records → events → store, in short batches, with a ledger and a quarantine.

An object's ledger entry is written in the same transaction as its last events, so a run that
stops anywhere loses nothing: the next run reads again every object not in the ledger, and events
already stored are recognised by their identity and counted as duplicates.
"""

from __future__ import annotations

import gc
import time
from contextlib import contextmanager
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from itertools import islice
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from tattletrail.event import Event, normalize
from tattletrail.ingest.summary import IngestSummary
from tattletrail.reader import Problem, Skipped, read_records
from tattletrail.sources.base import LogObject
from tattletrail.stores.base import Batch, LedgerEntry, QuarantineEntry, Store, WriteResult
from tattletrail.timespec import utc_now

if TYPE_CHECKING:
    from tattletrail.rules import RuleSet
    from tattletrail.rules.alerts import RuleAlerter
    from tattletrail.rules.ruleset import CompiledRule

# Events per write transaction: None leaves it to the store (its `transaction_events`).
BATCH_EVENTS: int | None = None
# Events read and scored before they go to the store: what bounds the ingester's memory.
READ_BATCH_EVENTS = 20_000
LEDGER_LOOKUP_CHUNK = 1_000
LEDGER_LOOKUP_CHUNK_LATER = 20_000
# A problem that says nothing about the content: the object is read again on the next run.
TRANSIENT_REASONS = {"unreadable"}


Progress = Callable[[IngestSummary, LogObject], None]
# Which events to store (the CLI's --account/--region/--since/--until on local files); an object
# with events left out is not ledgered, so a later run without the filter still reads it.
KeepEvent = Callable[[Event], bool]


def ingest(objects: Iterable[LogObject], store: Store, *, batch_events: int | None = BATCH_EVENTS,
           on_object: Progress | None = None, should_stop: Callable[[], bool] | None = None,
           rules: RuleSet | None = None, alerter: RuleAlerter | None = None,
           keep: KeepEvent | None = None) -> IngestSummary:
    """Read every object not yet in the ledger into `store`; return what happened.

    With `rules`, every event is scored before it is stored; `alerter` sends the alerts of rules
    with destinations once their batch is stored.

    `should_stop` is asked before each object: once it says yes, what was read is written and the
    run ends (a worker told to stop finishes its current object, and no more). Ctrl-C ends the run
    too: the batches already handed to the store are written, the rest is read again next time.
    """
    summary = IngestSummary(store=store.url)
    started = time.perf_counter()
    transaction = batch_events or store.transaction_events
    scorer = _Scorer(rules, alerter, summary)
    with _collector_paused(), _BackgroundWriter(store, summary, scorer, transaction) as writer:
        batches = _Batches(writer, min(transaction, READ_BATCH_EVENTS))
        try:
            for log_object in _not_ledgered(objects, store, summary):
                if should_stop and should_stop():
                    break
                count = _read_object(log_object, batches, summary, keep)
                if count is not None:
                    batches.current.ledger.append(LedgerEntry(log_object.uri, log_object.etag, count, utc_now()))
                summary.objects += 1
                batches.write_if_full()
                if on_object:
                    on_object(summary, log_object)
        except KeyboardInterrupt:
            summary.interrupted = True
        else:
            batches.write(final=True)
    summary.seconds = time.perf_counter() - started
    return summary


class _Batches:
    """The batch being filled. It goes to the writer as soon as it holds `size` events, even in
    the middle of an object, so memory stays bounded whatever the file size; an object's ledger
    entry goes with its last events (a run stopped in between reads the object again, and its
    stored events count as duplicates)."""

    def __init__(self, writer: "_BackgroundWriter", size: int) -> None:
        self._writer, self._size = writer, size
        self.current = Batch()

    def write_if_full(self) -> None:
        if len(self.current) >= self._size:
            self.write()

    def write(self, final: bool = False) -> None:
        self._writer.write(self.current, final)
        self.current = Batch()


class _BackgroundWriter:
    """Writes in a thread while the next batches are read. Stores release the GIL while they
    work, so reading and writing overlap on two cores.

    The store gets each batch prepared as soon as it is read, and written with the next ones in
    one transaction of up to `transaction` events (stores/base.py Store). What a batch's events
    trigger (its rule alerts) happens once they are stored."""

    def __init__(self, store: Store, summary: IngestSummary, scorer: "_Scorer", transaction: int) -> None:
        self._store = store
        self._transaction = transaction
        self._summary = summary
        self._scorer = scorer
        self._joined: list[Any] = []  # prepared batches waiting for the next transaction
        self._joined_events = 0
        self._joined_after: list[Callable[[], None]] = []
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-writer")
        self._pending: Future[WriteResult] | None = None
        self._after_stored: list[Callable[[], None]] = []

    def write(self, batch: Batch, final: bool = False) -> None:
        """Take a batch; `final`: nothing follows it, so write everything taken."""
        after_stored = self._scorer.score(batch)  # while the previous batch is being written
        if batch.events or batch.quarantine or batch.ledger:
            self._joined.append(self._store.prepare(batch))
            self._joined_events += len(batch.events)
            if after_stored:
                self._joined_after.append(after_stored)
        if self._joined and (final or self._joined_events >= self._transaction):
            parts, after = self._joined, self._joined_after
            self._joined, self._joined_events, self._joined_after = [], 0, []
            self._submit(partial(self._store.write_prepared, parts), after)

    def _submit(self, write: Callable[[], WriteResult], after_stored: list[Callable[[], None]]) -> None:
        self._wait()
        self._pending = self._executor.submit(write)
        self._after_stored = after_stored

    def _wait(self) -> None:
        if self._pending is not None:
            result = self._pending.result()  # a store error surfaces here, in the caller's thread
            self._pending = None
            self._summary.ingested += result.inserted
            self._summary.duplicates += result.duplicates
            if result.refused:
                self._summary.quarantined += result.refused
                self._summary.quarantine_reasons["rejected-by-store"] += result.refused
            after_stored, self._after_stored = self._after_stored, []
            for action in after_stored:
                action()

    def __enter__(self) -> "_BackgroundWriter":
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self._wait()
        finally:
            self._executor.shutdown(wait=True)


class _Scorer:
    """Applies the rules to a batch; hands back what to do once it is stored (send its alerts)."""

    def __init__(self, rules: RuleSet | None, alerter: RuleAlerter | None, summary: IngestSummary) -> None:
        self._rules, self._alerter, self._summary = rules, alerter, summary

    def score(self, batch: Batch) -> Callable[[], None] | None:
        if self._rules is None:
            return None
        hits: list[tuple[CompiledRule, Event]] = []
        levels = self._summary.threat_levels
        wants = self._alerter.wants if self._alerter is not None else None
        for event in batch.events:
            found = self._rules.score(event)
            levels[event.threat_level] += 1
            if wants is not None and found:
                hits.extend((rule, event) for rule in found if wants(rule))
        if not hits:
            return None
        return lambda: self._send(hits)

    def _send(self, hits: list[Any]) -> None:
        assert self._alerter is not None
        self._alerter.deliver(hits)
        self._summary.alerts_sent = self._alerter.delivery.sent
        self._summary.alerts_failed = list(self._alerter.delivery.failed)


def _read_object(log_object: LogObject, batches: _Batches, summary: IngestSummary,
                 keep: KeepEvent | None = None) -> int | None:
    """Add the object's events and problems to the batches; the event count, or None when the
    object must not be ledgered (to retry later, or some of its events were filtered out)."""
    count = 0
    retry_later = filtered = False
    try:
        stream = log_object.open()
    except OSError as error:
        items: Iterable[Any] = [Problem("file", "unreadable", str(error))]
    else:
        items = _closing(stream, read_records(log_object.uri, stream))
    for item in items:
        if isinstance(item, dict):
            event = normalize(item, log_object.uri)
            if keep is not None and not keep(event):
                summary.filtered += 1
                filtered = True
                continue
            batches.current.events.append(event)
            count += 1
            batches.write_if_full()
            if event.event_time and (summary.newest_event_time is None
                                     or event.event_time > summary.newest_event_time):
                summary.newest_event_time = event.event_time
        elif isinstance(item, Problem):
            batches.current.quarantine.append(QuarantineEntry(
                log_object.uri, item.location, item.reason, item.detail, item.sample, utc_now()))
            summary.quarantined += 1
            summary.quarantine_reasons[item.reason] += 1
            retry_later = retry_later or item.reason in TRANSIENT_REASONS
        elif isinstance(item, Skipped):
            summary.skipped += 1
            summary.skipped_reasons[item.reason] += 1
    return None if retry_later or filtered else count


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while records are read. Parsed records hold no cycles (reference
    counting frees them), but a batch in memory is millions of objects, and every collection walked
    them: half the ingest time went there."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _closing(stream: Any, items: Iterator[Any]) -> Iterator[Any]:
    with stream:
        yield from items


def _not_ledgered(objects: Iterable[LogObject], store: Store, summary: IngestSummary) -> Iterator[LogObject]:
    """Objects not yet ingested. The first lookup is small, so work starts at once; later ones are
    large, because each waits for the store's write in progress (one file, one writer)."""
    iterator = iter(objects)
    size = LEDGER_LOOKUP_CHUNK
    while chunk := list(islice(iterator, size)):
        size = LEDGER_LOOKUP_CHUNK_LATER
        done = store.ledgered([log_object.uri for log_object in chunk])
        for log_object in chunk:
            if done.get(log_object.uri) == log_object.etag:
                summary.skipped += 1
                summary.skipped_reasons["already-ingested"] += 1
            else:
                yield log_object
