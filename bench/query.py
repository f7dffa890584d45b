"""Benchmark: `count` latency of each saved search, bare terms and payload fields on the embedded
store, as the user runs it (the CLI in a fresh process) and in-process, against jq on the raw files.

    .venv/bin/python bench/query.py --events 1000000            # generate, ingest, measure
    .venv/bin/python bench/query.py --store big.duckdb          # an existing store (e.g. bench/checks.py's 10M)

Events come from `tattletrail generate` (kept in --workdir and reused across runs with the same
size and seed), ingested with the CLI `ingest` (rules on, as users run it). For each query it
times `tattletrail count` as a subprocess (--cli-runs times, interleaved across queries so load
from neighbours spreads evenly; median and the worst peak RSS), then `store.count(query)`
in-process (--runs times after a warm-up; p50 with and without opening the store file), then jq
answering the same question over the gzipped log files once. The output is a markdown table. Run
it by hand; tests/test_bench.py runs it tiny.

With --opensearch http://HOST:PORT the same trail is also ingested there with the CLI (`setup`,
then `ingest` under the prefix bench-EVENTS-DAYSd-seedSEED; files already in its ledger are
skipped, so a second run reuses them) and every `count` is run on both stores, interleaved; the
table gains OpenSearch's matches and CLI p50 beside DuckDB's.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tattletrail.query import parse_query
from tattletrail.query.tree import All, Node
from tattletrail.searches import load_searches
from tattletrail.stores.duckdb.store import DuckDBStore
from tattletrail.stores.duckdb.search import where
from tattletrail.stores.opensearch.store import OpenSearchStore
from common import run_header  # noqa: E402  (bench/common.py)

# The same questions in jq, over one CloudTrail record (`.`); $p is the saved search's parameter.
JQ_FILTERS: dict[str, str] = {
    "actor-activity": '(.userIdentity.userName == $p) or ((.userIdentity.arn // "") | endswith("assumed-role/" + $p))'
                      ' or ($p == "root" and .userIdentity.type == "Root")',
    "route-changes": '.eventSource == "ec2.amazonaws.com" and (.eventName | IN("CreateRoute", "ReplaceRoute", '
                     '"DeleteRoute", "CreateRouteTable", "DeleteRouteTable", "AssociateRouteTable", '
                     '"DisassociateRouteTable", "ReplaceRouteTableAssociation"))',
    "security-group-changes": '.eventSource == "ec2.amazonaws.com" and (.eventName | IN('
                              '"AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", '
                              '"RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "ModifySecurityGroupRules", '
                              '"UpdateSecurityGroupRuleDescriptionsIngress", "UpdateSecurityGroupRuleDescriptionsEgress", '
                              '"CreateSecurityGroup", "DeleteSecurityGroup"))',
    "ingress-open-to-world": '.eventName == "AuthorizeSecurityGroupIngress" and ([.requestParameters.ipPermissions'
                             '.items[]? | (.ipRanges.items[]?.cidrIp == "0.0.0.0/0"), '
                             '(.ipv6Ranges.items[]?.cidrIpv6 == "::/0")] | any)',
    "console-logins": '.eventName == "ConsoleLogin"',
    "console-logins-without-mfa": '.eventName == "ConsoleLogin" and .responseElements.ConsoleLogin == "Success" '
                                  'and .additionalEventData.MFAUsed == "No"',
    "root-activity": '.userIdentity.type == "Root" and .eventType != "AwsServiceEvent"',
    "denied-calls": '(.errorCode // "") | test("^(AccessDenied|AccessDeniedException|.*UnauthorizedOperation|'
                    'UnauthorizedAccess|.*NotAuthorized.*|Forbidden)$")',
    "failed-calls": '.errorCode != null',
    "iam-changes": '.eventSource == "iam.amazonaws.com" and ((.eventName // "") | test("^(Get|List|Generate|'
                   'Simulate|Describe)") | not)',
    "cloudtrail-changes": '.eventSource == "cloudtrail.amazonaws.com" and (.eventName | IN("CreateTrail", '
                          '"UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging", "PutEventSelectors", '
                          '"PutInsightSelectors", "PutAdvancedEventSelectors", "DeleteEventDataStore", '
                          '"UpdateEventDataStore"))',
    "kms-key-disable-delete": '.eventSource == "kms.amazonaws.com" and (.eventName | IN("DisableKey", '
                              '"ScheduleKeyDeletion"))',
    "s3-bucket-policy-acl-changes": '.eventSource == "s3.amazonaws.com" and (.eventName | IN("PutBucketPolicy", '
                                    '"DeleteBucketPolicy", "PutBucketAcl", "PutObjectAcl", '
                                    '"PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock", '
                                    '"PutAccountPublicAccessBlock", "PutBucketOwnershipControls"))',
    "region-activity": '.awsRegion == $p',
    "access-key-activity": '.userIdentity.accessKeyId == $p',
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="background events to generate")
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=9, help="timed in-process runs per query")
    parser.add_argument("--cli-runs", type=int, default=3, help="timed CLI runs per query (interleaved)")
    parser.add_argument("--only", help="measure only the queries whose label matches this regular expression")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tattletrail-bench"))
    parser.add_argument("--no-jq", action="store_true", help="skip the jq comparison")
    parser.add_argument("--store", type=Path, help="measure this existing DuckDB file instead (e.g. the 10M "
                        "store bench/checks.py builds); implies --no-jq")
    parser.add_argument("--opensearch", metavar="URL", help="also ingest the trail into this OpenSearch cluster "
                        "(http://host:9200, or a store URL) and time the same `count` commands on it")
    options = parser.parse_args()
    if options.store and options.opensearch:
        parser.error("--opensearch ingests the generated trail: it can't be used with --store")
    print(run_header())

    if options.store:
        logs, store, options.no_jq = Path("/nonexistent"), DuckDBStore(options.store), True
    else:
        logs, store = prepare(options)
    total = store.count(All()).total
    arguments = parameters_from(store)
    print(f"{total:,} events in {store.path} ({store.path.stat().st_size / 2**20:,.0f} MiB), "
          f"{len(getattr(store, 'fast_columns', {}))} fast field columns; {options.runs} in-process runs per query "
          f"after a warm-up, {options.cli_runs} CLI runs; jq {'skipped' if options.no_jq else jq_version()}; "
          f"load average {os.getloadavg()[0]:.1f}\n")
    queries = {label: query for label, query in bench_queries(arguments).items()
               if not options.only or re.search(options.only, label)}
    stores = [store.url]
    if options.opensearch:
        opensearch = opensearch_store(options.opensearch, logs, options)
        stores.append(opensearch.url)
        print(f"OpenSearch: {opensearch.url}, {opensearch.count(All()).total:,} events\n")
    cli = cli_latencies(stores, queries, options.cli_runs)
    print(f"commands: `tattletrail count ARGUMENTS --store URL` for URL in {', '.join(stores)}; "
          f"load average {os.getloadavg()[0]:.1f} after them\n")
    beside = " OpenSearch matches | OpenSearch CLI p50 (ms) | OpenSearch CLI peak RSS (MB) |" if options.opensearch \
        else ""
    print("| query | matches | CLI p50 (ms) | CLI peak RSS (MB) |" + beside + " count p50 (ms) | count p95 (ms) "
          "| SQL p50 (ms) | SQL p95 (ms) | jq (s) | jq matches | jq / CLI p50 |")
    print("|---|---:|---:|---:|" + "---:|" * beside.count("|") + "---:|---:|---:|---:|---:|---:|---:|")
    for label, (cli_arguments, text, jq_filter, jq_parameter) in queries.items():
        tree = parse_query(text)
        matches = store.count(tree).total  # warm-up
        latencies = []
        for _ in range(options.runs):
            started = time.perf_counter()
            store.count(tree)
            latencies.append((time.perf_counter() - started) * 1000)
        p50, p95 = statistics.median(latencies), percentile(latencies, 95)
        query_only = query_latencies(store, tree, options.runs)
        jq_seconds, jq_matches = (None, None) if options.no_jq or not jq_filter else run_jq(logs, jq_filter,
                                                                                            jq_parameter)
        cli_p50, cli_rss = statistics.median(cli[label][store.url][0]), max(cli[label][store.url][1])
        speedup = f"{jq_seconds * 1000 / cli_p50:,.0f}x" if jq_seconds else "-"
        on_opensearch = ""
        if options.opensearch:
            wall, rss = cli[label][opensearch.url]
            on_opensearch = (f" {opensearch.count(tree).total:,} | {statistics.median(wall):,.0f} | "
                             f"{max(rss):,.0f} |")
        print(f"| {label} | {matches:,} | {cli_p50:,.0f} | {cli_rss:,.0f} |{on_opensearch} {p50:,.1f} | {p95:,.1f} | "
              f"{statistics.median(query_only):,.1f} | "
              f"{percentile(query_only, 95):,.1f} | "
              f"{'-' if jq_seconds is None else f'{jq_seconds:,.1f}'} | "
              f"{'-' if jq_matches is None else f'{jq_matches:,}'} | {speedup} |", flush=True)


# Beside the saved searches: a bare term (any field, as typed in Dashboards' search bar), payload
# fields with a fast column (the packs use them), and one without (every record's JSON is read).
AD_HOC: dict[str, tuple[str, str]] = {
    "bare term DOE1": ("DOE1", ""),
    "bare term 203.0.113.7": ("203.0.113.7", ""),
    "additionalEventData.MFAUsed:No": ("additionalEventData.MFAUsed:No", '.additionalEventData.MFAUsed == "No"'),
    "cidrIp:0.0.0.0/0": ('requestParameters.ipPermissions.items.ipRanges.items.cidrIp:"0.0.0.0/0"',
                         '[.requestParameters.ipPermissions.items[]?.ipRanges.items[]?.cidrIp == "0.0.0.0/0"] | any'),
    "responseElements.ConsoleLogin:Failure": ("responseElements.ConsoleLogin:Failure",
                                              '.responseElements.ConsoleLogin == "Failure"'),
    "not fast: requestParameters.instanceType:c6i.8xlarge": (
        "requestParameters.instanceType:c6i.8xlarge", '.requestParameters.instanceType == "c6i.8xlarge"'),
}


def bench_queries(arguments: dict[str, str]) -> dict[str, tuple[list[str], str, str, str]]:
    """label → (the CLI's arguments after `count`, the query text, a jq filter, its $p)."""
    queries: dict[str, tuple[list[str], str, str, str]] = {}
    for name, search in sorted(load_searches().items()):
        parameter = {param: arguments[param] for param in search.params}
        queries[name] = (["--saved", name, *(f"{key}={value}" for key, value in parameter.items())],
                         search.render(parameter), JQ_FILTERS[name], next(iter(parameter.values()), ""))
    for label, (text, jq_filter) in AD_HOC.items():
        queries[label] = ([text], text, jq_filter, "")
    return queries


def cli_latencies(stores: list[str], queries: dict[str, tuple[list[str], str, str, str]],
                  runs: int) -> dict[str, dict[str, tuple[list[float], list[float]]]]:
    """`tattletrail count ... --store URL` in a fresh process: wall milliseconds and peak RSS (MB)
    per query, store and run, the queries (and stores) interleaved run after run."""
    found = {label: {url: ([], []) for url in stores} for label in queries}
    for _ in range(runs):
        for label, (cli_arguments, _, _, _) in queries.items():
            for url in stores:
                command = [sys.executable, "-m", "tattletrail", "count", *cli_arguments, "--store", url]
                started = time.perf_counter()
                process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                _, status, usage = os.wait4(process.pid, 0)
                found[label][url][0].append((time.perf_counter() - started) * 1000)
                found[label][url][1].append(usage.ru_maxrss / 1024)
                process.returncode = os.waitstatus_to_exitcode(status)
                if process.returncode != 0:
                    sys.exit(f"{shlex_join(command)} failed with exit code {process.returncode}")
    return found


def shlex_join(command: list[str]) -> str:
    import shlex

    return shlex.join(command)


def query_latencies(store: DuckDBStore, tree: Node, runs: int) -> list[float]:
    """The SQL alone on a connection already open: `count` minus opening the file (which the
    store does per operation so that no process holds the file)."""
    # (a store of an older Tattletrail, measured for a before/after, has no fast columns)
    condition = where(tree, None, None, *([store.fast_columns] if hasattr(store, "fast_columns") else []))
    latencies = []
    with store.connect() as connection:
        connection.execute(f"SELECT count(*) FROM events WHERE {condition.sql}", condition.parameters).fetchone()
        for _ in range(runs):
            started = time.perf_counter()
            connection.execute(f"SELECT count(*) FROM events WHERE {condition.sql}", condition.parameters).fetchone()
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def prepare(options: argparse.Namespace) -> tuple[Path, DuckDBStore]:
    """Generated log files and a store holding them, built once per (events, days, seed)."""
    root = options.workdir / f"{options.events}-{options.days}d-seed{options.seed}"
    logs, database = root / "logs", root / "events.duckdb"
    if not logs.exists():
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tattletrail", "generate", str(logs), "--days", str(options.days),
                        "--events-per-day", str(options.events // options.days), "--seed", str(options.seed)],
                       check=True)
        print(f"generated in {time.perf_counter() - started:,.0f}s", file=sys.stderr)
    if not database.exists():  # as a user ingests: the CLI, rules on (the store's layout and threat levels)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tattletrail", "ingest", str(logs),
                        "--store", f"duckdb://{database.resolve()}"], check=True, stdout=subprocess.DEVNULL)
        print(f"ingested in {time.perf_counter() - started:,.0f}s", file=sys.stderr)
    return logs, DuckDBStore(database)


