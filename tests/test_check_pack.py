"""The shipped check pack (checks/): each check's query matches the CloudTrail records it promises
and none of their look-alikes, the same on the embedded store (DuckDB), in the Python reference
and on OpenSearch (osmem). docs/check-pack.md carries the pack's table, generated from the check
files: `.venv/bin/python -m tests.test_check_pack` rewrites it, a test keeps it equal.

The records and their look-alikes live in tests/check_pack_events.py, one entry per check: a new
check without an entry there fails `test_every_check_has_matching_records_and_look_alikes`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from tattletrail.alert import Status
from tattletrail.checks.model import Check, Direction, Kind, load_checks
from tattletrail.ingest import ingest
from tattletrail.query import parse_query, predicate
from tattletrail.query.fields import TEMPLATE
from tattletrail.query.opensearch import to_opensearch
from tattletrail.query.tree import All
from tattletrail.rules import load_rules
from tattletrail.sources.local import local_objects
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.check_pack_behaviour_events import BEHAVIOUR_CASES, CIS_FAILED_ATTEMPTS
from tests.check_pack_events import PACK_CASES, STOP_LOGGING, all_records
from tests.cloudtrail_files import write_log_file

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "checks"
DOC = ROOT / "docs" / "check-pack.md"
TABLE_START, TABLE_END = "<!-- check-pack-table:start -->", "<!-- check-pack-table:end -->"
INDEX = "tattletrail-events-check-pack"  # the template applies to tattletrail-events*

PACK_CASES.update(BEHAVIOUR_CASES)  # the behaviour checks' records live in their own module
for _name, _attempts in CIS_FAILED_ATTEMPTS.items():
    PACK_CASES[_name] = (PACK_CASES[_name][0] + _attempts, PACK_CASES[_name][1])
# Checks about a change: each pins what a refused attempt at that change does (counted or not).
# The others watch reads, sign-ins, errors themselves, regions, silence, or the rules' verdicts.
NOT_CHANGES = {"high-threat-events", "no-cloudtrail-events", "region-not-allowed", "region-first-use",
               "unauthorized-api-calls", "console-login-without-mfa", "console-login-failures", "root-account-usage",
               "secret-harvesting", "ec2-user-data-read", "long-term-key-new-address", "ses-sending-probed",
               "discovery-burst-from-instance"}
CHECKS: dict[str, Check] = {check.name: check for check in load_checks(PACK)}
CASES = [pytest.param(name, record["eventID"], expected, id=f"{name}:{'match' if expected else 'quiet'}:{record['eventID']}")
         for name, (matching, look_alikes) in PACK_CASES.items()
         for records, expected in ((matching, True), (look_alikes, False)) for record in records]


def ingest_records(directory: Path, records: list[dict[str, Any]]) -> DuckDBStore:
    """A DuckDB store holding these records, read from a gzipped log file as in production."""
    write_log_file(directory / "logs" / "pack.json.gz", records)
    store = DuckDBStore(directory / "events.duckdb")
    ingest(local_objects(str(directory / "logs")), store, rules=load_rules())  # scored, as the CLI does
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> DuckDBStore:
    return ingest_records(tmp_path_factory.mktemp("check-pack"), all_records())


@pytest.fixture(scope="module")
def documents(store: DuckDBStore) -> dict[str, dict[str, Any]]:
    """The stored documents (record plus derived fields) by event id: what every backend sees."""
    found = {document["event_id"]: document for document in store.search(All(), limit=None)}
    assert len(found) == len(all_records())
    return found


# ---- the pack itself --------------------------------------------------------------------

def test_every_check_has_matching_records_and_look_alikes() -> None:
    assert sorted(PACK_CASES) == sorted(CHECKS), "every shipped check needs an entry in tests/check_pack_events.py"
    for name, (matching, look_alikes) in PACK_CASES.items():
        assert matching, f"{name}: no record its query must match"
        # A silence check (direction below) has no look-alike: every event counts; an empty window fires it.
        assert look_alikes or CHECKS[name].direction is Direction.below, f"{name}: no look-alike it must not match"


@pytest.mark.parametrize("name", sorted(set(CHECKS) - NOT_CHANGES))
def test_every_change_check_pins_a_failed_attempt_at_the_change(name: str) -> None:
    matching, look_alikes = PACK_CASES[name]
    changes = {record["eventName"] for record in matching if not record.get("errorCode")}
    failed = [record for record in matching + look_alikes if record.get("errorCode") and record["eventName"] in changes]
    assert failed, f"{name}: no refused {', '.join(sorted(changes))} among its records or look-alikes"


@pytest.mark.parametrize("path", sorted(PACK.glob("*.yml")), ids=lambda path: path.name)
def test_one_check_per_file_named_after_it(path: Path) -> None:
    checks = load_checks(path)
    assert [check.name for check in checks] == [path.stem]


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_query_parses_and_check_says_what_it_is(name: str) -> None:
    check = CHECKS[name]
    parse_query(check.query)
    assert check.description and check.severity and check.tags and check.enabled
    assert check.destinations.warning and check.destinations.critical
    cis = [tag for tag in check.tags if tag.startswith("cis-")]
    for tag in cis:  # the control is in the tags and in the description
        assert f"CIS {tag.removeprefix('cis-')}:" in check.description


def test_pack_covers_every_cis_monitoring_control() -> None:
    controls = sorted(tag for check in CHECKS.values() for tag in check.tags if tag.startswith("cis-"))
    assert controls == sorted(f"cis-4.{number}" for number in range(1, 16))


# ---- queries on every backend ------------------------------------------------------------

@pytest.mark.parametrize("name, event_id, expected", CASES)
def test_query_matches_what_the_check_promises(store: DuckDBStore, documents: dict[str, dict[str, Any]],
                                               name: str, event_id: str, expected: bool) -> None:
    check = CHECKS[name]
    assert predicate(check.tree)(documents[event_id]) is expected, "Python reference"
    only_this_event = parse_query(f'eventID:"{event_id}" AND ({check.query})')
    assert store.count(only_this_event).total == int(expected), "DuckDB store"


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_duckdb_counts_what_python_matches(store: DuckDBStore, documents: dict[str, dict[str, Any]],
                                           name: str) -> None:
    tree = CHECKS[name].tree
    python = {event_id for event_id, document in documents.items() if predicate(tree)(document)}
    assert store.count(tree).total == len(python)
    assert {document["event_id"] for document in store.search(tree, limit=None)} == python


@pytest.fixture(scope="module")
def opensearch(opensearch_url: str, documents: dict[str, dict[str, Any]]) -> Iterator[Any]:
    from opensearchpy import OpenSearch, helpers

    client = OpenSearch(hosts=[opensearch_url])
    client.indices.put_index_template(name="tattletrail-events", body=json.loads(Path(TEMPLATE).read_text()))
    client.indices.create(index=INDEX)
    indexed, errors = helpers.bulk(client, ({"_index": INDEX, "_id": event_id, "_source": document}
                                            for event_id, document in documents.items()),
                                   raise_on_error=False, refresh=True)
    assert not errors and indexed == len(documents)
    yield client
    client.indices.delete(index=INDEX)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_opensearch_selects_what_python_matches(opensearch: Any, documents: dict[str, dict[str, Any]],
                                                name: str) -> None:
    tree = CHECKS[name].tree
    python = {event_id for event_id, document in documents.items() if predicate(tree)(document)}
    body = {"query": to_opensearch(tree), "size": 10_000, "_source": False}
    assert {hit["_id"] for hit in opensearch.search(index=INDEX, body=body)["hits"]["hits"]} == python


# ---- a generated trail: each injected incident fires its checks ---------------------------

# incident kind (tattletrail.generate) → the checks whose query must select its tell-tale event.
INCIDENT_CHECKS = {
    "default-route-deleted": ["route-deleted-or-replaced", "route-table-changes"],
    "ingress-open-to-world": ["ingress-open-to-world", "security-group-changes"],
    "console-login-without-mfa": ["console-login-without-mfa"],
    "root-activity": ["root-account-usage"],
    "new-region-activity": ["region-not-allowed", "region-first-use"],
    "cloudtrail-stopped": ["cloudtrail-config-changes"],
    "access-denied-burst": ["unauthorized-api-calls"],
    "iam-user-created": [],  # CreateUser and CreateAccessKey are in no CIS metric filter
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[DuckDBStore, Any]:
    from datetime import datetime

    from tattletrail.generate import generate_trail

    directory = tmp_path_factory.mktemp("generated")
    result = generate_trail(directory / "trail", days=1, seed=5, accounts=3, events_per_day=3_000,
                            end=datetime(2025, 3, 12, 0, 0))
    store = DuckDBStore(directory / "events.duckdb")
    ingest(local_objects(str(directory / "trail")), store)
    return store, result


@pytest.mark.parametrize("kind", sorted(INCIDENT_CHECKS))
def test_generated_incident_fires_its_checks(generated: tuple[DuckDBStore, Any], kind: str) -> None:
    store, result = generated
    incident = next(incident for incident in result.incidents if incident.kind == kind)
    for name in INCIDENT_CHECKS[kind]:
        only_this_event = parse_query(f'eventID:"{incident.eventID}" AND ({CHECKS[name].query})')
        assert store.count(only_this_event).total == 1, f"{name} misses the {kind} incident"


# incident kind → (check, the group it fires for, status): run as the checker runs, by event time
# (the trail was ingested in bulk, so its ingest times are all one), minutes after the incident.
INCIDENT_STATUSES = {
    "access-denied-burst": ("unauthorized-api-calls", "actor", Status.CRITICAL),
    "new-region-activity": ("region-first-use", "account", Status.CRITICAL),
}


@pytest.mark.parametrize("kind", sorted(INCIDENT_STATUSES))
def test_generated_incident_breaches_its_check(generated: tuple[DuckDBStore, Any], kind: str) -> None:
    from datetime import datetime, timedelta

    from tattletrail.checks.model import TimeField
    from tattletrail.checks.runner import Runner
    from tests.checks_engine_events import FakeClock

    store, result = generated
    incident = next(incident for incident in result.incidents if incident.kind == kind)
    name, group, status = INCIDENT_STATUSES[kind]
    check = CHECKS[name].model_copy(update={"count_by": TimeField.event_time})
    moment = datetime.fromisoformat(incident.eventTime.replace("Z", "")) + timedelta(minutes=5)
    results = {result.label: result for result in Runner(store, clock=FakeClock(moment)).run(check).results}
    fired = results[f"{name}[{group}={getattr(incident, group)}]"]
    assert fired.status is status
    if CHECKS[name].kind is Kind.new_value:
        assert fired.new_values == (incident.region,)


def test_leaked_key_check_fires_on_the_burst_s_first_call(generated: tuple[DuckDBStore, Any]) -> None:
    """The denied burst starts as a leaked key does: GetCallerIdentity from an address the key never used."""
    from datetime import datetime, timedelta

    from tattletrail.checks.model import TimeField
    from tattletrail.checks.runner import Runner
    from tests.checks_engine_events import FakeClock

    store, result = generated
    incident = next(incident for incident in result.incidents if incident.kind == "access-denied-burst")
    check = CHECKS["long-term-key-new-address"].model_copy(update={"count_by": TimeField.event_time})
    moment = datetime.fromisoformat(incident.eventTime.replace("Z", "")) + timedelta(minutes=5)
    fired = [result for result in Runner(store, clock=FakeClock(moment)).run(check).results
             if incident.sourceIPAddress in result.new_values]
    assert [result.status for result in fired] == [Status.WARNING]


def test_story_checks_are_quiet_on_generated_background_traffic(generated: tuple[DuckDBStore, Any]) -> None:
    store, result = generated
    incidents = {incident.kind: incident for incident in result.incidents}
    opened = store.search(CHECKS["ingress-open-to-world"].tree, limit=None)
    assert [document["eventID"] for document in opened] == [incidents["ingress-open-to-world"].eventID]
    # The background deletes private routes too (CI tearing down): routine, not the outage story.
    routes = store.search(CHECKS["route-deleted-or-replaced"].tree, limit=None)
    assert incidents["default-route-deleted"].eventID in {document["eventID"] for document in routes}
    default = {"0.0.0.0/0", "::/0"}
    destinations = [(document["requestParameters"] or {}).get("destinationCidrBlock") for document in routes
                    if document["eventName"] == "DeleteRoute"]
    assert destinations and set(destinations) <= default
    assert store.count(parse_query('eventName:DeleteRoute AND NOT requestParameters.destinationCidrBlock:"0.0.0.0/0"')).total
    assert {document["eventName"] for document in routes} <= {"DeleteRoute", "ReplaceRoute", "DeleteRouteTable",
                                                               "ReplaceRouteTableAssociation", "DisassociateRouteTable"}
    outside = store.search(CHECKS["region-not-allowed"].tree, limit=None)
    assert outside and {document["awsRegion"] for document in outside} == {incidents["new-region-activity"].region}


# ---- statuses that depend on the pack's thresholds ---------------------------------------

def test_no_cloudtrail_events_is_critical_on_silence_and_ok_once_one_event_arrives(tmp_path: Path) -> None:
    check = CHECKS["no-cloudtrail-events"]
    silent = DuckDBStore(tmp_path / "silent.duckdb")
    assert check.status_of(silent.count(check.tree).total) is Status.CRITICAL
    one_event = ingest_records(tmp_path / "one", [STOP_LOGGING])
    assert check.status_of(one_event.count(check.tree).total) is Status.OK


@pytest.mark.parametrize("name", ["ingress-open-to-world", "route-deleted-or-replaced", "root-account-usage",
                                  "cloudtrail-config-changes", "kms-key-disabled-or-deleted",
                                  "aws-config-changes", "organizations-changes"])
def test_one_event_is_critical_for_the_checks_where_one_is_too_many(name: str) -> None:
    assert CHECKS[name].status_of(1) is Status.CRITICAL


def test_region_first_use_watches_awsregion_per_account() -> None:
    check = CHECKS["region-first-use"]
    assert (check.kind, check.field, check.group_by) == (Kind.new_value, "awsRegion", ["account"])


# ---- docs/check-pack.md ------------------------------------------------------------------

def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().replace("|", "\\|")


def _cis_order(check: Check) -> tuple[int, str]:
    """The story checks first, then the CIS controls in the benchmark's order."""
    cis = [tag for tag in check.tags if tag.startswith("cis-4.")]
    return (int(cis[0].removeprefix("cis-4.")) if cis else 0, check.name)


