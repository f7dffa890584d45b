"""Ingest benchmark (run by hand): events/s, peak memory and store size, against baselines.

    .venv/bin/python bench/ingest.py [--events 1000000] [--runs 3]

Generates a trail once (cached in bench/out/), then measures, each phase in its own process:
- floor: gunzip + orjson parse of every file, nothing else (what reading alone costs);
- jq: `zcat | jq` counting the same records (what a shell user would do);
- read+normalize: our reader and event model feeding a store that discards (where Python spends);
- ingest: the real thing into a fresh DuckDB file;
- read+normalize+rules, ingest+rules: the same with the shipped rule pack scoring every event,
  as `tattletrail ingest` does by default.
CPU µs per event (user + system, every thread) gives each phase's cost, and the differences
between phases the cost of each part, on a machine whose neighbours move the wall clock.
The machine is noisy, so every phase runs --runs times and the table shows medians and ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from common import run_header  # noqa: E402  (bench/common.py)

ROOT = Path(__file__).resolve().parents[1]
# The generated trails are kept here between runs ($TATTLETRAIL_BENCH_OUT moves them, e.g. for the smoke test).
OUT = Path(os.environ.get("TATTLETRAIL_BENCH_OUT") or ROOT / "bench" / "out")

PHASES = {
    "floor": """
import gzip, orjson, sys
from pathlib import Path
n = 0
for f in sorted(Path(sys.argv[1]).rglob('*.json.gz')):
    if 'CloudTrail-Digest' in f.name: continue
    n += len(orjson.loads(gzip.decompress(f.read_bytes()))['Records'])
print(n)
""",
    "read+normalize": """
import sys
from tattletrail.ingest import ingest
from tattletrail.sources.local import local_objects
from tattletrail.stores.base import WriteResult
class DiscardStore:
    url = 'discard://'
    transaction_events = 20_000
    def ledgered(self, sources): return {}
    def prepare(self, batch): return batch
    def write_prepared(self, parts): return WriteResult(inserted=sum(len(part.events) for part in parts), duplicates=0)
print(ingest(local_objects(sys.argv[1]), DiscardStore()).ingested)
""",
    "ingest": """
import sys
from tattletrail.ingest import ingest
from tattletrail.sources.local import local_objects
from tattletrail.stores.duckdb.store import DuckDBStore
print(ingest(local_objects(sys.argv[1]), DuckDBStore(sys.argv[2])).ingested)
""",
    # What `tattletrail ingest` does by default: the shipped rule pack scores every event.
    "read+normalize+rules": """
import sys
from tattletrail.ingest.scoring import rules_for_ingest
from tattletrail.ingest import ingest
from tattletrail.sources.local import local_objects
from tattletrail.stores.base import WriteResult
class DiscardStore:
    url = 'discard://'
    transaction_events = 20_000
    def ledgered(self, sources): return {}
    def prepare(self, batch): return batch
    def write_prepared(self, parts): return WriteResult(inserted=sum(len(part.events) for part in parts), duplicates=0)
rules, alerter = rules_for_ingest(None, False)
print(ingest(local_objects(sys.argv[1]), DiscardStore(), rules=rules, alerter=alerter).ingested)
""",
    "ingest+rules": """
import sys
from tattletrail.ingest.scoring import rules_for_ingest
from tattletrail.ingest import ingest
from tattletrail.sources.local import local_objects
from tattletrail.stores.duckdb.store import DuckDBStore
rules, alerter = rules_for_ingest(None, False)
print(ingest(local_objects(sys.argv[1]), DuckDBStore(sys.argv[2]), rules=rules, alerter=alerter).ingested)
""",
}


def generate(events: int) -> Path:
    trail = OUT / f"trail-{events}"
    if not (trail / ".complete").exists():
        from tattletrail.generate import generate_trail

        shutil.rmtree(trail, ignore_errors=True)
        days = max(1, events // 250_000)
        print(f"generating {events:,} events over {days} days into {trail} …", file=sys.stderr)
        generate_trail(trail, days=days, seed=42, accounts=5, events_per_day=events // days,
                       end=datetime(2026, 11, 23, 12, 0))
        (trail / ".complete").write_text("")
    return trail


def run_phase(name: str, trail: Path, database: Path) -> tuple[float, int, int, float]:
    """Seconds, peak RSS in bytes, events counted, and CPU seconds (user + system, every thread:
    what neighbours on a shared machine disturb less than the wall clock), for one phase in a
    fresh process."""
    database.unlink(missing_ok=True)
    Path(f"{database}.wal").unlink(missing_ok=True)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", PHASES[name], str(trail), str(database)],
                               stdout=subprocess.PIPE, text=True, cwd=ROOT)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"phase {name} failed with status {status}")
    return elapsed, usage.ru_maxrss * 1024, int(output.split()[-1]), usage.ru_utime + usage.ru_stime


def big_file(trail: Path, megabytes: int) -> Path:
    """One `{"Records": [...]}` file of about `megabytes` (uncompressed), from the trail's records."""
    import gzip

    import orjson

    path = OUT / f"big-{megabytes}MB.json.gz"
    if path.exists():
        return path
    written = 0
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(b'{"Records":[')
        first = True
        while written < megabytes * 1_000_000:
            for source in sorted(trail.rglob("*.json.gz")):
                if "CloudTrail-Digest" in source.name:
                    continue
                for record in orjson.loads(gzip.decompress(source.read_bytes()))["Records"]:
                    record["eventID"] = f"big-{written}-{record.get('eventID')}"
                    line = orjson.dumps(record)
                    out.write(line if first else b"," + line)
                    first = False
                    written += len(line) + 1
                if written >= megabytes * 1_000_000:
                    break
        out.write(b"]}")
    return path


