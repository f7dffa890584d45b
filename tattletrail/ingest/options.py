"""What `tattletrail ingest` was asked, typed once at the CLI's edge and handed down whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from tattletrail.errors import TattletrailError
from tattletrail.ingest.pipeline import BATCH_EVENTS
from tattletrail.sources.registry import SourceOptions


class IngestUsageError(TattletrailError, ValueError):
    """A combination of options that can't run (`--sqs` with SOURCES, `--follow` on a folder…).
    `param_hint` names the option or argument to fix; the CLI shows it as a usage error."""

    def __init__(self, message: str, param_hint: str | None = None) -> None:
        super().__init__(message)
        self.param_hint = param_hint


@dataclass(frozen=True)
class QueueOptions:
    """`--sqs QUEUE_URL` and the options of its workers."""

    queue_url: str
    workers: int = 1
    drain: bool = False  # stop once the queue is empty (a backfill)
    visibility_timeout: int | None = None  # seconds; None: the queue's own
    wait_seconds: int = 10  # long-poll wait per receive


@dataclass(frozen=True)
class FollowOptions:
    """`--follow`: list the bucket again every `every`, from the newest day seen less `lookback`."""

    every: timedelta = timedelta(minutes=5)
    lookback: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class IngestOptions:
    sources: tuple[str, ...] = ()  # files, folders, s3://bucket/prefix, cloudtrail-api://
    source: SourceOptions = field(default_factory=SourceOptions)  # filters and AWS access, for every source
    batch_events: int | None = BATCH_EVENTS  # events per write transaction (None: the store's own)
    rules_dir: str | None = None
    no_rules: bool = False  # store events unscored
    sqs: QueueOptions | None = None
    follow: FollowOptions | None = None
    metrics_port: int | None = None

    @property
    def long_running(self) -> bool:
        """`--sqs`, `--follow` or `--metrics-port`: a run that goes on until stopped."""
        return bool(self.sqs or self.follow or self.metrics_port is not None)
