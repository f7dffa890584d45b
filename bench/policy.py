"""Benchmark: `policy generate` for one role on the embedded store.

    .venv/bin/python bench/policy.py --events 1000000             # the issue's target size (slow to build)
    .venv/bin/python bench/policy.py --events 200000 --runs 5     # what fits a busy 2-core machine

Events come from `tattletrail generate` (one day, three accounts; kept in --workdir and reused for
the same size and seed) and are ingested into a DuckDB file. Then, --runs times each (medians):
- `fetch`: the store's `search` of the role's whole documents (what the old path read);
- `group`: the store's `group_events` of the role's events by the fields the policy reads (the lean read);
- `generate (in process)`: group + evidence + statements with --resources and --conditions region;
- `generate, old path (in process)`: the same from `search`'s documents folded one by one (the
  baseline: the ratio column divides it by each step, in this run);
- `generate (CLI)`: `tattletrail policy generate` in a fresh process, as a user runs it;
- `count (CLI)`: `tattletrail count actor:ROLE/*` in a fresh process (start-up and store opening).
The output is a markdown table. Run it by hand; tests/test_bench_policy.py runs it tiny.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import run_header  # noqa: E402  (bench/common.py: the command, cores and versions)
from tattletrail.generate.trail import generate_trail  # noqa: E402
from tattletrail.ingest import ingest  # noqa: E402
from tattletrail.policy import actor_query, condition_kinds, gather_evidence, generate_policy  # noqa: E402
from tattletrail.sources.local import local_objects  # noqa: E402
from tattletrail.stores.duckdb.store import DuckDBStore  # noqa: E402


def build_store(workdir: Path, events: int, seed: int) -> DuckDBStore:
    folder = workdir / f"trail-{events}-{seed}"
    path = workdir / f"events-{events}-{seed}.duckdb"
    if not path.exists():
        generate_trail(folder, days=1, seed=seed, accounts=3, events_per_day=events)
        ingest(local_objects(folder), DuckDBStore(path))
    return DuckDBStore(path)


def cpu_now() -> float:
    """CPU seconds of this process and its finished children: on a shared machine they move less
    than the wall clock when neighbours are busy."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(runs: int, work) -> tuple[tuple[float, float], object]:
    """Median wall and CPU seconds of `work` over `runs`, and its last result."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), cpu_now()
        result = work()
        walls.append(time.perf_counter() - start)
        cpus.append(cpu_now() - cpu_start)
    return (statistics.median(walls), statistics.median(cpus)), result


def cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "tattletrail", *args], check=True, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--actor", default="terraform-apply")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("bench-data"))
    options = parser.parse_args(argv)
    print(run_header())
    options.workdir.mkdir(parents=True, exist_ok=True)
    store = build_store(options.workdir, options.events, options.seed)
    total = store.stats().events
    kinds = condition_kinds(["region"])
    query = actor_query(options.actor)
    from tattletrail.policy.evidence import gather, policy_fields

    fetch, documents = timed(options.runs, lambda: store.search(query, None, None, limit=None))
    group, groups = timed(options.runs, lambda: store.group_events(query, None, None, policy_fields(kinds, True)))

    def generate():
        evidence = gather_evidence(store, options.actor, None, None, kinds=kinds)
        return evidence, generate_policy(evidence, narrow_resources=True, kinds=kinds)

    def generate_old_path():
        evidence = gather(options.actor, store.search(query, None, None, limit=None), kinds)
        return generate_policy(evidence, narrow_resources=True, kinds=kinds)

    # Untimed: load the catalogue and fill the mapping caches once, so neither path pays for it.
    generate_policy(gather(options.actor, store.search(query, None, None, limit=200), kinds), True, kinds)
    in_process, (evidence, policy) = timed(options.runs, generate)
    old_path, old_policy = timed(options.runs, generate_old_path)
    if (old_policy.documents, old_policy.notes) != (policy.documents, policy.notes):
        raise SystemExit("the old and the new path gave different policies: see tests/test_policy_differential.py")
    window = ("--since", "2000-01-01", "--store", store.url)
    command, _ = timed(options.runs, lambda: cli("policy", "generate", "--actor", options.actor, "--resources",
                                                  "--conditions", "region", *window))
    count, _ = timed(options.runs, lambda: cli("count", f"actor:{options.actor}/*", *window))
    print(f"{total:,} events in the store; {options.actor}: {len(documents):,} events in {len(groups):,} groups, "
          f"{len(evidence.allowed)} actions, {len(policy.documents)} policy document(s); medians of {options.runs}\n")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print("| step | wall s | CPU s | old path ÷ step, wall | old path ÷ step, CPU |\n|---|---:|---:|---:|---:|")
    for name, (wall, cpu) in (("fetch (store.search of the role's whole documents)", fetch),
                              ("group (store.group_events of the role's events)", group),
                              ("generate, in process", in_process),
                              ("generate, old path (search + per-document fold), in process", old_path)):
        print(f"| {name} | {wall:.3f} | {cpu:.3f} | {old_path[0] / wall:.1f} | {old_path[1] / max(cpu, 1e-6):.1f} |")
    for name, (wall, cpu) in (("generate, CLI (fresh process)", command),
                              ("count actor:ROLE/*, CLI (fresh process)", count)):
        print(f"| {name} | {wall:.3f} | {cpu:.3f} | – | – |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
