"""Every rule in rules/ against realistic records that should match it, look-alikes that shouldn't
and, for rules about a change, the same call refused: decided in Python and, after a real ingest,
stored with the same answer on DuckDB and on OpenSearch (osmem)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tattletrail.event import document_of, normalize
from tattletrail.ingest import ingest
from tattletrail.query import parse_query, predicate
from tattletrail.query.tree import All, fields_of
from tattletrail.rules import LEVELS, load_rules
from tattletrail.sources.local import local_objects
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.cloudtrail_files import corpus_records, write_log_file
from tests.rule_pack_events import CASES
from tests.rule_pack_records import denied

RULES = load_rules()
ATTEMPTS = {rule.name.removesuffix("-attempt") for rule in RULES.rules if rule.loaded.rule.name.endswith("-attempt")}
# Rules without an attempt variant whose query doesn't look at the outcome: any call at all is the signal.
ANY_OUTCOME = {"root-activity", "instance-credentials-used-outside", "quarantine-policy-attached", "access-denied",
               "console-login-without-mfa", "console-login-failed", "root-console-login-failed", "s3-anonymous-request"}


def failed_attempts(cases: list[tuple[str, bool, dict[str, Any]]]) -> list[tuple[str, bool, dict[str, Any]]]:
    """For each rule with an attempt variant: its first matching record refused. The refusal is
    NAME-attempt and not NAME; the successful call is NAME and not NAME-attempt."""
    derived: list[tuple[str, bool, dict[str, Any]]] = []
    for name in sorted(ATTEMPTS):
        record = next(record for rule, matches, record in cases if rule == name and matches)
        refused = denied(record)
        derived += [(f"{name}-attempt", True, refused), (name, False, refused), (f"{name}-attempt", False, record)]
    return derived


ALL_CASES = CASES + failed_attempts(CASES)
RECORDS = list({record["eventID"]: record for _, _, record in ALL_CASES}.values())


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("rule-pack")
    write_log_file(directory / "logs" / "cases.json.gz", RECORDS)
    return directory


@pytest.fixture(scope="module")
def store(logs: Path) -> DuckDBStore:
    store = DuckDBStore(logs / "events.duckdb")
    summary = ingest(local_objects(str(logs / "logs")), store, rules=RULES)
    assert summary.ingested == len(RECORDS)
    return store


@pytest.fixture(scope="module")
def opensearch_verdicts(logs: Path, opensearch_url: str) -> dict[str, dict[str, Any]]:
    from tests.opensearch_helpers import fresh_store

    store = fresh_store(opensearch_url, "rule-pack")
    assert ingest(local_objects(str(logs / "logs")), store, rules=RULES).ingested == len(RECORDS)
    return {document["event_id"]: document for document in store.search(All(), limit=None)}


def _case_id(case: tuple[str, bool, dict]) -> str:
    rule, matches, record = case
    return f"{rule}-{'matches' if matches else 'not'}-{record['eventName']}-{record['eventID']}"


@pytest.mark.parametrize("case", ALL_CASES, ids=[_case_id(case) for case in ALL_CASES])
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
        assert annotation and "{" not in annotation and "?" not in annotation.replace("?'", ""), annotation
        if rule.endswith("-attempt"):
            assert record["errorCode"] in annotation, annotation


def test_opensearch_stores_the_same_verdict_for_every_case(opensearch_verdicts: dict[str, dict[str, Any]]):
    for record in RECORDS:
        verdict = RULES.evaluate(document_of(normalize(record)))
        stored = opensearch_verdicts[record["eventID"]]
        assert (stored["threat_level"], stored["threat_rules"], stored["annotations"]) == (
            verdict.level, list(verdict.rules), list(verdict.annotations)), record["eventID"]


@pytest.mark.parametrize("rule", RULES.rules, ids=[rule.name for rule in RULES.rules])
def test_rule_query_selects_the_same_events_in_sql_as_in_python(rule, store: DuckDBStore):
    documents = store.search(All(), limit=None)
    query = predicate(rule.loaded.tree)
    in_python = {document["event_id"] for document in documents if query(document)}
    in_sql = {document["event_id"] for document in store.search(rule.loaded.tree, limit=None)}
    assert in_sql == in_python
    stored = {document["event_id"] for document in store.search(parse_query(f"threat_rules:{rule.name}"), limit=None)}
    assert stored == {document["event_id"] for document in documents if rule.test(document)}


def test_every_rule_in_the_pack_has_matching_and_non_matching_records():
    names = {rule.name for rule in RULES.rules}
    matched = {rule for rule, matches, _ in ALL_CASES if matches}
    missed = {rule for rule, matches, _ in ALL_CASES if not matches}
    assert not names - matched, f"rules without a matching record: {sorted(names - matched)}"
    assert not names - missed, f"rules without a look-alike: {sorted(names - missed)}"
    assert not (matched | missed) - names, f"cases for rules not in the pack: {sorted((matched | missed) - names)}"


def test_every_rule_names_its_technique_false_positives_and_an_annotation():
    for rule in RULES.rules:
        definition = rule.loaded.rule
        assert definition.annotation, f"{rule.name}: no annotation"
        assert any(tag.startswith("attack.") and not tag[7:8] == "t" for tag in definition.tags), f"{rule.name}: no tactic"
        assert any(re.fullmatch(r"attack\.t\d{4}(\.\d{3})?", tag) for tag in definition.tags), f"{rule.name}: no technique"
        assert definition.false_positives, f"{rule.name}: no false_positives"


def test_every_rule_about_a_change_says_whether_it_happened():
    by_name = {rule.name: rule.loaded.rule for rule in RULES.rules}
    for rule in RULES.rules:
        name = rule.name.removesuffix("-attempt")
        looks_at_outcome = {field for field, _ in fields_of(rule.loaded.tree)} & {"outcome", "errorCode"}
        assert name in ATTEMPTS or name in ANY_OUTCOME or looks_at_outcome, f"{rule.name}: attempt or outcome?"
        if rule.name.endswith("-attempt"):
            attempt, effect = by_name[rule.name], by_name[name]
            assert "{errorCode}" in attempt.annotation, f"{rule.name}: the sentence must say the call failed"
            assert effect.attempt is not None and attempt.level == effect.attempt.level
            assert attempt.level in ("info", "low") or effect.attempt.why, f"{rule.name}: above low needs a why"
            assert LEVELS.index(attempt.level) <= LEVELS.index(effect.level), f"{rule.name}: above the change itself"


# The rubric (docs/rules.md): a failed try at something critical or high is medium, at something
# medium or low it is low; a rule may keep its attempt higher (with a `why`), never lower.
ATTEMPT_LEVEL = {"critical": "medium", "high": "medium", "medium": "low", "low": "low", "info": "info"}


def test_every_attempt_is_levelled_by_the_rubric():
    for rule in RULES.rules:
        effect = rule.loaded.rule
        if rule.name.endswith("-attempt") or effect.attempt is None:
            continue
        least = ATTEMPT_LEVEL[effect.level]
        assert LEVELS.index(effect.attempt.level) >= LEVELS.index(least), \
            f"{rule.name}: a failed try at something {effect.level} is at least {least}, not {effect.attempt.level}"


@pytest.mark.parametrize("name", ["GetParameter", "GetParameters", "GetParametersByPath", "GetSecretValue",
                                  "DescribeInstances", "ListBuckets", "GetObject", "ListUsers", "GetCallerIdentity"])
def test_ordinary_reads_are_never_rated_above_low(name: str):
    parameters = {"name": "/prod/db/password", "withDecryption": True, "secretId": "prod/db", "bucketName": "b"}
    for identity in (CASES[0][2]["userIdentity"], {"type": "IAMUser", "userName": "DOE1", "accountId": "111122223333",
                                                   "arn": "arn:aws:iam::111122223333:user/DOE1"}):
        record = {**CASES[0][2], "eventName": name, "eventSource": "ssm.amazonaws.com", "readOnly": True,
                  "requestParameters": parameters, "userIdentity": identity, "eventID": f"read-{name}"}
        assert RULES.evaluate(document_of(normalize(record))).score <= 1


def test_the_real_ec2_proxy_recording_is_seen_and_nothing_else_in_the_corpora_rises():
    """OTRF's EC2-proxy capture: an instance's role credentials used from the attacker's Mac. The
    honeybucket capture (internet scanners on a decoy bucket) is context, low: its export dropped
    core fields, so whether S3 answered can't be told; the parser samples are ordinary."""
    raised: dict[str, set[str]] = {}
    for record in corpus_records():
        verdict = RULES.evaluate(document_of(normalize(record)))
        if verdict.score >= 2:
            raised.setdefault(verdict.rules[0], set()).add(record["eventName"])
    scanning = [RULES.evaluate(document_of(normalize(record)))
                for record in corpus_records("otrf-honeybucket-partial.jsonl")
                if record["userIdentity"].get("accountId") == "ANONYMOUS_PRINCIPAL"]
    assert len(scanning) > 250 and all(verdict.rules == ("s3-anonymous-request",) and verdict.score == 1
                                       for verdict in scanning)
    assert raised.pop("instance-credentials-used-outside") == {"ListBuckets", "ListObjects", "GetObject"}
    assert raised == {"iam-user-created": {"CreateUser"}}  # a parser sample's CreateUser: medium, as any new user


