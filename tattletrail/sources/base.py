"""A log object: one file or S3 object that holds CloudTrail records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Callable

from tattletrail.errors import TattletrailError


class SourceError(TattletrailError, RuntimeError):
    """A source that can't be listed at all (missing folder, unknown bucket, bad credentials)."""


@dataclass(frozen=True, slots=True)
class LogObject:
    uri: str  # a local path or s3://bucket/key; what the ledger and quarantine name
    etag: str  # changes when the content changes: S3 ETag, or size and mtime of a local file
    size: int | None
    open: Callable[[], BinaryIO]
