"""Rule files, annotations, the eventName index, scoring at ingest, rule alerts, the DuckDB
migration and rescore, on real stores (DuckDB files, osmem for OpenSearch)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import orjson
import pytest

from tattletrail.config import ConfigError
from tattletrail.destinations import Dispatcher
from tattletrail.destinations.jsonl import JsonLinesDestination
from tattletrail.event import document_of, normalize
from tattletrail.ingest import ingest
from tattletrail.query import parse_query
from tattletrail.query.tree import All
from tattletrail.rules import RuleSet, load_rules, required_event_names
from tattletrail.rules.alerts import RuleAlerter
from tattletrail.rules.annotation import MISSING, TemplateError, compile_template
from tattletrail.rules.model import load_rule_file, load_rule_files
from tattletrail.rules.rescore import rescore
from tattletrail.sources.local import local_objects
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.cloudtrail_files import corpus_records, write_log_file
from tests.rule_pack_events import CASES
from tests.rule_pack_records import DOE1, RTB, call, ingress

PACK = load_rules()
ROUTE = call("DeleteRoute", "ec2", {"routeTableId": RTB, "destinationCidrBlock": "0.0.0.0/0"}, {"_return": True}, DOE1,
             eventID="doe1-default-route")
OPEN_SSH = call("AuthorizeSecurityGroupIngress", "ec2", ingress(["10.0.0.0/8", "0.0.0.0/0"], port=22), eventID="ssh-open")
DESCRIBE = call("DescribeInstances", "ec2", {"instancesSet": {}}, readOnly=True, eventID="describe")


def write_rules(directory: Path, text: str, name: str = "mine.yml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text)
    return directory


def ingested(tmp_path: Path, records: list[dict], rules: RuleSet | None, alerter: RuleAlerter | None = None,
             name: str = "events.duckdb") -> tuple[DuckDBStore, object]:
    write_log_file(tmp_path / "logs" / f"{name}.json.gz", records)
    store = DuckDBStore(tmp_path / name)
    summary = ingest(local_objects(str(tmp_path / "logs" / f"{name}.json.gz")), store, rules=rules, alerter=alerter)
    return store, summary


def ids(store, query: str) -> set[str]:
    return {document["event_id"] for document in store.search(parse_query(query), limit=None)}


# Rule files -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("name: x\ndescription: d\nquery: eventName:X\nlevel: high\nanotation: hi\n",
     "mine.yml:5: unknown key 'anotation' (did you mean 'annotation'?)"),
    ("name: x\ndescription: d\nquery: eventName:X\nlevel: severe\n", "mine.yml:4: level: Input should be"),
    ("name: x\ndescription: d\nquery: 'eventName:(X'\nlevel: high\n", "mine.yml:3: rule 'x': the query doesn't parse"),
    ("name: x\ndescription: d\nquery: threat_level:high\nlevel: high\n", "mine.yml:3: rule 'x': a rule can't query threat_level"),
    ("name: x\ndescription: d\nquery: eventName:X\nlevel: high\nannotation: '{actor opened'\n",
     "mine.yml:5: rule 'x': annotation: unbalanced '{'"),
    ("name: Bad Name\ndescription: d\nquery: eventName:X\nlevel: high\n", "mine.yml:1: name: String should match"),
    ("- name: a\n  description: d\n  query: eventName:X\n  level: low\n"
     "- name: b\n  description: d\n  query: eventName:Y\n  level: low\n  tags: 3\n", "mine.yml:9: tags: Input should be"),
])
def test_a_broken_rule_file_is_an_error_naming_file_and_line(tmp_path: Path, text: str, message: str):
    with pytest.raises(ConfigError) as caught:
        load_rule_files([write_rules(tmp_path, text)])
    assert message in str(caught.value)
    assert str(tmp_path / "mine.yml") in str(caught.value)


def test_a_rule_name_used_twice_names_both_places(tmp_path: Path):
    rule = "name: same\ndescription: d\nquery: eventName:X\nlevel: low\n"
    write_rules(tmp_path, rule, "a.yml")
    write_rules(tmp_path, "# another\n" + rule, "b.yml")
    with pytest.raises(ConfigError, match=r"b.yml:2: rule 'same' is also defined at .*a.yml:1"):
        load_rule_files([tmp_path])


def test_a_file_holds_one_rule_or_a_list_and_disabled_rules_do_not_run(tmp_path: Path):
    write_rules(tmp_path, "name: one\ndescription: d\nquery: eventName:DeleteRoute\nlevel: high\n", "one.yml")
    write_rules(tmp_path, "- name: two\n  description: d\n  query: eventName:DescribeInstances\n  level: low\n"
                "- name: three\n  description: d\n  query: eventName:DeleteRoute\n  level: low\n  enabled: false\n",
                "many.yaml")
    loaded = load_rule_files([tmp_path])
    assert [rule.name for rule in loaded] == ["two", "three", "one"]
    assert loaded[1].origin.endswith("many.yaml:5")
    assert [rule.name for rule in RuleSet(loaded).rules] == ["two", "one"]


def test_a_missing_rules_directory_is_an_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="no such rules directory"):
        load_rules(tmp_path / "nope")


# Annotations ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("template, rendered", [
    ("{actor} deleted {requestParameters.destinationCidrBlock} of {requestParameters.routeTableId}",
     f"DOE1 deleted 0.0.0.0/0 of {RTB}"),
    ("{requestParameters.nothing} and {userIdentity.sessionContext.x}", f"{MISSING} and {MISSING}"),
    ("{requestParameters.gone|requestParameters.routeTableId}", RTB),
    ("{responseElements._return} {readOnly}", "true false"),
    ("{{literal}} {eventName}", "{literal} DeleteRoute"),
    ("{userIdentity}", None),  # an object: compact JSON
])
def test_annotation_templates_render_paths_alternatives_and_missing_values(template: str, rendered: str | None):
    document = document_of(normalize(ROUTE))
    text = compile_template(template).render(document)
    if rendered is None:
        assert json.loads(text)["userName"] == "DOE1"
    else:
        assert text == rendered


def test_annotation_paths_step_through_lists_and_pick_elements_by_number():
    document = document_of(normalize(call("AuthorizeSecurityGroupIngress", "ec2", ingress(["10.0.0.0/8", "0.0.0.0/0"]))))
    assert compile_template("{requestParameters.ipPermissions.items.ipRanges.items.cidrIp}").render(document) == \
        "10.0.0.0/8, 0.0.0.0/0"
    assert compile_template("{requestParameters.ipPermissions.items.0.ipRanges.items.1.cidrIp}").render(document) == \
        "0.0.0.0/0"
    assert compile_template("{requestParameters.ipPermissions.items.5.fromPort}").render(document) == MISSING


def test_annotations_never_raise_on_odd_records_and_cut_long_values():
    template = compile_template("{requestParameters.a.b} {requestParameters.0} {errorMessage}")
    odd = {"requestParameters": "just a string", "errorMessage": "x" * 1000}
    text = template.render(odd)
    assert text.startswith(f"{MISSING} {MISSING} xxx") and text.endswith("…") and len(text) < 250
    assert template.render({}) == f"{MISSING} {MISSING} {MISSING}"


@pytest.mark.parametrize("template", ["{", "}", "{}", "{a b}", "{a||b}", "{.a}"])
def test_broken_templates_are_refused_when_loaded(template: str):
    with pytest.raises(TemplateError):
        compile_template(template)


# The eventName index --------------------------------------------------------------------------------

@pytest.mark.parametrize("query, names", [
    ("eventName:DeleteRoute", {"DeleteRoute"}),
    ("eventName:(A OR B) AND requestParameters.x:1", {"A", "B"}),
    ("eventName:A OR eventName:B", {"A", "B"}),
    ("(eventName:A AND x:1) OR (eventName:B AND y:2)", {"A", "B"}),
    ("eventName:(A OR B) AND eventName:(B OR C)", {"B"}),
    ("eventName:A OR userIdentity.type:Root", None),
    ("NOT eventName:A", None),
    ("eventName:Delete*", None),
    ("errorCode:AccessDenied", None),
    ("eventSource:iam.amazonaws.com AND (eventName:A OR (eventName:B AND x:1))", {"A", "B"}),
])
def test_rules_are_indexed_by_the_event_names_their_query_requires(query: str, names: set[str] | None):
    found = required_event_names(parse_query(query))
    assert found == (frozenset(names) if names is not None else None)


def test_a_rule_without_event_names_is_indexed_by_error_code_or_identity_type(tmp_path: Path):
    ruleset = RuleSet(load_rule_files([write_rules(tmp_path, """
