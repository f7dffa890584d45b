"""OpenSearch ingest benchmark (run by hand): what Tattletrail's safety costs against a plain bulk loop.

    .venv/bin/python bench/opensearch.py [--events 150000] [--runs 5] [--url http://host:9200]

Generates a trail once (`tattletrail generate`, cached in bench/out/), starts osmem-server (or
uses --url), then, in every run and each in a fresh process, sends the same events three ways into
fresh indices:
- plain: gunzip + orjson of every file, then `opensearchpy.helpers.bulk` (its default 500-document
  chunks, the records as they are, `_id` = eventID, index by eventTime month): what a script would
  do, and what it would lose on a 429 or a mapping error;
- plain-5000: the same loop with our request shape (5,000 documents / 10 MB per request);
- tattletrail: `ingest()` into an OpenSearchStore, everything it does for safety included:
  normalized events with the original record kept, byte- and count-bounded bulk requests, every
  item's answer sorted (retry, duplicate, quarantine), ledger written only after acknowledgement,
  a refresh per batch.
The phases alternate within a run (the order flips every run) so drift on a noisy machine hits
both alike. The table shows medians and the ratio; the target is ratio >= 0.75 (safety costs at
most 25% of throughput). --profile writes a pyinstrument profile of one tattletrail phase.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import run_header  # noqa: E402  (bench/common.py)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import OUT, ROOT, generate  # noqa: E402  (bench/ingest.py: the cached trail)

PLAIN_BULK = """
import gzip, sys, orjson
from pathlib import Path
from opensearchpy import OpenSearch, helpers
url, prefix, trail = sys.argv[1:4]
client = OpenSearch(url, timeout=120)
def actions():
    for path in sorted(Path(trail).rglob('*.json.gz')):
        if 'CloudTrail-Digest' in path.name:
            continue
        for record in orjson.loads(gzip.decompress(path.read_bytes()))['Records']:
            yield {'_op_type': 'create', '_index': f"{prefix}-events-{record['eventTime'][:7].replace('-', '.')}",
                   '_id': record['eventID'], '_source': record}
stored, errors = helpers.bulk(client, actions(), raise_on_error=False CHUNKING)
client.indices.refresh(index=f'{prefix}-events-*')
print(stored)
"""

PHASES = {
    "plain": PLAIN_BULK.replace(" CHUNKING", ""),
    # the same loop with our store's request shape (5,000 documents, 10 MB): separates what our own
    # work costs from what the request size does to the server
    "plain-5000": PLAIN_BULK.replace(" CHUNKING", ", chunk_size=5_000, max_chunk_bytes=10 * 1024 * 1024"),
    "tattletrail": """
import sys
from tattletrail.ingest import ingest
from tattletrail.sources.local import local_objects
from tattletrail.stores.opensearch.store import OpenSearchStore
url, prefix, trail = sys.argv[1:4]
store = OpenSearchStore(url.replace('http://', 'opensearch://', 1) + f'?prefix={prefix}&timeout=120')
print(ingest(local_objects(trail), store).ingested)
""",
}


def prepare(url: str, prefix: str) -> None:
    """A fresh prefix: the plain loop gets our index template too (same mappings, same work for the
    server), and Tattletrail's setup runs before the clock starts, as it does once per cluster."""
    from tattletrail.stores.opensearch.store import OpenSearchStore

    store = OpenSearchStore(url.replace("http://", "opensearch://", 1) + f"?prefix={prefix}")
    store.setup()
    store.close()


def drop(url: str, prefix: str) -> None:
    """Delete a phase's indices so the in-memory server doesn't grow run after run."""
    from opensearchpy import OpenSearch

    client = OpenSearch(url, timeout=120)
    client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True, allow_no_indices=True)
    client.close()


