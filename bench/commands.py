"""Benchmark: `tattletrail check run` (the shipped pack, steady state) and `tattletrail report
--since 24h`, as a user runs them: the CLI in a fresh process, on the store bench/checks.py builds.

    .venv/bin/python bench/commands.py --events 1000000 --copies 10   # 10M: the 1M trail 10 times over

The store is bench/query.py's trail ingested with the CLI, made to arrive as a running system
receives it and repeated --copies times back in time (bench/checks.py's `arrive`). `check run`
keeps its new_value baselines beside $TATTLETRAIL_CHECK_STATE (a scratch folder here): its first
run reads them whole (shown on its own), the next ones are the steady state. The commands run
--runs times interleaved; the table shows the median wall and CPU seconds (user + system, every
thread) and the worst peak RSS. `--baseline-python OTHER/.venv/bin/python` runs every command with
that interpreter too (another checkout's code), interleaved with this one's, for a before/after
from one run; `--checks DIR` gives both commands that pack instead of the shipped one. Run it by
hand; tests/test_bench.py runs it tiny.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checks import arrive  # noqa: E402  (bench/checks.py: the arrived, repeated store)
from common import run_header  # noqa: E402  (bench/common.py)
from query import prepare  # noqa: E402  (bench/query.py: the generated trail, ingested with the CLI)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="events to generate")
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--copies", type=int, default=1, help="repeat the trail this many times back in time")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command, interleaved")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tattletrail-bench"))
    parser.add_argument("--baseline-python", help="also run every command with this interpreter, interleaved")
    parser.add_argument("--checks", type=Path, help="a directory of checks instead of the shipped pack")
    options = parser.parse_args()
    print(run_header())
    _, generated = prepare(options)
    store = f"duckdb://{arrive(generated.path, options.copies, options.days).resolve()}"
    with tempfile.TemporaryDirectory() as scratch:
        pack = ["--checks", str(options.checks.resolve())] if options.checks else []
        commands = {
            "check run": ["check", "run", "--store", store, "--json", *pack],
            "report --since 24h": ["report", "--since", "24h", "--store", store, "--format", "json", *pack,
                                   "--out", f"{scratch}/report.json", "--state", f"{scratch}/report-state.sqlite"],
        }
        pythons = {"": sys.executable, **({" (baseline)": options.baseline_python} if options.baseline_python else {})}
        environment = {**os.environ, "TATTLETRAIL_CHECK_STATE": f"{scratch}/checks-state.sqlite"}
        first = run(commands["check run"], environment, cwd=scratch)
        found: dict[str, list[tuple[float, float, float]]] = {
            name + which: [] for name in commands for which in pythons}
        loads = []
        for _ in range(options.runs):
            for name, arguments in commands.items():
                for which, python in pythons.items():
                    found[name + which].append(run(arguments, environment, python, cwd=scratch))
                    loads.append(os.getloadavg()[0])
    print(f"store {store}; {options.runs} interleaved runs; load average {min(loads):.1f}–{max(loads):.1f} "
          f"(1 min, after each command){'; baseline ' + options.baseline_python if options.baseline_python else ''}\n")
    print("| command | wall p50 (s) | CPU p50 (s) | peak RSS (MB) |")
    print("|---|---:|---:|---:|")
    print(f"| `check run`, first run (baselines read whole) | {first[0]:.2f} | {first[1]:.2f} | {first[2]:,.0f} |")
    for name, runs in found.items():
        print(f"| `{name}` | {statistics.median(r[0] for r in runs):.2f} | "
              f"{statistics.median(r[1] for r in runs):.2f} | {max(r[2] for r in runs):,.0f} |")


def run(arguments: list[str], environment: dict[str, str], python: str = sys.executable,
        cwd: str | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of `tattletrail ARGUMENTS` in a fresh process.
    Exit codes 0–2 are results (check statuses); anything else stops the benchmark. `cwd`: away
    from a checkout, whose `tattletrail/` `python -m` would import instead of `python`'s own."""
    command = [python, "-m", "tattletrail", *arguments]
    print("$ " + " ".join(command), file=sys.stderr)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment, cwd=cwd)
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1, 2):
        sys.exit(f"{' '.join(command)} failed with exit code {code}: {errors.decode(errors='replace')[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


if __name__ == "__main__":
    main()
