"""The ingester: log objects → records → events → store, once or continuously.

    pipeline.py      ingest(): read objects not yet ledgered, score, write in batches
    summary.py       IngestSummary, and how the short runs of a long one add up
    once.py          `tattletrail ingest SOURCES…`: sources chosen, rules loaded, one run
    long_running.py  `--sqs` and `--follow`: run until stopped, with `--metrics-port`
    continuous.py    what every long-running form shares: stopping on SIGTERM and Ctrl-C
    follow.py        list an S3 prefix again and again (the ledger skips what was read)
    queue_worker.py  one SQS queue worker: receive, read, store, then delete
    worker_pool.py   many queue workers as processes, their totals in one place
    metrics.py       the ingester's Prometheus metrics
    scoring.py       the rules and alerter an ingest applies
    options.py       what `tattletrail ingest` was asked, as typed objects

Where log objects come from is `tattletrail.sources`, which knows nothing of this package.
"""

from tattletrail.ingest.pipeline import BATCH_EVENTS, ingest
from tattletrail.ingest.summary import IngestSummary

__all__ = ["BATCH_EVENTS", "IngestSummary", "ingest"]