def test_every_pack_rule_is_indexed_so_most_events_run_no_rule_at_all():
    fields = {rule.name: rule.index[0] for rule in RULES.rules if rule.index is not None}
    assert len(fields) == len(RULES.rules)
    assert fields["access-denied"] == "errorCode" and fields["root-activity"] == "userIdentity.type"
    assert fields["instance-credentials-used-outside"] == "userIdentity.sessionContext.ec2RoleDelivery"
    anonymous = {"s3-anonymous-request", "s3-anonymous-read", "s3-anonymous-write"}
    assert {fields[name] for name in anonymous} == {"userIdentity.type"}
    others = {"access-denied", "root-activity", "instance-credentials-used-outside", *anonymous}
    assert {field for name, field in fields.items() if name not in others} == {"eventName"}
    assert RULES.candidates({"eventName": "DescribeInstances", "userIdentity": {"type": "IAMUser"}}) == ()


def test_rule_files_are_yaml_in_the_rules_folder():
    folder = Path(__file__).resolve().parents[1] / "rules"
    assert sorted(path.suffix for path in folder.iterdir() if path.is_file()) == [".yml"] * len(
        [path for path in folder.iterdir() if path.is_file()])


def test_docs_list_every_rule_of_the_pack_with_its_level():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text()
    for rule in RULES.rules:
        if not rule.name.endswith("-attempt"):
            assert f"| `{rule.name}` | {rule.loaded.rule.level} |" in docs, f"docs/rules.md lacks {rule.name}"