- name: denied
  description: d
  query: errorCode:(AccessDenied OR AccessDeniedException)
  level: low
- name: root
  description: d
  query: userIdentity.type:Root AND NOT eventName:ConsoleLogin
  level: high
- name: anything
  description: d
  query: sourceIPAddress:"203.0.113.0/24"
  level: low
""")]))
    assert [rule.index for rule in ruleset.rules] == [
        ("errorCode", frozenset({"AccessDenied", "AccessDeniedException"})), ("userIdentity.type", frozenset({"Root"})), None]
    assert [rule.name for rule in ruleset.candidates({"eventName": "X", "errorCode": "AccessDenied"})] == ["denied", "anything"]
    assert [rule.name for rule in ruleset.candidates({"userIdentity": {"type": "Root"}})] == ["root", "anything"]
    assert [rule.name for rule in ruleset.candidates({"userIdentity": "odd"})] == ["root", "anything"]


ODD_SHAPES = [
    {**ROUTE, "eventName": ["DeleteRoute"], "eventID": "name-as-list"},
    {**ROUTE, "userIdentity": "root", "eventID": "identity-as-text"},
    {**ROUTE, "userIdentity": {"type": ["Root"]}, "eventID": "type-as-list"},
    {**DESCRIBE, "errorCode": ["AccessDenied"], "eventID": "error-as-list"},
    {**DESCRIBE, "errorCode": 403, "eventID": "error-as-number"},
    {key: value for key, value in ROUTE.items() if key != "eventName"},
]


def test_the_index_gives_exactly_the_verdicts_of_running_every_rule_on_every_event():
    records = corpus_records() + [record for _, _, record in CASES] + ODD_SHAPES
    for record in records:
        document = document_of(normalize(record))
        every_rule = {rule.name for rule in PACK.rules if rule.test(document)}
        assert set(PACK.evaluate(document).rules) == every_rule, record.get("eventID")


def test_the_verdict_is_the_highest_level_with_its_rule_first():
    verdict = PACK.evaluate(document_of(normalize(ROUTE)))
    assert verdict.level == "critical" and verdict.score == 4
    assert verdict.rules == ("default-route-deleted",)
    assert verdict.annotations[0] == f"DOE1 deleted the default route 0.0.0.0/0 of {RTB} from 203.0.113.7"
    by_hand = call("UpdateFunctionCode20150331v2", "lambda", {"functionName": "payments"}, identity=DOE1)
    both = PACK.evaluate(document_of(normalize(by_hand)))
    assert (both.level, both.rules) == ("medium", ("lambda-code-updated-by-person", "lambda-code-updated"))
    assert both.annotations[0] == "DOE1 replaced the code or layers of payments by hand from 203.0.113.7"
    clean = PACK.evaluate(document_of(normalize(DESCRIBE)))
    assert (clean.level, clean.rules, clean.annotations) == ("info", (), ())


# Ingest and queries ---------------------------------------------------------------------------------

def test_ingest_stores_the_verdict_and_every_threat_field_is_queryable(tmp_path: Path):
    store, summary = ingested(tmp_path, [ROUTE, OPEN_SSH, DESCRIBE], PACK)
    assert summary.threat_levels == {"critical": 2, "info": 1}
    assert ids(store, "threat_level:critical") == {"doe1-default-route", "ssh-open"}
    assert ids(store, "threat_rules:default-route-deleted") == {"doe1-default-route"}
    assert ids(store, "threat_rules:route-deleted") == set()
    assert ids(store, "threat_score:[3 TO 4]") == ids(store, "threat_score:>=3") == {"doe1-default-route", "ssh-open"}
    assert ids(store, "threat_score:0 AND threat_level:info") == {"describe"}
    assert ids(store, '"DOE1 deleted the default route 0.0.0.0/0 of rtb-0f1e2d3c4b5a69788 from 203.0.113.7"') == {
        "doe1-default-route"}
    assert ids(store, "annotations:*tcp\\ 22*") == {"ssh-open"}
    assert ids(store, "NOT _exists_:threat_rules") == {"describe"}
    document = store.search(parse_query("eventName:DeleteRoute"))[0]
    assert document["threat_level"] == "critical" and document["threat_score"] == 4
    python = PACK.evaluate(document_of(normalize(ROUTE)))
    assert document["threat_rules"] == list(python.rules) and document["annotations"] == list(python.annotations)


def test_without_rules_events_are_stored_unscored(tmp_path: Path):
    store, summary = ingested(tmp_path, [ROUTE], None)
    assert not summary.threat_levels
    document = store.search(All())[0]
    assert document["threat_level"] is None and document["threat_rules"] == [] and document["threat_score"] is None
    assert ids(store, "_exists_:threat_level") == set()


@pytest.mark.parametrize("query", ["threat_score:high", "threat_score:3*", "threat_score:[1 TO 10]", "threat_score:03"])
def test_threat_score_takes_whole_numbers_only(query: str):
    from tattletrail.query import QueryError

    with pytest.raises(QueryError):
        parse_query(query)


# Rule alerts ----------------------------------------------------------------------------------------

def test_rules_with_destinations_send_one_alert_per_rule_per_batch_after_it_is_stored(tmp_path: Path):
    rules = load_rule_files([write_rules(tmp_path / "rules", """
