"""`tattletrail ingest SOURCES…`: every source read once, in the order given, scored unless --no-rules."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Iterator

from tattletrail.ingest.options import IngestOptions, IngestUsageError
from tattletrail.ingest.pipeline import Progress, ingest
from tattletrail.ingest.scoring import rules_for_ingest
from tattletrail.ingest.summary import IngestSummary
from tattletrail.sources.base import LogObject
from tattletrail.sources.registry import open_source
from tattletrail.stores.base import Store


def ingest_once(options: IngestOptions, store: Store, on_object: Progress | None = None) -> IngestSummary:
    """Read `options.sources` into `store`. With --account/--region/--since/--until, events from local
    files are also kept or left out one by one (S3 and LookupEvents choose by key and by request)."""
    if not options.sources:
        raise IngestUsageError("name what to read: files, folders, s3://bucket/prefix, cloudtrail-api://, "
                               "or --sqs QUEUE_URL", param_hint="SOURCES")
    chosen = options.source.events
    keep = chosen if chosen.active and any("://" not in source for source in options.sources) else None

    def objects() -> Iterator[LogObject]:
        for source in options.sources:
            yield from open_source(source, options.source)

    rules, alerter = rules_for_ingest(options.rules_dir, options.no_rules)
    with alerter or nullcontext():
        return ingest(objects(), store, batch_events=options.batch_events, on_object=on_object, rules=rules,
                      alerter=alerter, keep=keep)
