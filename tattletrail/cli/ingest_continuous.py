"""The long-running forms of `tattletrail ingest`: `--sqs` workers and `--follow`, with `--metrics-port`."""

from __future__ import annotations

import logging
import threading
from contextlib import nullcontext
from datetime import datetime
from typing import Any

from tattletrail.cli.output import errors
from tattletrail.continuous import stop_on_signals
from tattletrail.ingest import IngestSummary
from tattletrail.metrics import REGISTRY, IngestMetrics, serve_metrics

log = logging.getLogger("tattletrail")


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


def run_sqs(settings: Any, *, workers: int, drain: bool, metrics_port: int | None) -> IngestSummary:
    from tattletrail.sources.sqs import sqs_client
    from tattletrail.sources.sqs_workers import QueueDepthPoller, run_queue

    _logging()
    stop = threading.Event()
    stop_on_signals(stop)
    metrics = _metrics(metrics_port)
    poller = None
    if metrics:
        poller = QueueDepthPoller(sqs_client(settings.queue_url, settings.profile, settings.endpoint_url),
                                  settings.queue_url, metrics.queue_depth).start()

    def observe(outcome: Any) -> None:
        if metrics:
            metrics.observe(outcome.summary, outcome.newest_delivery)
            for result, count in outcome.messages.items():
                metrics.messages.labels(result).inc(count)

    errors.print(f"reading {settings.queue_url} with {workers} worker(s); SIGTERM or Ctrl-C stops after the "
                 "current object", highlight=False)
    try:
        return run_queue(settings, stop, workers=workers, drain=drain, on_batch=observe)
    finally:
        if poller:
            poller.stop()


def run_follow(uri: str, store: Any, *, every: str, lookback: str, since: datetime | None, s3_options: dict[str, Any],
               batch_events: int | None, metrics_port: int | None, rules_dir: str | None, no_rules: bool) -> IngestSummary:
    from tattletrail.cli.rules import rules_for_ingest
    from tattletrail.sources.follow import follow
    from tattletrail.timespec import parse_duration

    _logging()
    stop = threading.Event()
    stop_on_signals(stop)
    metrics = _metrics(metrics_port)

    def observe(summary: IngestSummary, newest_delivery: datetime | None) -> None:
        log.info("round: %d files, %d events stored, %d quarantined", summary.objects, summary.ingested,
                 summary.quarantined)
        if metrics:
            metrics.observe(summary, newest_delivery)

    rules, alerter = rules_for_ingest(rules_dir, no_rules)
    with alerter or nullcontext():
        return follow(uri, store, stop, every=parse_duration(every), lookback=parse_duration(lookback), since=since,
                      s3_options=s3_options, batch_events=batch_events, on_round=observe, rules=rules,
                      alerter=alerter)


def run_continuous(sources: list[str], store: Any, *, sqs: str | None, workers: int, drain: bool,
                   visibility_timeout: int | None, wait_seconds: int, follow: bool, every: str, lookback: str,
                   since: datetime | None, accounts: list[str], regions: list[str], profile: str | None,
                   endpoint_url: str | None, batch_events: int | None, metrics_port: int | None,
                   rules_dir: str | None = None, no_rules: bool = False) -> IngestSummary:
    """`ingest --sqs` or `ingest s3://… --follow`: checks the combination, then runs until stopped."""
    import typer

    if sqs and (sources or follow):
        raise typer.BadParameter("--sqs reads what the queue announces: give no SOURCES and no --follow")
    if sqs:
        from tattletrail.sources.sqs_workers import QueueSettings

        settings = QueueSettings(sqs, store.url, tuple(accounts), tuple(regions), profile, endpoint_url,
                                 visibility_timeout, wait_seconds, batch_events, not no_rules, rules_dir)
        return run_sqs(settings, workers=workers, drain=drain, metrics_port=metrics_port)
    if not follow:
        raise typer.BadParameter("--metrics-port is for the long-running forms: --sqs or --follow")
    if len(sources) != 1 or not sources[0].startswith("s3://"):
        raise typer.BadParameter("--follow takes one s3://bucket/prefix", param_hint="SOURCES")
    return run_follow(sources[0], store, every=every, lookback=lookback, since=since,
                      s3_options={"accounts": accounts, "regions": regions, "profile": profile,
                                  "endpoint_url": endpoint_url},
                      batch_events=batch_events, metrics_port=metrics_port, rules_dir=rules_dir, no_rules=no_rules)
