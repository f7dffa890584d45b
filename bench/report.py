"""Benchmark: `tattletrail report` on the demo trail, as a user runs it, and what it asks the store.

    .venv/bin/python bench/report.py                          # the demo trail (2 days, 20k events a day)
    .venv/bin/python bench/report.py --events-per-day 2000    # smaller (the smoke test uses this)
    .venv/bin/python bench/report.py --store duckdb:///path/events.duckdb --since … --until …

It generates the trail (fixed seed and end) into --workdir and ingests it once, then measures:
- the CLI command in a fresh process (`report --format json`, with the check pack), wall and CPU
  seconds, median of --runs interleaved with the other formats;
- in-process: how many times the store file was opened and how many `count`/`search` queries
  were asked (the embedded store's methods are counted, not changed).
Run it by hand (results in the README); `make test` runs it tiny, so it can't silently break.
"""

from __future__ import annotations

import argparse
import inspect
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import run_header  # noqa: E402  (bench/common.py: the command, cores and versions)

END = datetime(2026, 11, 23, 10, 40)


def prepare(workdir: Path, events_per_day: int) -> str:
    """The demo trail and its store, made once per size."""
    from tattletrail.generate import generate_trail
    from tattletrail.ingest import ingest
    from tattletrail.rules import load_rules
    from tattletrail.sources.local import local_objects
    from tattletrail.stores import open_store

    folder = workdir / f"trail-{events_per_day}"
    path = workdir / f"events-{events_per_day}.duckdb"
    if not path.exists():
        generate_trail(folder, days=2, seed=7, accounts=3, events_per_day=events_per_day, end=END)
        ingest(local_objects(folder), open_store(f"duckdb://{path}", create=True), rules=load_rules())
    return f"duckdb://{path}"


def cli_seconds(store: str, since: str, until: str, output_format: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one `tattletrail report` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tattletrail", "report", "--store", store, "--since", since, "--until",
                    until, "--format", output_format, "--out", os.devnull], check=True, capture_output=True, env=env,
                   cwd=tempfile.gettempdir())  # not the checkout: `-m` would import the package from there
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def store_calls(store_url: str, since: datetime, until: datetime) -> dict[str, int]:
    """Opens of the store file and queries asked, for one report built in this process."""
    from tattletrail.checks import PACK, load_checks
    from tattletrail.report import build_report
    from tattletrail.stores.duckdb import store as duckdb_module
    from tattletrail.stores import open_store

    calls = {"opens": 0, "count": 0, "search": 0}
    opened = duckdb_module._open_when_free

    def counting_open(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["opens"] += 1
        return opened(*args, **kwargs)

    duckdb_module._open_when_free = counting_open
    store = open_store(store_url)
    for name in ("count", "search"):
        method = getattr(store, name)

        def counted(*args, _method=method, _name=name, **kwargs):  # type: ignore[no-untyped-def]
            calls[_name] += 1
            return _method(*args, **kwargs)

        setattr(store, name, counted)
    calls["opens"] = 0
    options = {"checks": load_checks(PACK)} if "checks" in inspect.signature(build_report).parameters else {}
    started, cpu = time.perf_counter(), time.process_time()
    report = build_report(store, since, until, **options)
    calls["in_process_ms"] = round((time.perf_counter() - started) * 1000)
    calls["in_process_cpu_ms"] = round((time.process_time() - cpu) * 1000)
    calls["items"] = len(report.items) + report.more_items
    duckdb_module._open_when_free = opened
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events-per-day", type=int, default=20_000)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "tattletrail-bench-report")
    parser.add_argument("--store", help="an existing store instead of the generated demo trail")
    parser.add_argument("--since", default=(END - timedelta(hours=24)).isoformat() + "Z")
    parser.add_argument("--until", default=END.isoformat() + "Z")
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    print(run_header())
    arguments.workdir.mkdir(parents=True, exist_ok=True)
    store = arguments.store or prepare(arguments.workdir, arguments.events_per_day)
    env = {**os.environ, "TATTLETRAIL_CHECK_STATE": str(arguments.workdir / "no-state.sqlite")}
    since = datetime.fromisoformat(arguments.since.rstrip("Z"))
    until = datetime.fromisoformat(arguments.until.rstrip("Z"))
    calls = store_calls(store, since, until)
    timings: dict[str, list[tuple[float, float]]] = {"json": [], "text": [], "html": []}
    for _ in range(arguments.runs):
        for output_format in timings:  # interleaved, so a busy neighbour disturbs every format alike
            timings[output_format].append(cli_seconds(store, arguments.since, arguments.until, output_format, env))
    print(f"store: {store}  window: {arguments.since} → {arguments.until}  cores: {os.cpu_count()}")
    print(f"in process: {calls['in_process_ms']} ms wall, {calls['in_process_cpu_ms']} ms CPU, {calls['opens']} store opens, {calls['count']} count + "
          f"{calls['search']} search queries, {calls['items']} items")
    print("| format | wall s (median) | CPU s (median) |\n|---|---|---|")
    for output_format, runs in timings.items():
        print(f"| {output_format} | {statistics.median(wall for wall, _ in runs):.2f} | "
              f"{statistics.median(cpu for _, cpu in runs):.2f} |")


if __name__ == "__main__":
    main()