- name: route-gone
  description: A route was deleted.
  query: eventName:DeleteRoute
  level: high
  annotation: "{actor} deleted {requestParameters.destinationCidrBlock} of {requestParameters.routeTableId}"
  destinations: [audit]
  tags: [attack.impact]
- name: quiet
  description: Instances were listed.
  query: eventName:DescribeInstances
  level: medium
""")])
    ruleset = RuleSet(rules)
    outbox = tmp_path / "alerts.jsonl"
    dispatcher = Dispatcher({"audit": JsonLinesDestination("audit", outbox)}, tmp_path / "outbox.sqlite")
    second_route = {**ROUTE, "eventID": "second-route", "eventTime": "2026-11-22T17:00:00Z"}
    with RuleAlerter(ruleset.rules, dispatcher) as alerter:
        store, summary = ingested(tmp_path, [ROUTE, DESCRIBE, second_route], ruleset, alerter)
    alerts = [orjson.loads(line) for line in outbox.read_bytes().splitlines()]
    assert len(alerts) == 1 and summary.alerts_sent == 1 and not summary.alerts_failed
    alert = alerts[0]
    assert (alert["kind"], alert["check"], alert["status"], alert["severity"], alert["count"]) == \
        ("rule", "route-gone", "CRITICAL", "high", 2)
    assert alert["message"] == f"DOE1 deleted 0.0.0.0/0 of {RTB} (and 1 more)"
    assert [sample["event_id"] for sample in alert["samples"]] == ["doe1-default-route", "second-route"]
    assert alert["samples"][0]["annotation"] == f"DOE1 deleted 0.0.0.0/0 of {RTB}"
    assert alert["explore_command"] == "tattletrail search 'threat_rules:route-gone'"
    assert ids(store, "threat_rules:route-gone") == {"doe1-default-route", "second-route"}


def test_a_rule_naming_an_unknown_destination_is_an_error_naming_its_file(tmp_path: Path):
    rules = RuleSet(load_rule_file(write_rules(tmp_path, "name: x\ndescription: d\nquery: eventName:X\nlevel: high\n"
                                               "destinations: [pager]\n") / "mine.yml"))
    with pytest.raises(ConfigError, match=r"mine.yml:1: rule 'x' sends to unknown destination 'pager'"):
        RuleAlerter(rules.rules, Dispatcher({"stdout": JsonLinesDestination("stdout", tmp_path / "x")},
                                            tmp_path / "outbox.sqlite"))


# Migration and rescore ------------------------------------------------------------------------------

OLD_SCHEMA = ("CREATE TABLE events (event_id VARCHAR PRIMARY KEY, event_time TIMESTAMP, ingest_time TIMESTAMP, "
              "event_name VARCHAR, event_source VARCHAR, aws_region VARCHAR, actor VARCHAR, account VARCHAR, "
              "outcome VARCHAR, resource VARCHAR, source_ip VARCHAR, error_code VARCHAR, identity_type VARCHAR, "
              "access_key_id VARCHAR, read_only BOOLEAN, missing VARCHAR[], source VARCHAR, record VARCHAR)")


def test_a_file_from_before_threat_levels_gets_the_columns_and_rescore_fills_them(tmp_path: Path):
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute(OLD_SCHEMA)
        connection.execute("CREATE TABLE quarantine (source VARCHAR, location VARCHAR, reason VARCHAR, detail VARCHAR, "
                           "sample VARCHAR, quarantined_at TIMESTAMP)")
        connection.execute("CREATE TABLE ledger (source VARCHAR PRIMARY KEY, etag VARCHAR, events BIGINT, "
                           "ingested_at TIMESTAMP)")
        event = normalize(ROUTE)
        connection.execute("INSERT INTO events VALUES (?, ?, ?, 'DeleteRoute', 'ec2.amazonaws.com', 'eu-west-1', ?, ?, "
                           "?, ?, '203.0.113.7', NULL, 'IAMUser', 'AKIAEXAMPLEDOE1', false, [], 'old', ?)",
                           [event.event_id, event.event_time, datetime(2026, 11, 22), event.actor, event.account,
                            event.outcome, event.resource, orjson.dumps(ROUTE).decode()])
    store = DuckDBStore(path)
    assert store.search(All())[0]["threat_level"] is None
    summary = rescore(store, PACK)
    assert (summary.examined, summary.changed, dict(summary.levels)) == (1, 1, {"critical": 1})
    assert ids(store, "threat_rules:default-route-deleted") == {"doe1-default-route"}
    assert rescore(store, PACK).changed == 0


def test_rescore_writes_only_changed_verdicts_and_respects_the_window(tmp_path: Path):
    late = {**DESCRIBE, "eventID": "late-describe", "eventTime": "2026-12-01T00:00:00Z"}
    store, _ = ingested(tmp_path, [ROUTE, OPEN_SSH, DESCRIBE, late], PACK)
    assert rescore(store, PACK).changed == 0
    mine = load_rules(write_rules(tmp_path / "rules", "name: listing\ndescription: d\nquery: eventName:DescribeInstances\n"
                                  "level: medium\nannotation: '{actor} listed instances'\n"))
    summary = rescore(store, mine, since=datetime(2026, 11, 30), page=1)
    assert (summary.examined, summary.changed) == (1, 1)
    assert ids(store, "threat_rules:listing") == {"late-describe"}
    summary = rescore(store, mine, page=2)
    assert (summary.examined, summary.changed, summary.levels["medium"]) == (4, 3, 2)
    assert ids(store, "threat_level:medium") == {"describe", "late-describe"}
    assert ids(store, "_exists_:threat_rules") == {"describe", "late-describe"}


def test_rescore_scores_each_of_two_events_sharing_an_event_id_by_its_own_record(tmp_path: Path):
    # the same eventID at another time is another event (stores/duckdb/store.py): each keeps its own verdict
    untimed = {key: value for key, value in DESCRIBE.items() if key not in ("eventTime", "eventID")}
    twin = {**ROUTE, "eventName": "DescribeRouteTables", "eventTime": "2026-12-01T00:00:00Z"}
    store, _ = ingested(tmp_path, [ROUTE, twin, untimed, DESCRIBE], None)
    summary = rescore(store, PACK, page=1)
    assert summary.examined == 4
    with store.connect() as connection:
        levels = connection.execute("SELECT event_name, threat_level FROM events WHERE event_id = ? "
                                    "ORDER BY event_time", [ROUTE["eventID"]]).fetchall()
    assert levels == [("DeleteRoute", "critical"), ("DescribeRouteTables", "info")]
    assert rescore(store, PACK, page=1).changed == 0


def test_rescore_on_opensearch_updates_documents_in_their_index(opensearch_url: str, tmp_path: Path):
    from tests.opensearch_helpers import fresh_store

    store = fresh_store(opensearch_url, "rules")
    write_log_file(tmp_path / "logs" / "cases.json.gz", [ROUTE, OPEN_SSH, DESCRIBE])
    ingest(local_objects(str(tmp_path / "logs")), store)
    assert ids(store, "_exists_:threat_level") == set()
    summary = rescore(store, PACK, page=2)
    assert (summary.examined, summary.changed) == (3, 3)
    assert ids(store, "threat_rules:default-route-deleted") == {"doe1-default-route"}
    assert ids(store, "threat_score:[3 TO 4]") == {"doe1-default-route", "ssh-open"}
    assert ids(store, "threat_level:info") == {"describe"}
    document = store.search(parse_query("eventName:DeleteRoute"))[0]
    assert document["annotations"] == list(PACK.evaluate(document_of(normalize(ROUTE))).annotations)
    assert rescore(store, PACK).changed == 0


def test_ingest_on_opensearch_stores_the_verdict(opensearch_url: str, tmp_path: Path):
    from tests.opensearch_helpers import fresh_store

    store = fresh_store(opensearch_url, "rules-ingest")
    write_log_file(tmp_path / "logs" / "cases.json.gz", [ROUTE, OPEN_SSH, DESCRIBE])
    ingest(local_objects(str(tmp_path / "logs")), store, rules=PACK)
    assert ids(store, "threat_level:critical") == {"doe1-default-route", "ssh-open"}
    assert ids(store, "threat_rules:ingress-admin-open-to-world") == {"ssh-open"}


# The command line and the generated trail -----------------------------------------------------------

def run_cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tattletrail", *arguments], capture_output=True, text=True, cwd=cwd,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)})


def test_cli_ingest_no_rules_then_rescore_scores_the_generated_incidents(tmp_path: Path):
    from tattletrail.generate import generate_trail

    generate_trail(tmp_path / "trail", days=1, seed=7, accounts=2, events_per_day=3_000,
                   end=datetime(2026, 11, 23, 12, 0))
    url = f"duckdb:///{tmp_path / 'events.duckdb'}"
    ingested_run = run_cli("ingest", str(tmp_path / "trail"), "--store", url, "--no-rules", "--json", cwd=tmp_path)
    assert ingested_run.returncode == 0, ingested_run.stderr
    assert json.loads(ingested_run.stdout)["threat_levels"] == {}
    scored = run_cli("rescore", "--store", url, "--json", cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr
    summary = json.loads(scored.stdout)
    assert summary["changed"] == summary["examined"] > 2_000
    store = DuckDBStore(tmp_path / "events.duckdb")
    levels = {document["eventName"]: document["threat_level"]
              for document in store.search(parse_query("threat_score:>=2"), limit=None)}
    assert levels["DeleteRoute"] == "critical"
    assert levels["AuthorizeSecurityGroupIngress"] == "critical"
    assert levels["StopLogging"] == "critical"
    assert levels["CreateUser"] == levels["CreateAccessKey"] == "medium"
    assert levels["ConsoleLogin"] in ("medium", "high")  # without MFA; root's login is high
    route = store.search(parse_query("threat_rules:default-route-deleted"))[0]
    assert route["annotations"][0].startswith("DOE1 deleted the default route 0.0.0.0/0 of rtb-")
    assert route["annotations"][0].endswith("from 203.0.113.7")


def test_cli_ingest_takes_a_rules_directory_and_reports_bad_rules_in_one_line(tmp_path: Path):
    write_log_file(tmp_path / "logs" / "a.json.gz", [ROUTE, DESCRIBE])
    rules = write_rules(tmp_path / "rules", "name: listing\ndescription: d\nquery: eventName:DescribeInstances\nlevel: low\n")
    url = f"duckdb:///{tmp_path / 'events.duckdb'}"
    done = run_cli("ingest", str(tmp_path / "logs"), "--store", url, "--rules", str(rules), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["threat_levels"] == {"low": 1, "info": 1}
    write_rules(tmp_path / "rules", "name: listing\ndescription: d\nquery: eventName:X\nlevle: low\n")
    broken = run_cli("rescore", "--store", url, "--rules", str(rules), cwd=tmp_path)
    assert broken.returncode == 2
    assert "mine.yml:4: unknown key 'levle' (did you mean 'level'?)" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_a_quoted_last_alternative_is_the_fallback_text() -> None:
    from tattletrail.rules.annotation import TemplateError, compile_template

    template = compile_template("ports {requestParameters.fromPort|'any.port'} to {requestParameters.cidrIp}")
    assert template.render({"requestParameters": {"fromPort": 22}}) == "ports 22 to ?"
    assert template.render({"requestParameters": {}}) == "ports any.port to ?"
    with pytest.raises(TemplateError):
        compile_template("{'any'|requestParameters.fromPort}")  # only last
