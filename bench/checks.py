"""Benchmark: the whole check pack (checks/) on the embedded store, at 1M events and more.

    .venv/bin/python bench/checks.py --events 1000000              # generate, ingest, measure
    .venv/bin/python bench/checks.py --events 1000000 --copies 10  # 10M: the 1M trail 10 times over

Events come from `tattletrail generate` (kept in --workdir, shared with bench/query.py, reused).
The ingested store is copied and its events are made to *arrive* as a running system receives
them: each event's ingest_time becomes its eventTime plus a CloudTrail-like delay of 2 to 15
minutes (a bulk ingest would otherwise give them all the same ingest time). With --copies N the
trail is repeated N times back in time (new eventIDs, times shifted by the trail's length), so
the store holds N times the history at the same event rate.

Measured, with `now` one minute after the last arrival:
- cold: the first run of every check with no state (new_value checks read their 30-day baseline);
- steady: --runs further runs, one interval apart, as the checker does (state kept, alerts sent to
  a destination that discards them);
- check run: the same steady steps as `tattletrail check run` does them, read-only (no state), with
  new_value baselines kept between runs (check-baselines.sqlite): the first of these reads the
  30-day baseline whole, like cold, and the ones after only the time since;
- bulk: one run of every check right after a bulk ingest, when every event is in the window.
The output is markdown. Run it by hand; it is not part of the tests.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import zlib
from datetime import datetime, timedelta
from pathlib import Path

from tattletrail.alert import Alert
from tattletrail.checks.baseline import BaselineFile
from tattletrail.checks.model import Check, load_checks
from tattletrail.checks.runner import Runner
from tattletrail.checks.state import StateFile
from tattletrail.destinations.delivery import Dispatcher
from tattletrail.packs import shipped
from tattletrail.stores.duckdb.store import DuckDBStore
from tattletrail.stores.opensearch.store import OpenSearchStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from query import prepare  # noqa: E402  (bench/query.py: the same generated trail and store)
from common import run_header  # noqa: E402  (bench/common.py)

PACK = shipped("checks")


class Discard:
    def __init__(self, name: str) -> None:
        self.name = name

    def send(self, alert: Alert) -> None:
        pass


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="events to generate")
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--copies", type=int, default=1, help="repeat the trail this many times back in time")
    parser.add_argument("--runs", type=int, default=5, help="steady runs after the cold one")
    parser.add_argument("--checks", type=Path, default=PACK)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tattletrail-bench"))
    options = parser.parse_args()
    print(run_header())

    _, generated = prepare(options)
    ingested = generated.path
    arrived = arrive(ingested, options.copies, options.days)
    checks = [check for check in load_checks(options.checks) if check.enabled]
    store = DuckDBStore(arrived)
    with store.connect() as connection:
        total, last = connection.execute("SELECT count(*), max(ingest_time) FROM events").fetchone()
    now = last + timedelta(minutes=1)
    print(f"{total:,} events in {arrived} ({arrived.stat().st_size / 2**20:,.0f} MiB), {len(checks)} checks, "
          f"now = {now:%Y-%m-%d %H:%M:%S}\n")

    with tempfile.TemporaryDirectory() as scratch:
        state = StateFile(Path(scratch) / "state.sqlite", store.url)
        names = {name for check in checks for name in check.destinations.everywhere()}
        clock = FixedClock(now)
        with Dispatcher({name: Discard(name) for name in names}, Path(scratch) / "outbox.sqlite") as dispatcher:
            runner = Runner(store, state=state, dispatcher=dispatcher, clock=clock)
            one_shot = Runner(store, clock=clock, baselines=BaselineFile(Path(scratch) / "baselines.sqlite", store.url))
            cold = run_pack(runner, checks)
            run_pack(one_shot, checks)  # reads the baselines whole, once
            steady, check_runs = [], []
            for _ in range(options.runs):
                clock.moment += timedelta(minutes=1)
                steady.append(run_pack(runner, checks))
                check_runs.append(run_pack(one_shot, checks))
    bulk_store = DuckDBStore(ingested)
    with bulk_store.connect() as connection:
        bulk_now = connection.execute("SELECT max(ingest_time) FROM events").fetchone()[0] + timedelta(seconds=1)
    bulk = run_pack(Runner(bulk_store, clock=FixedClock(bulk_now)), checks)

    print("| check | cold (ms) | steady p50 (ms) | steady max (ms) | check run p50 (ms) | bulk (ms) | steady status |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for check in checks:
        times = [run[check.name][0] for run in steady]
        one_shots = [run[check.name][0] for run in check_runs]
        print(f"| {check.name} | {cold[check.name][0]:,.0f} | {statistics.median(times):,.0f} | {max(times):,.0f} | "
              f"{statistics.median(one_shots):,.0f} | {bulk[check.name][0]:,.0f} | {steady[-1][check.name][1]} |")
    totals = [sum(seconds for seconds, _ in run.values()) for run in steady]
    one_shot_totals = [sum(seconds for seconds, _ in run.values()) for run in check_runs]
    print(f"| **whole pack** | **{sum(s for s, _ in cold.values()):,.0f}** | **{statistics.median(totals):,.0f}** | "
          f"**{max(totals):,.0f}** | **{statistics.median(one_shot_totals):,.0f}** | "
          f"**{sum(s for s, _ in bulk.values()):,.0f}** | |")


def run_pack(runner: Runner, checks: list[Check]) -> dict[str, tuple[float, str]]:
    """Milliseconds and the worst status of each check."""
    timings = {}
    with runner.store.reading():  # as the checker does: one connection per pass
        for check in checks:
            started = time.perf_counter()
            run = runner.run(check)
            timings[check.name] = ((time.perf_counter() - started) * 1000, run.worst.name)
    return timings


def arrive(ingested: Path, copies: int, days: int) -> Path:
    """A copy of the store whose events arrived 2–15 minutes after their eventTime, in arrival
    order (as a running ingest writes them, so zone maps on ingest_time prune), repeated `copies`
    times back in time. Built once per number of copies."""
    target = ingested.with_name(f"arrived-x{copies}.duckdb")
    if target.exists():
        return target
    started = time.perf_counter()
    scratch = target.with_suffix(".building")
    shutil.copyfile(ingested if copies == 1 else arrive(ingested, 1, days), scratch)
    with DuckDBStore(scratch).connect(read_only=False) as connection:
        if copies == 1:
            # A delay per event from its identity: deterministic, spread over 2..15 minutes.
            connection.execute("UPDATE events SET ingest_time = event_time + to_seconds(120 + hash(event_id) % 780)")
            # The table as the store made it (zstd records, fast columns), not CREATE TABLE AS's defaults
            ddl = connection.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'events'").fetchone()[0]
            connection.execute(ddl.replace("CREATE TABLE events", "CREATE TABLE arrived", 1))
            connection.execute("INSERT INTO arrived SELECT * FROM events ORDER BY ingest_time")
            connection.execute("DROP TABLE events")
            connection.execute("ALTER TABLE arrived RENAME TO events")
        span = connection.execute("SELECT max(event_time) - min(event_time) FROM events").fetchone()[0]
        span = max(span, timedelta(days=days))
        columns = [row[0] for row in connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'events' "
            "ORDER BY ordinal_position").fetchall()]
        shifted = {"event_id": "event_id || '-copy{k}'", "event_time": "event_time - {shift}",
                   "ingest_time": "ingest_time - {shift}"}
        for k in range(1, copies):  # each copy is older history, appended in its own arrival order
            shift = f"to_seconds({int(span.total_seconds()) * k})"
            # fast field columns are named `fast:path.to.field`: quoted
            select = ", ".join(shifted.get(name, f'"{name}"').format(k=k, shift=shift) for name in columns)
            connection.execute(f"INSERT INTO events SELECT {select} FROM events WHERE event_id NOT LIKE '%-copy%'")
            print(f"  copy {k} of {copies - 1}", file=sys.stderr, flush=True)
        connection.execute("CHECKPOINT")
    scratch.rename(target)
    print(f"built {target.name} in {time.perf_counter() - started:,.0f}s", file=sys.stderr)
    return target


def arrive_opensearch(store: OpenSearchStore) -> None:
    """The OpenSearch events made to arrive like `arrive`'s (copies=1): each ingest_time becomes
    its eventTime plus 2 to 15 minutes, a delay from the event's identity (crc32, where DuckDB uses
    its own hash: the same spread, not the same delay per event). Done once: events that arrived
    before the trail ended show it was."""
    from opensearchpy import helpers

    from tattletrail.event import document_time

    def edge(kind: str, field: str) -> float | None:
        answer = store.client.search(index=store.events_pattern, body={
            "size": 0, "aggs": {"edge": {kind: {"field": field}}}})
        return answer["aggregations"]["edge"]["value"]

    first_arrival, last_event = edge("min", "ingest_time"), edge("max", "event_time")
    if first_arrival is None or last_event is None or first_arrival < last_event:
        return
    started = time.perf_counter()
    scan = helpers.scan(store.client, index=store.events_pattern, query={"_source": ["event_time"]}, size=5_000)
    updates = ({"_op_type": "update", "_index": hit["_index"], "_id": hit["_id"], "doc": {"ingest_time": document_time(
        datetime.fromisoformat(hit["_source"]["event_time"].replace("Z", "")) +
        timedelta(seconds=120 + zlib.crc32(hit["_id"].encode()) % 780))}} for hit in scan)
    updated, _ = helpers.bulk(store.client, updates, chunk_size=5_000, request_timeout=600)
    store.client.indices.refresh(index=store.events_pattern)
    print(f"arrived {updated:,} OpenSearch events in {time.perf_counter() - started:,.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
