"""Rules benchmark (run by hand): ingest with the full rule pack against ingest without rules.

    .venv/bin/python bench/rules.py [--events 300000] [--runs 5]

Uses the trail of bench/ingest.py (generated once into bench/out/). Each run measures, each in a
fresh process and alternating so both see the same machine load:
- ingest: the real thing into a fresh DuckDB file, without rules and with the pack;
- read+normalize: the same into a store that discards, so the cost of the rules themselves shows
  without the store's share of the time.
The issue's bar: ingest with rules >= 70% of the rate without. Medians of --runs runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import run_header  # noqa: E402  (bench/common.py)
from ingest import OUT, ROOT, generate  # noqa: E402  (bench/ingest.py: the cached trail)

PROGRAM = """
import sys, time
from tattletrail.ingest import ingest
from tattletrail.sources.local import local_objects
from tattletrail.stores.base import WriteResult
from tattletrail.stores.duckdb.store import DuckDBStore
from tattletrail.rules import load_rules
class DiscardStore:
    url = 'discard://'
    transaction_events = 20_000
    def ledgered(self, sources): return {}
    def prepare(self, batch): return batch
    def write_prepared(self, parts): return WriteResult(inserted=sum(len(part.events) for part in parts), duplicates=0)
trail, database, store_kind, with_rules = sys.argv[1:5]
rules = load_rules() if with_rules == 'rules' else None
store = DuckDBStore(database) if store_kind == 'duckdb' else DiscardStore()
started = time.perf_counter()
summary = ingest(local_objects(trail), store, rules=rules)
print(summary.events_read, time.perf_counter() - started, dict(summary.threat_levels))
"""

CASES = [("ingest", "duckdb", "none"), ("ingest", "duckdb", "rules"),
         ("read+normalize", "discard", "none"), ("read+normalize", "discard", "rules")]


def run(trail: Path, database: Path, store_kind: str, with_rules: str) -> tuple[int, float, float, str]:
    """Events read, wall seconds of the ingest, CPU seconds of the whole process, threat levels."""
    database.unlink(missing_ok=True)
    Path(f"{database}.wal").unlink(missing_ok=True)
    process = subprocess.Popen([sys.executable, "-c", PROGRAM, str(trail), str(database), store_kind, with_rules],
                               stdout=subprocess.PIPE, text=True, cwd=ROOT)
    output = process.stdout.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{store_kind} {with_rules} failed with status {status}")
    # The last line: DuckDB may draw a progress bar before it.
    events, seconds, levels = output.strip().splitlines()[-1].split(maxsplit=2)
    return int(events), float(seconds), usage.ru_utime + usage.ru_stime, levels.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    print(run_header())
    trail = generate(arguments.events)
    database = OUT / "bench-rules.duckdb"
    seconds: dict[tuple[str, str, str], list[float]] = {case: [] for case in CASES}
    cpu: dict[tuple[str, str, str], list[float]] = {case: [] for case in CASES}
    levels = ""
    events = 0
    for number in range(arguments.runs):
        for case in CASES:
            events, elapsed, used, found = run(trail, database, case[1], case[2])
            seconds[case].append(elapsed)
            cpu[case].append(used)
            levels = found if case[2] == "rules" else levels
            print(f"run {number + 1} {case[0]} {case[2]}: {elapsed:.1f}s, {used:.1f}s CPU", file=sys.stderr)
    from tattletrail.rules import load_rules

    rules = load_rules()
    print(f"\n{events:,} events; {len(rules)} rules ({rules.indexed} indexed by eventName, errorCode or "
          f"userIdentity.type); medians of {arguments.runs} runs, alternating; levels with rules: {levels}\n")
    print("| phase | measure | without rules | with rules | ratio of medians | ratio per run |")
    print("|---|---|---:|---:|---:|---|")
    for phase, store_kind in (("ingest", "duckdb"), ("read+normalize", "discard")):
        for measure, table in (("events/s (wall)", seconds), ("events/CPU-s", cpu)):
            plain, scored = table[(phase, store_kind, "none")], table[(phase, store_kind, "rules")]
            ratios = ", ".join(f"{a / b:.0%}" for a, b in zip(plain, scored))
            print(f"| {phase} | {measure} | {events / statistics.median(plain):,.0f} | "
                  f"{events / statistics.median(scored):,.0f} | "
                  f"{statistics.median(plain) / statistics.median(scored):.0%} | {ratios} |")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n({time.perf_counter() - started:.0f}s)", file=sys.stderr)
