"""Every rule in rules/ against realistic records that should match it and look-alikes that
shouldn't, decided in Python and, after a real ingest, stored on DuckDB with the same answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tattletrail.event import normalize
from tattletrail.ingest import ingest
from tattletrail.query import parse_query
from tattletrail.query.tree import All
from tattletrail.rules import load_rules
from tattletrail.sources.local import local_objects
from tattletrail.stores.duckdb import DuckDBStore
from tattletrail.stores.opensearch_documents import document_of
from tests.cloudtrail_files import write_log_file
from tests.rule_pack_events import CASES

RULES = load_rules()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> DuckDBStore:
    directory = tmp_path_factory.mktemp("rule-pack")
    write_log_file(directory / "logs" / "cases.json.gz", [record for _, _, record in CASES])
    store = DuckDBStore(directory / "events.duckdb")
    summary = ingest(local_objects(str(directory / "logs")), store, rules=RULES)
    assert summary.ingested == len(CASES)
    return store


def _case_id(case: tuple[str, bool, dict]) -> str:
    rule, matches, record = case
    return f"{rule}-{'matches' if matches else 'not'}-{record['eventName']}-{record['eventID']}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(case) for case in CASES])
def test_rule_decides_the_record_in_python_and_on_duckdb_alike(case, store: DuckDBStore):
    rule, matches, record = case
    verdict = RULES.evaluate(document_of(normalize(record)))
    assert (rule in verdict.rules) is matches, f"{rule} in Python: {verdict}"
    stored = store.search(parse_query(f'event_id:"{record["eventID"]}"'))
    assert len(stored) == 1
    assert (rule in stored[0]["threat_rules"]) is matches, f"{rule} on DuckDB: {stored[0]['threat_rules']}"
    assert stored[0]["threat_level"] == verdict.level
    assert stored[0]["annotations"] == list(verdict.annotations)
    if matches:
        annotation = verdict.annotations[verdict.rules.index(rule)]
        assert annotation and "{" not in annotation


@pytest.mark.parametrize("rule", RULES.rules, ids=[rule.name for rule in RULES.rules])
def test_rule_query_selects_the_same_events_in_sql_as_in_python(rule, store: DuckDBStore):
    documents = store.search(All(), limit=None)
    in_python = {document["event_id"] for document in documents if rule.test(document)}
    in_sql = {document["event_id"] for document in store.search(rule.loaded.tree, limit=None)}
    assert in_sql == in_python
    stored = {document["event_id"] for document in store.search(parse_query(f"threat_rules:{rule.name}"), limit=None)}
    assert stored == in_python


def test_every_rule_in_the_pack_has_matching_and_non_matching_records():
    names = {rule.name for rule in load_rules().rules}
    matched = {rule for rule, matches, _ in CASES if matches}
    missed = {rule for rule, matches, _ in CASES if not matches}
    assert not names - matched, f"rules without a matching record: {sorted(names - matched)}"
    assert not names - missed, f"rules without a look-alike: {sorted(names - missed)}"
    assert not (matched | missed) - names, f"cases for rules not in the pack: {sorted((matched | missed) - names)}"


def test_every_rule_names_an_attack_tactic_and_an_annotation():
    for rule in RULES.rules:
        definition = rule.loaded.rule
        assert definition.annotation, f"{rule.name}: no annotation"
        assert any(tag.startswith("attack.") for tag in definition.tags), f"{rule.name}: no attack.* tag"


def test_every_pack_rule_is_indexed_so_most_events_run_no_rule_at_all():
    fields = {rule.name: rule.index[0] for rule in RULES.rules if rule.index is not None}
    assert len(fields) == len(RULES.rules)
    assert fields["access-denied"] == "errorCode" and fields["root-activity"] == "userIdentity.type"
    assert {field for name, field in fields.items() if name not in ("access-denied", "root-activity")} == {"eventName"}
    assert RULES.candidates({"eventName": "DescribeInstances", "userIdentity": {"type": "IAMUser"}}) == ()


def test_rule_files_are_yaml_in_the_rules_folder():
    folder = Path(__file__).resolve().parents[1] / "rules"
    assert sorted(path.suffix for path in folder.iterdir() if path.is_file()) == [".yml"] * len(
        [path for path in folder.iterdir() if path.is_file()])


def test_docs_list_every_rule_of_the_pack_with_its_level():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text()
    for rule in RULES.rules:
        assert f"| `{rule.name}` | {rule.loaded.rule.level} |" in docs, f"docs/rules.md lacks {rule.name}"