def run_phase(name: str, url: str, prefix: str, trail: Path,
              profile: Path | None = None) -> tuple[float, float, int]:
    """Wall seconds, the client process's CPU seconds (user + system) and events stored, for one
    phase in a fresh process. The server's work is the same for both phases; the client's CPU is
    where our safety costs show even when the server is the bottleneck."""
    prepare(url, prefix)
    command = [sys.executable, "-c", PHASES[name], url, prefix, str(trail)]
    if profile is not None:
        command = [sys.executable, "-m", "pyinstrument", "-r", "html", "-o", str(profile), "-c", PHASES[name],
                   url, prefix, str(trail)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"phase {name} failed with status {status}")
    drop(url, prefix)
    return elapsed, usage.ru_utime + usage.ru_stime, int(output.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=150_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--url", help="an OpenSearch cluster to use instead of starting osmem-server")
    parser.add_argument("--profile", action="store_true", help="also profile one tattletrail phase (pyinstrument)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    arguments = parser.parse_args()
    print(run_header())
    trail = generate(arguments.events)
    server = None
    if arguments.url:
        url = arguments.url
    else:
        from osmem_server import OsmemServer

        server = OsmemServer.start(japanese=False)
        url = server.url
    try:
        results = measure(url, trail, arguments.runs)
        if arguments.profile:
            profile = OUT / "opensearch-profile.html"
            run_phase("tattletrail", url, "bench-profile", trail, profile)
            print(f"profile: {profile}", file=sys.stderr)
    finally:
        if server is not None:
            server.close()
    report(results, trail, arguments.runs, "osmem-server" if server else url, arguments.json)


def measure(url: str, trail: Path, runs: int) -> dict[str, list[tuple[float, float, int]]]:
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in PHASES}
    for run in range(runs):
        order = list(PHASES) if run % 2 == 0 else list(reversed(PHASES))
        for name in order:
            results[name].append(run_phase(name, url, f"bench-{name}-{run}", trail))
            seconds, cpu, stored = results[name][-1]
            print(f"run {run + 1} {name}: {seconds:.1f}s ({cpu:.1f}s client CPU), {stored:,} events", file=sys.stderr)
    return results


def report(results: dict[str, list[tuple[float, float, int]]], trail: Path, runs: int, server: str,
           as_json: bool) -> None:
    events = {stored for runs_of_phase in results.values() for _, _, stored in runs_of_phase}
    if len(events) != 1:
        raise SystemExit(f"the phases stored different numbers of events: {sorted(events)}")
    (count,) = events
    medians = {name: statistics.median(seconds for seconds, _, _ in phase) for name, phase in results.items()}
    cpu = {name: statistics.median(used for _, used, _ in phase) for name, phase in results.items()}
    ratio = min(medians["plain"], medians["plain-5000"]) / medians["tattletrail"]  # against the faster
    files = [path for path in trail.rglob("*.json.gz") if "CloudTrail-Digest" not in path.name]
    print(f"\n{count:,} events in {len(files):,} files ({sum(f.stat().st_size for f in files) / 1e6:,.0f} MB "
          f"gzipped) into {server}; medians of {runs} runs\n")
    print("| phase | median s | events/s | client CPU s | client CPU µs/event | runs (s) |")
    print("|---|---:|---:|---:|---:|---|")
    for name, phase in results.items():
        runs_text = ", ".join(f"{seconds:.1f}" for seconds, _, _ in phase)
        print(f"| {name} | {medians[name]:.1f} | {count / medians[name]:,.0f} | {cpu[name]:.1f} | "
              f"{cpu[name] / count * 1e6:,.0f} | {runs_text} |")
    verdict = "meets" if ratio >= 0.75 else "misses"
    cost = f"safety costs {1 - ratio:.0%} of throughput" if ratio < 1 else "no measurable cost"
    print(f"\ntattletrail / faster plain loop throughput: {ratio:.2f} ({verdict} the target >= 0.75; {cost})")
    if as_json:
        print(json.dumps({"events": count, "runs": results, "medians": medians, "client_cpu": cpu, "ratio": ratio}))


if __name__ == "__main__":
    main()
