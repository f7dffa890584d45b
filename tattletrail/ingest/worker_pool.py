"""Many queue workers on one host: processes sharing a queue, their totals and metrics in one place.

Each worker is a process of its own (Python threads would share one core for reading JSON); SQS
hands each message to one worker at a time, and the embedded store takes one short write
transaction at a time from any of them. The parent only starts the workers, forwards SIGTERM to
them, and adds up what they report, for the summary and the metrics.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import threading
from dataclasses import dataclass
from typing import Any

from tattletrail.ingest.continuous import stop_on_signals
from tattletrail.ingest.pipeline import BATCH_EVENTS
from tattletrail.ingest.queue_worker import DOWNLOAD_THREADS, BatchOutcome, BatchReport, QueueWorker
from tattletrail.ingest.scoring import rules_for_ingest
from tattletrail.ingest.summary import IngestSummary, add_summary
from tattletrail.sources.base import SourceError
from tattletrail.sources.s3 import KeyFilter, s3_client
from tattletrail.sources.sqs import queue_depth, sqs_client

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueSettings:
    """Everything a worker process needs to build its own clients and store (so it can be pickled)."""

    queue_url: str
    store_url: str
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    profile: str | None = None
    endpoint_url: str | None = None
    visibility_timeout: int | None = None
    wait_seconds: int = 10
    batch_events: int | None = BATCH_EVENTS
    score: bool = True  # threat rules at ingest, as `tattletrail ingest` (False: --no-rules)
    rules_dir: str | None = None


def queue_worker(settings: QueueSettings, on_batch: BatchReport | None = None) -> QueueWorker:
    from tattletrail.stores import open_store

    store = open_store(settings.store_url, create=True)
    sqs = sqs_client(settings.queue_url, settings.profile, settings.endpoint_url)
    s3 = s3_client(settings.profile, settings.endpoint_url, connections=DOWNLOAD_THREADS + 2)
    # the rule set and alerter are loaded in each worker process (they don't cross processes)
    rules, alerter = rules_for_ingest(settings.rules_dir, not settings.score)
    return QueueWorker(settings.queue_url, store, sqs=sqs, s3=s3,
                       keys=KeyFilter(frozenset(settings.accounts), frozenset(settings.regions)),
                       visibility_timeout=settings.visibility_timeout, wait_seconds=settings.wait_seconds,
                       batch_events=settings.batch_events, on_batch=on_batch, rules=rules, alerter=alerter)


def run_queue(settings: QueueSettings, stop: threading.Event, *, workers: int = 1, drain: bool = False,
              on_batch: BatchReport | None = None) -> IngestSummary:
    """Run `workers` queue workers until `stop` (or, with `drain`, until each finds the queue empty).

    One worker runs in this process; more run as processes, and `on_batch` is called here for each
    batch any of them finishes. A worker that fails stops the others: the run fails loudly.
    """
    worker = queue_worker(settings, on_batch)  # checks the queue and the store before anything starts
    if workers == 1:
        return _run(worker, stop, drain)
    _close_alerter(worker)  # the processes below do the work, each with its own
    context = multiprocessing.get_context("spawn")
    reports: Any = context.Queue()
    processes = [context.Process(target=_work, args=(settings, drain, reports), name=f"tattletrail-sqs-{number}")
                 for number in range(1, workers + 1)]
    for process in processes:
        process.start()
    total = IngestSummary(store=settings.store_url)
    signalled = False
    while any(process.is_alive() for process in processes):
        failed = [process for process in processes if process.exitcode not in (None, 0)]
        if (stop.is_set() or failed) and not signalled:
            signalled = True
            for process in processes:
                if process.is_alive() and process.pid is not None:
                    os.kill(process.pid, signal.SIGTERM)
        _take_reports(reports, total, on_batch, timeout=0.2)
    _take_reports(reports, total, on_batch, timeout=0.2, until_empty=True)
    failed = [process for process in processes if process.exitcode != 0]
    if failed:
        names = ", ".join(f"{process.name} (exit code {process.exitcode})" for process in failed)
        raise SourceError(f"queue worker(s) failed: {names}; their messages reappear after the visibility "
                          "timeout, so nothing is lost: see the log above for why")
    return total


def _take_reports(reports: Any, total: IngestSummary, on_batch: BatchReport | None, timeout: float,
                  until_empty: bool = False) -> None:
    while True:
        try:
            outcome: BatchOutcome = reports.get(timeout=timeout)
        except queue.Empty:
            return
        add_summary(total, outcome.summary)
        if on_batch:
            on_batch(outcome)
        if not until_empty:
            return


def _work(settings: QueueSettings, drain: bool, reports: Any) -> None:
    """A worker process: its own clients and store, stopping cleanly on SIGTERM."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(processName)s %(levelname)s %(message)s")
    stop = threading.Event()
    stop_on_signals(stop)
    _run(queue_worker(settings, reports.put), stop, drain)


def _run(worker: QueueWorker, stop: threading.Event, drain: bool) -> IngestSummary:
    try:
        return worker.run(stop, drain)
    finally:
        _close_alerter(worker)


def _close_alerter(worker: QueueWorker) -> None:
    """Rule alerts still being delivered finish (or stay in the outbox) before the worker ends."""
    if worker.alerter is not None:
        worker.alerter.close()


class QueueDepthPoller:
    """Polls the queue's approximate depth into the metrics, every `every` seconds, in a daemon thread."""

    def __init__(self, sqs: Any, queue_url: str, gauge: Any, every: float = 15.0) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._gauge = gauge
        self._every = every
        self._done = threading.Event()

    def poll(self) -> None:
        try:
            visible, in_flight = queue_depth(self._sqs, self._queue_url)
        except Exception as error:  # noqa: BLE001 - a metric must not stop the ingest; say so and go on
            log.warning("%s: could not read the queue depth: %s", self._queue_url, error)
            self._gauge.labels("visible").set(float("nan"))
            return
        self._gauge.labels("visible").set(visible)
        self._gauge.labels("in_flight").set(in_flight)

    def start(self) -> "QueueDepthPoller":
        self.poll()
        threading.Thread(target=self._run, name="sqs-depth", daemon=True).start()
        return self

    def stop(self) -> None:
        self._done.set()

    def _run(self) -> None:
        while not self._done.wait(self._every):
            self.poll()
