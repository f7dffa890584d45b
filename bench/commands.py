"""Benchmark: `tattletrail check run` (the shipped pack, steady state) and `tattletrail report
--since 24h`, as a user runs them: the CLI in a fresh process, on the store bench/checks.py builds.

    .venv/bin/python bench/commands.py --events 1000000 --copies 10   # 10M: the 1M trail 10 times over
    .venv/bin/python bench/commands.py --events 100000 --opensearch http://localhost:9200  # both stores

The store is bench/query.py's trail ingested with the CLI, made to arrive as a running system
receives it and repeated --copies times back in time (bench/checks.py's `arrive`). `check run`
keeps its new_value baselines beside $TATTLETRAIL_CHECK_STATE (a scratch folder here): its first
run reads them whole (shown on its own), the next ones are the steady state. The commands run
--runs times interleaved; the table shows the median wall and CPU seconds (user + system, every
thread) and the worst peak RSS. `--baseline-python OTHER/.venv/bin/python` runs every command with
that interpreter too (another checkout's code), interleaved with this one's, for a before/after
from one run; `--checks DIR` gives both commands that pack instead of the shipped one. Run it by
hand; tests/test_bench.py runs it tiny.

With --opensearch the same trail is ingested there too with the CLI (bench/query.py's
`opensearch_store`), its events made to arrive the same way (`arrive_opensearch`; one copy only),
and every command runs on both stores, interleaved, the two side by side in the table. The
client's CPU and RSS are the CLI's; the cluster's own work is not in them. --timeout stops a
command that takes longer (shown as "> N s") so one slow store does not stall the whole run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import run_header  # noqa: E402  (bench/common.py)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="events to generate")
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--copies", type=int, default=1, help="repeat the trail this many times back in time")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command, interleaved")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tattletrail-bench"))
    parser.add_argument("--opensearch", metavar="URL", help="also ingest the trail into this OpenSearch cluster "
                        "(http://host:9200, or a store URL) and time the same commands on it")
    parser.add_argument("--timeout", type=float, help="stop a command after this many seconds")
    parser.add_argument("--baseline-python", help="also run every command with this interpreter, interleaved")
    parser.add_argument("--checks", type=Path, help="a directory of checks instead of the shipped pack")
    options = parser.parse_args()
    if options.opensearch and options.copies != 1:
        parser.error("--opensearch holds one copy of the trail: leave out --copies")
    print(run_header(), flush=True)
    # Built in a process of its own: a child's peak RSS counts its parent's at the fork, so the
    # parent that times the commands must stay small (building a store in it once made every
    # command show 703 MB).
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as builder:
        stores = builder.submit(build_stores, options).result()
    load_before = os.getloadavg()[0]
    pack = ["--checks", str(options.checks.resolve())] if options.checks else []
    pythons = {"": sys.executable, **({" (baseline)": options.baseline_python} if options.baseline_python else {})}
    # Each store and interpreter keeps its own state and baselines; the CLI runs in the scratch
    # folder, away from a checkout, whose `tattletrail/` `python -m` would import instead of the
    # interpreter's own.
    runners = {kind + which: (store, python) for kind, store in stores.items() for which, python in pythons.items()}
    with tempfile.TemporaryDirectory() as scratch:
        found: dict[str, dict[str, list[Measured]]] = {}
        for label, (store, python) in runners.items():
            os.makedirs(f"{scratch}/{label}")
            found.setdefault(FIRST, {})[label] = [run(commands(store, f"{scratch}/{label}", pack)["check run"],
                                                      state_in(f"{scratch}/{label}"), options.timeout, python, scratch)]
        for _ in range(options.runs):
            for name in ("check run", "report --since 24h"):
                for label, (store, python) in runners.items():
                    found.setdefault(name, {}).setdefault(label, []).append(
                        run(commands(store, f"{scratch}/{label}", pack)[name], state_in(f"{scratch}/{label}"),
                            options.timeout, python, scratch))
    print("commands (TATTLETRAIL_CHECK_STATE in a scratch folder per store):")
    for kind, store in stores.items():
        for arguments in commands(store, "SCRATCH", pack).values():
            print(f"    tattletrail {shlex.join(arguments)}")
    if options.baseline_python:
        print(f"baseline: the same commands with {options.baseline_python}, interleaved")
    print(f"\n{options.runs} interleaved runs; {os.cpu_count()} cores; load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after\n")
    kinds = list(runners)
    print("| command |" + "".join(f" {kind} wall p50 (s) | {kind} CPU p50 (s) | {kind} peak RSS (MB) |"
                                  for kind in kinds))
    print("|---|" + "---:|---:|---:|" * len(kinds))
    for name, by_kind in found.items():
        label = FIRST if name == FIRST else f"`{name}`"
        print(f"| {label} |" + "".join(cells(by_kind[kind], options.timeout) for kind in kinds))


def build_stores(options: argparse.Namespace) -> dict[str, str]:
    """The stores' URLs, each built (or found built) from the generated trail."""
    from checks import arrive, arrive_opensearch  # bench/checks.py: the arrived, repeated store
    from query import opensearch_store, prepare  # bench/query.py: the trail, ingested with the CLI

    logs, generated = prepare(options)
    stores = {"DuckDB": f"duckdb://{arrive(generated.path, options.copies, options.days).resolve()}"}
    if options.opensearch:
        opensearch = opensearch_store(options.opensearch, logs, options)
        arrive_opensearch(opensearch)
        stores["OpenSearch"] = opensearch.url
    return stores


