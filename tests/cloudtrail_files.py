"""Real CloudTrail records from ../shared/corpora, and log files built from them as AWS writes them."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"


def corpus_records(name: str | None = None) -> list[dict[str, Any]]:
    """Every record of one corpus file (or of all of them), in file order."""
    files = [CORPORA / name] if name else sorted(CORPORA.glob("*.jsonl"))
    return [orjson.loads(line) for file in files for line in file.read_bytes().splitlines() if line.strip()]


def distinct_identities(records: list[dict[str, Any]]) -> set[str]:
    from tattletrail.event import normalize

    return {normalize(record).event_id for record in records}


def log_file(records: list[Any], compress: bool = True) -> bytes:
    """The bytes of a CloudTrail log file: `{"Records": [...]}`, gzipped like every delivered file."""
    body = orjson.dumps({"Records": records})
    return gzip.compress(body, mtime=0) if compress else body


def write_log_file(path: Path, records: list[Any], compress: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(log_file(records, compress))
    return path