def measure_big_file(trail: Path, megabytes: int, runs: int) -> None:
    """Peak memory reading one file far larger than the in-memory limit: it must stay flat."""
    path = big_file(trail, megabytes)
    folder = OUT / "big"
    folder.mkdir(exist_ok=True)
    (folder / path.name).unlink(missing_ok=True)
    (folder / path.name).symlink_to(path)
    measured = [run_phase("read+normalize", folder, OUT / "unused.duckdb") for _ in range(runs)]
    seconds = statistics.median(m[0] for m in measured)
    rss = statistics.median(m[1] for m in measured)
    print(f"\none file of {megabytes:,} MB uncompressed ({path.stat().st_size / 1e6:,.0f} MB gzipped, "
          f"{measured[0][2]:,} events): read+normalize peak RSS {rss / 1e6:,.0f} MB, "
          f"{measured[0][2] / seconds:,.0f} events/s (median of {runs})")


def run_jq(trail: Path) -> tuple[float, int, float]:
    started = time.perf_counter()
    before = os.times()
    command = (f"find {trail} -name '*.json.gz' ! -name '*CloudTrail-Digest*' -print0 | xargs -0 zcat "
               "| jq -n '[inputs.Records | length] | add'")
    output = subprocess.run(command, shell=True, capture_output=True, text=True, check=True).stdout
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return time.perf_counter() - started, int(output.strip()), cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--big-file-mb", type=int, default=0,
                        help="also measure memory on one file of this many MB (uncompressed)")
    arguments = parser.parse_args()
    print(run_header())
    trail = generate(arguments.events)
    if arguments.big_file_mb:
        measure_big_file(trail, arguments.big_file_mb, arguments.runs)
    database = OUT / "bench.duckdb"
    results: dict[str, list[tuple[float, int, int, float]]] = {name: [] for name in (*PHASES, "jq")}
    for run in range(arguments.runs):
        for name in PHASES:
            results[name].append(run_phase(name, trail, database))
            print(f"run {run + 1} {name}: {results[name][-1][0]:.1f}s", file=sys.stderr)
        seconds, count, cpu = run_jq(trail)
        results["jq"].append((seconds, 0, count, cpu))
        print(f"run {run + 1} jq: {seconds:.1f}s", file=sys.stderr)
    events = results["floor"][0][2]
    floor = statistics.median(run[0] for run in results["floor"])
    floor_cpu = statistics.median(run[3] for run in results["floor"])
    store_size = database.stat().st_size
    print(f"\n{events:,} events in {sum(1 for _ in trail.rglob('*.json.gz')):,} files "
          f"({sum(f.stat().st_size for f in trail.rglob('*.json.gz')) / 1e6:,.0f} MB gzipped); "
          f"medians of {arguments.runs} runs; DuckDB file {store_size / 1e6:,.0f} MB "
          f"({store_size / events:,.0f} bytes/event)\n")
    print("| phase | seconds | events/s | share of parse floor | CPU seconds | CPU µs per event "
          "| share of floor's CPU | peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, runs in results.items():
        seconds = statistics.median(run[0] for run in runs)
        cpu = statistics.median(run[3] for run in runs)
        counted = runs[0][2]
        assert counted == events, f"{name} counted {counted} events, the floor {events}"
        rss = f"{statistics.median(run[1] for run in runs) / 1e6:,.0f} MB" if name != "jq" else "-"
        print(f"| {name} | {seconds:.1f} | {events / seconds:,.0f} | {floor / seconds:.0%} | {cpu:.1f} | "
              f"{cpu / events * 1e6:.1f} | {floor_cpu / cpu:.0%} | {rss} |")


if __name__ == "__main__":
    main()