FIRST = "`check run`, first run (baselines read whole)"
Measured = tuple[float, float, float, bool]  # wall s, CPU s, peak RSS MB, finished


def commands(store: str, scratch: str, pack: list[str]) -> dict[str, list[str]]:
    return {
        "check run": ["check", "run", "--store", store, "--json", *pack],
        "report --since 24h": ["report", "--since", "24h", "--store", store, "--format", "json", *pack,
                               "--out", f"{scratch}/report.json", "--state", f"{scratch}/report-state.sqlite"],
    }


def state_in(folder: str) -> dict[str, str]:
    return {**os.environ, "TATTLETRAIL_CHECK_STATE": f"{folder}/checks-state.sqlite"}


def cells(runs: list[Measured], timeout: float | None) -> str:
    """The median wall and CPU seconds and the worst peak RSS; "> N s" when a run was stopped."""
    if not all(finished for _, _, _, finished in runs):
        return f" > {timeout:,.0f} s | - | - |"
    return (f" {statistics.median(r[0] for r in runs):.2f} | {statistics.median(r[1] for r in runs):.2f} | "
            f"{max(r[2] for r in runs):,.0f} |")


def run(arguments: list[str], environment: dict[str, str], timeout: float | None = None,
        python: str = sys.executable, cwd: str | None = None) -> Measured:
    """Wall seconds, CPU seconds, peak RSS (MB) of `tattletrail ARGUMENTS` in a fresh process, and
    whether it finished within `timeout`. Exit codes 0–2 are results (check statuses); anything
    else stops the benchmark."""
    command = [python, "-m", "tattletrail", *arguments]
    print("$ " + " ".join(command), file=sys.stderr, flush=True)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment, cwd=cwd)
    stop = threading.Timer(timeout, process.kill) if timeout else None
    if stop is not None:
        stop.start()
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if stop is not None:
        stop.cancel()
    code = os.waitstatus_to_exitcode(status)
    if timeout and elapsed >= timeout and code < 0:
        print(f"  stopped after {elapsed:,.0f}s", file=sys.stderr)
        return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, False
    if code not in (0, 1, 2):
        sys.exit(f"{' '.join(command)} failed with exit code {code}: {errors.decode(errors='replace')[-2000:]}")
    print(f"  {elapsed:,.2f}s", file=sys.stderr, flush=True)
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, True


if __name__ == "__main__":
    main()