def opensearch_store(cluster: str, logs: Path, options: argparse.Namespace) -> OpenSearchStore:
    """The trail in OpenSearch as a user puts it there: `tattletrail setup`, then `tattletrail
    ingest` (rules on), under a prefix of its own per (events, days, seed). Files already in the
    prefix's ledger are skipped, so a second run reuses what the cluster holds."""
    prefix = f"bench-{options.events}-{options.days}d-seed{options.seed}"
    url = cluster if cluster.startswith("opensearch") else \
        cluster.replace("https://", "opensearch+https://", 1).replace("http://", "opensearch://", 1)
    if "prefix=" not in url:
        url += ("&" if "?" in url else "?") + f"prefix={prefix}"
    subprocess.run([sys.executable, "-m", "tattletrail", "setup", "--store", url], check=True, stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tattletrail", "ingest", str(logs), "--store", url], check=True,
                   stdout=subprocess.DEVNULL)
    print(f"ingested into OpenSearch (files not yet in its ledger) in {time.perf_counter() - started:,.0f}s",
          file=sys.stderr)
    return OpenSearchStore(url)


def parameters_from(store: DuckDBStore) -> dict[str, str]:
    """Realistic parameter values: the busiest actor, region and access key in the store."""
    def busiest(field: str) -> str:
        groups = store.count(All(), by=field, top=1).groups
        return groups[0][0] if groups else "none"

    return {"actor": busiest("actor"), "region": busiest("awsRegion"), "key": busiest("userIdentity.accessKeyId")}


def run_jq(logs: Path, condition: str, parameter: str) -> tuple[float, int]:
    """Seconds and matches for jq over every gzipped log file (digests left out)."""
    files = [str(path) for path in sorted(logs.rglob("*.json.gz")) if "CloudTrail-Digest" not in str(path)]
    script = f'[inputs | .Records[] | select({condition})] | length'
    started = time.perf_counter()
    unzip = subprocess.Popen(["xargs", "-0", "zcat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    jq = subprocess.Popen(["jq", "-n", "--arg", "p", parameter, script], stdin=unzip.stdout,
                          stdout=subprocess.PIPE, text=True)
    assert unzip.stdin is not None and unzip.stdout is not None
    unzip.stdout.close()
    unzip.stdin.write("\0".join(files).encode())
    unzip.stdin.close()
    output, _ = jq.communicate()
    unzip.wait()
    return time.perf_counter() - started, int(output.strip() or 0)


def percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


def jq_version() -> str:
    if shutil.which("jq") is None:
        sys.exit("jq is not installed: install it or pass --no-jq")
    return subprocess.run(["jq", "--version"], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    main()