def _thresholds(check: Check) -> str:
    per = f" per {', '.join(check.group_by)}" if check.group_by else ""
    if check.kind is Kind.new_value:
        baseline = int(check.baseline.total_seconds() // 86400) if check.baseline else 0
        return f"a new `{check.field}` (none in the previous {baseline}d){per}"
    sign = "≥" if check.direction is Direction.above else "<"
    warning, critical = check.thresholds
    levels = [f"{label} {sign} {value:g}" for label, value in (("warning", warning), ("critical", critical))
              if value is not None and not (label == "warning" and value == critical)]
    counted = f" distinct {' + '.join(f'`{field}`' for field in check.distinct)}" if check.distinct else ""
    return ", ".join(levels) + counted + per


def _span(check: Check) -> str:
    from tattletrail.checks.model import duration_text

    return f"{duration_text(check.window)} / {duration_text(check.interval)}"


def pack_table(checks: list[Check]) -> str:
    """The markdown table docs/check-pack.md holds between its markers."""
    rows = ["| check | what it catches | CIS | query | fires on | window / every |", "|---|---|---|---|---|---|"]
    for check in sorted(checks, key=_cis_order):
        cis = ", ".join(tag.removeprefix("cis-") for tag in check.tags if tag.startswith("cis-")) or "—"
        rows.append(f"| `{check.name}` | {_cell(check.description)} | {cis} | `{_cell(check.query)}` | "
                    f"{_thresholds(check)} | {_span(check)} |")
    return "\n".join(rows)


def test_doc_table_is_the_pack() -> None:
    text = DOC.read_text()
    assert TABLE_START in text and TABLE_END in text
    written = text.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0].strip()
    assert written == pack_table(list(CHECKS.values())), \
        "docs/check-pack.md is out of date: run .venv/bin/python -m tests.test_check_pack"
    for name in CHECKS:
        assert f"`{name}`" in written


def write_doc_table() -> None:
    text = DOC.read_text()
    before, rest = text.split(TABLE_START, 1)
    after = rest.split(TABLE_END, 1)[1]
    DOC.write_text(f"{before}{TABLE_START}\n{pack_table(list(CHECKS.values()))}\n{TABLE_END}{after}")


if __name__ == "__main__":
    write_doc_table()
