"""The long-running forms of an ingest: `--sqs` workers and `--follow`, with `--metrics-port`.

Both run until SIGTERM or Ctrl-C (continuous.py), log each round or batch, and feed the metrics.
"""

from __future__ import annotations

import logging
import threading
from contextlib import nullcontext
from datetime import datetime
from typing import Callable

from tattletrail.ingest.continuous import stop_on_signals
from tattletrail.ingest.metrics import IngestMetrics
from tattletrail.ingest.options import IngestOptions, IngestUsageError, QueueOptions
from tattletrail.ingest.summary import IngestSummary
from tattletrail.metrics import REGISTRY, serve_metrics
from tattletrail.stores.base import Store

log = logging.getLogger("tattletrail")

Announce = Callable[[str], None]


def run_long(options: IngestOptions, store: Store, announce: Announce = log.info) -> IngestSummary:
    """`ingest --sqs` or `ingest s3://… --follow`: checks the combination, then runs until stopped.
    `announce` is told, once, what is being read and how to stop it."""
    if options.sqs and (options.sources or options.follow):
        raise IngestUsageError("--sqs reads what the queue announces: give no SOURCES and no --follow")
    if options.sqs:
        return run_sqs(options, options.sqs, store, announce)
    if not options.follow:
        raise IngestUsageError("--metrics-port is for the long-running forms: --sqs or --follow")
    if len(options.sources) != 1 or not options.sources[0].startswith("s3://"):
        raise IngestUsageError("--follow takes one s3://bucket/prefix", param_hint="SOURCES")
    return run_follow(options, store)


def run_sqs(options: IngestOptions, queue: QueueOptions, store: Store, announce: Announce) -> IngestSummary:
    from tattletrail.ingest.queue_worker import BatchOutcome
    from tattletrail.ingest.worker_pool import QueueDepthPoller, QueueSettings, run_queue
    from tattletrail.sources.sqs import sqs_client

    source = options.source
    settings = QueueSettings(queue.queue_url, store.url, source.accounts, source.regions, source.profile,
                             source.endpoint_url, queue.visibility_timeout, queue.wait_seconds,
                             options.batch_events, not options.no_rules, options.rules_dir)
    _logging()
    stop = threading.Event()
    stop_on_signals(stop)
    metrics = _metrics(options.metrics_port)
    poller = None
    if metrics:
        poller = QueueDepthPoller(sqs_client(settings.queue_url, settings.profile, settings.endpoint_url),
                                  settings.queue_url, metrics.queue_depth).start()

    def observe(outcome: BatchOutcome) -> None:
        if metrics:
            metrics.observe(outcome.summary, outcome.newest_delivery)
            for result, count in outcome.messages.items():
                metrics.messages.labels(result).inc(count)

    announce(f"reading {settings.queue_url} with {queue.workers} worker(s); SIGTERM or Ctrl-C stops after the "
             "current object")
    try:
        return run_queue(settings, stop, workers=queue.workers, drain=queue.drain, on_batch=observe)
    finally:
        if poller:
            poller.stop()


def run_follow(options: IngestOptions, store: Store) -> IngestSummary:
    from tattletrail.ingest.follow import follow
    from tattletrail.ingest.scoring import rules_for_ingest

    assert options.follow is not None
    _logging()
    stop = threading.Event()
    stop_on_signals(stop)
    metrics = _metrics(options.metrics_port)

    def observe(summary: IngestSummary, newest_delivery: datetime | None) -> None:
        log.info("round: %d files, %d events stored, %d quarantined", summary.objects, summary.ingested,
                 summary.quarantined)
        if metrics:
            metrics.observe(summary, newest_delivery)

    rules, alerter = rules_for_ingest(options.rules_dir, options.no_rules)
    with alerter or nullcontext():
        return follow(options.sources[0], store, stop, every=options.follow.every, lookback=options.follow.lookback,
                      options=options.source, batch_events=options.batch_events, on_round=observe, rules=rules,
                      alerter=alerter)


def _logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    log.setLevel(logging.INFO)


def _metrics(port: int | None) -> IngestMetrics | None:
    if port is None:
        return None
    metrics = IngestMetrics(REGISTRY)
    serve_metrics(port)
    log.info("metrics on http://0.0.0.0:%d/metrics", port)
    return metrics
