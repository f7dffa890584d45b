"""`tattletrail ingest`, `stats` and `quarantine`."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Optional

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tattletrail.cli.output import console, errors, option_json, option_store, print_json, store_from, table
from tattletrail.cli.rules import describe_threats, option_rules
from tattletrail.ingest import BATCH_EVENTS, IngestSummary
from tattletrail.ingest.once import ingest_once
from tattletrail.ingest.options import FollowOptions, IngestOptions, IngestUsageError, QueueOptions
from tattletrail.sources.base import LogObject
from tattletrail.sources.filters import EventFilter
from tattletrail.sources.registry import SourceOptions
from tattletrail.timespec import parse_duration, parse_window

if TYPE_CHECKING:
    from tattletrail.stores.base import Store


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)
    app.command("stats")(stats_command)
    app.command("quarantine")(quarantine_command)


def ingest_command(
    sources: list[str] = typer.Argument(None, help="Files, folders (recursive), s3://bucket/prefix, or "
                                        "cloudtrail-api:// (LookupEvents)."),
    store: Optional[str] = option_store(),
    account: list[str] = typer.Option([], "--account", help="Only these account ids (repeatable)."),
    region: list[str] = typer.Option([], "--region", help="Only these regions (repeatable)."),
    since: Optional[str] = typer.Option(None, help="Only events from this time on (24h, 7d, ISO)."),
    until: Optional[str] = typer.Option(None, help="Only events before this time."),
    profile: Optional[str] = typer.Option(None, help="S3: AWS profile (default: standard boto3 credentials)."),
    endpoint_url: Optional[str] = typer.Option(None, help="S3: endpoint URL (S3-compatible storage, tests)."),
    batch_events: Optional[int] = typer.Option(BATCH_EVENTS, min=1, help="Events per write transaction (default: "
                                               "120,000 embedded, 20,000 OpenSearch); the store is free for "
                                               "readers between two."),
    sqs: Optional[str] = typer.Option(None, "--sqs", help="Read the files an SQS queue announces, until stopped."),
    workers: int = typer.Option(1, min=1, help="SQS: worker processes sharing the queue."),
    visibility_timeout: Optional[int] = typer.Option(None, min=1, help="SQS: seconds (default: the queue's)."),
    wait_seconds: int = typer.Option(10, min=1, max=20, help="SQS: long-poll wait per receive."),
    drain: bool = typer.Option(False, "--drain", help="SQS: stop once the queue is empty (a backfill)."),
    follow: bool = typer.Option(False, "--follow", help="S3: list again every --every, for new and late files."),
    every: str = typer.Option("5m", help="Follow: time between two listings."),
    lookback: str = typer.Option("1h", help="Follow: list from the newest day seen minus this."),
    metrics_port: Optional[int] = typer.Option(None, help="SQS/follow: serve Prometheus metrics on this port."),
    rules_dir: Optional[str] = option_rules(),
    no_rules: bool = typer.Option(False, "--no-rules", help="Store events unscored (`tattletrail rescore` "
                                  "can score them later)."),
    as_json: bool = option_json(),
) -> None:
    """Read CloudTrail log files into the store. Re-runs skip what is done; nothing is stored twice.

    Exit code 0: all read; 3: some files or records were quarantined (the rest is stored); 4: nothing
    could be read (no log files found or matched, or none held an event); 130: interrupted (Ctrl-C)."""
    now = datetime.now(timezone.utc)
    window = parse_window(since, until, now)
    target = store_from(store, create=True)

    def warn(notice: str) -> None:
        errors.print(f"warning: {notice}", highlight=False, markup=False)

    options = IngestOptions(
        sources=tuple(sources or ()), batch_events=batch_events, rules_dir=rules_dir, no_rules=no_rules,
        source=SourceOptions(tuple(account), tuple(region), window[0], window[1], profile, endpoint_url,
                             report=warn),
        sqs=QueueOptions(sqs, workers, drain, visibility_timeout, wait_seconds) if sqs else None,
        follow=FollowOptions(parse_duration(every), parse_duration(lookback)) if follow else None,
        metrics_port=metrics_port)
    try:
        if options.long_running:
            from tattletrail.ingest.long_running import run_long

            show_summary(run_long(options, target, announce=lambda notice: errors.print(notice, highlight=False)),
                         as_json)
            return
        summary = _ingest_showing_progress(options, target)
    except IngestUsageError as error:
        raise typer.BadParameter(str(error), param_hint=error.param_hint) from None
    show_summary(summary, as_json, options.source.events)
    raise typer.Exit(exit_code(summary))


def _ingest_showing_progress(options: IngestOptions, target: Store) -> IngestSummary:
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=errors, transient=True, disable=not errors.is_terminal) as progress:
        task = progress.add_task("reading", total=None)

        def show(summary: IngestSummary, log_object: LogObject) -> None:
            progress.update(task, description=f"{summary.objects:,} files · {summary.ingested:,} stored "
                            f"· {summary.quarantined:,} quarantined · {log_object.uri[-60:]}")

        return ingest_once(options, target, on_object=show)


# `ingest` exit codes, so a cron job notices (README "Ingesting").
EXIT_QUARANTINED = 3
EXIT_NOTHING_READ = 4
EXIT_INTERRUPTED = 130


def exit_code(summary: IngestSummary) -> int:
    if summary.interrupted:
        return EXIT_INTERRUPTED
    if nothing_read(summary):
        return EXIT_NOTHING_READ
    return EXIT_QUARANTINED if summary.quarantined else 0


def nothing_read(summary: IngestSummary) -> bool:
    """No event read, and not because everything was ingested before."""
    return summary.events_read == 0 and not summary.skipped_reasons.get("already-ingested")


def show_summary(summary: IngestSummary, as_json: bool, chosen: EventFilter | None = None) -> None:
    if as_json:
        print_json(summary.as_dict())
    else:
        console.print(describe_ingest(summary, chosen), highlight=False)
    if summary.interrupted:
        errors.print(f"Interrupted: the {summary.ingested:,} events this run stored are kept. Run the same "
                     "command again to resume: finished files are skipped, stored events are not stored twice.",
                     highlight=False, markup=False)
    elif chosen is not None and nothing_read(summary):  # a one-shot ingest (not --sqs/--follow)
        outside = f" inside {chosen.describe()}" if chosen.active else ""
        errors.print(f"warning: no event could be read{outside} "
                     f"({summary.objects:,} files read, {summary.filtered:,} events outside the filters, "
                     f"{chosen.files_outside:,} files outside them by their path).", highlight=False, markup=False)


def describe_ingest(summary: IngestSummary, chosen: EventFilter | None = None) -> str:
    rate = summary.events_read / summary.seconds if summary.seconds else 0.0
    lines = [f"Ingested {summary.ingested:,} events from {summary.objects:,} files into {summary.store} "
             f"in {summary.seconds:.1f}s ({rate:,.0f} events/s)."]
    if summary.duplicates:
        lines.append(f"  {summary.duplicates:,} already stored (same event identity), not stored again.")
    if summary.filtered or (chosen is not None and chosen.files_outside):
        lines.append(f"  outside {chosen.describe() if chosen else 'the filters'}: "
                     f"{summary.filtered:,} events, {chosen.files_outside if chosen else 0:,} files (by their path).")
    if summary.skipped:
        reasons = ", ".join(f"{reason} {count:,}" for reason, count in summary.skipped_reasons.most_common())
        lines.append(f"  {summary.skipped:,} files skipped: {reasons}.")
    if summary.quarantined:
        reasons = ", ".join(f"{reason} {count:,}" for reason, count in summary.quarantine_reasons.most_common())
        lines.append(f"  {summary.quarantined:,} quarantined ({reasons}): see `tattletrail quarantine`.")
    lines.extend(describe_threats(summary))
    return "\n".join(lines)


def stats_command(store: Optional[str] = option_store(), top: int = typer.Option(10, help="Rows per table."),
                  as_json: bool = option_json()) -> None:
    """What the store holds: totals, time range, and events by service, actor, region and account."""
    stats = store_from(store).stats(top=top)
    if as_json:
        print_json(stats.as_dict())
        return
    span = (f"{stats.first_event:%Y-%m-%d %H:%M} → {stats.last_event:%Y-%m-%d %H:%M} UTC"
            if stats.first_event else "no events")
    console.print(f"[bold]{stats.events:,} events[/] ({span}); {stats.failures:,} failed calls; "
                  f"{stats.objects:,} log files; {stats.quarantined:,} quarantined; "
                  f"{stats.incomplete:,} incomplete records", highlight=False)
    for title, rows in (("by service", stats.by_service), ("by actor", stats.by_actor),
                        ("by region", stats.by_region), ("by account", stats.by_account)):
        console.print()
        console.print(table(f"Events {title}", [title.split()[-1], "events"], rows, numeric=["events"]))


def quarantine_command(store: Optional[str] = option_store(),
                       limit: int = typer.Option(50, help="At most this many entries."),
                       as_json: bool = option_json()) -> None:
    """Files and records that could not be read, with where and why."""
    entries = store_from(store).quarantined(limit=limit)
    if as_json:
        print_json([{"source": entry.source, "location": entry.location, "reason": entry.reason,
                     "detail": entry.detail, "sample": entry.sample,
                     "quarantined_at": entry.quarantined_at} for entry in entries])
        return
    if not entries:
        console.print("Nothing quarantined.")
        return
    console.print(table(None, ["source", "where", "reason", "detail"],
                        [(entry.source, entry.location, entry.reason, entry.detail[:120]) for entry in entries]))
