"""`policy generate` on real stores: the build agent's story, the public recordings, the
generator's roles. Each policy is valid JSON, every action is in the catalogue, every observed
allowed call is allowed by it (tattletrail/policy/evaluate.py), it passes parliament, and it
stays under the size limit."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest

from tattletrail.event import normalize
from tattletrail.generate.trail import generate_trail
from tattletrail.ingest import ingest
from tattletrail.policy import (SIZE_LIMITS, GeneratedPolicy, NothingToGrant, condition_kinds, gather_evidence,
                                generate_policy)
from tattletrail.policy import catalogue
from tattletrail.policy.evaluate import Request, allows, requests_of
from tattletrail.policy.evidence import is_denied
from tattletrail.sources.local import local_objects
from tattletrail.stores import open_store
from tattletrail.stores.base import Batch
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.cloudtrail_files import corpus_records
from tests.opensearch_helpers import STORE_KINDS, fresh_store, new_store
from tests.policy_events import ACCOUNT, START, build_agent_records, call, identity
from tests.policy_lint import lint

WINDOW = (START - timedelta(days=1), START + timedelta(days=1))
ALL_KINDS = condition_kinds(["region", "source-ip", "instance-type", "volume-type"])
STORY_ACTIONS = ["ec2:CreateTags", "ec2:DescribeInstanceStatus", "ec2:DescribeInstances", "ec2:DescribeRegions",
                 "ec2:RunInstances", "ec2:TerminateInstances", "iam:PassRole", "kms:GenerateDataKey", "s3:PutObject"]


def write(store: Any, records: list[dict[str, Any]]) -> None:
    store.write(Batch(events=[normalize(record, source="s3://trail/AWSLogs/test.json.gz") for record in records]))


def look_alike_records() -> list[dict[str, Any]]:
    """Another role whose name starts with ours: none of its calls may land in our policy."""
    return [call(900 + i, "iam", "CreateUser", {"userName": f"x{i}"}, who=identity("build-agent-admin", "ops"))
            for i in range(3)]


@pytest.fixture(scope="module", params=STORE_KINDS)
def story_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    store = new_store(request, tmp_path_factory.mktemp("policy"), "policy")
    write(store, build_agent_records() + look_alike_records())
    yield store
    store.close()


def actions_of(policy: GeneratedPolicy) -> list[str]:
    return sorted(action for document in policy.documents for statement in document["Statement"]
                  for action in statement["Action"])


def assert_proven(policy: GeneratedPolicy, documents: list[dict[str, Any]]) -> None:
    """Valid JSON, known actions, under the limit, parliament-clean, and every allowed call allowed."""
    for document in policy.documents:
        assert json.loads(json.dumps(document)) == document
        assert [finding for finding in lint(document) if finding[1] not in ("LOW", "INFO")] == []
    assert all(size <= SIZE_LIMITS[policy.limit_name] for size in policy.sizes())
    assert all(catalogue.known(action) for action in actions_of(policy))
    checked = 0
    for document in documents:
        if is_denied(document):
            continue
        for request in requests_of(document):
            assert allows(policy.documents, request), (document["eventID"], request)
            checked += 1
    assert checked > 0


def test_the_build_agent_gets_the_nine_actions_it_used_not_ec2_star(story_store: Any) -> None:
    evidence = gather_evidence(story_store, "build-agent", *WINDOW)
    policy = generate_policy(evidence)
    assert actions_of(policy) == STORY_ACTIONS
    assert evidence.events == 50  # its own calls only: not build-agent-admin's
    assert list(evidence.denied) == ["s3:ListBucket"]
    assert dict(evidence.left_out) == {("sts:GetCallerIdentity", "no permission is required (STS API Reference, "
                                                                  "GetCallerIdentity)"): 6}
    usage = evidence.allowed["ec2:RunInstances"]
    assert (usage.calls, usage.first_seen, usage.last_seen) == (6, START + timedelta(minutes=1),
                                                                START + timedelta(minutes=41))
    # the latest three (stores give the newest first)
    assert usage.example_event_ids == ["00000000-0000-4000-8000-000000000041", "00000000-0000-4000-8000-000000000033",
                                       "00000000-0000-4000-8000-000000000025"]


def test_denied_calls_are_granted_only_when_asked(story_store: Any) -> None:
    evidence = gather_evidence(story_store, "build-agent", *WINDOW)
    assert "s3:ListBucket" not in actions_of(generate_policy(evidence))
    assert "s3:ListBucket" in actions_of(generate_policy(evidence, include_denied=True))


def test_resources_and_conditions_narrow_and_every_call_is_still_allowed(story_store: Any) -> None:
    evidence = gather_evidence(story_store, "build-agent", *WINDOW, kinds=ALL_KINDS)
    policy = generate_policy(evidence, narrow_resources=True, kinds=ALL_KINDS)
    statements = {statement["Sid"]: statement for statement in policy.documents[0]["Statement"]}
    run = next(s for s in statements.values() if s["Action"] == ["ec2:RunInstances"])
    assert run["Condition"]["StringEqualsIfExists"] == {"ec2:InstanceType": ["t3.large", "t3.medium"]}
    assert run["Condition"]["StringEquals"] == {"aws:RequestedRegion": ["ap-southeast-2"]}
    assert run["Condition"]["IpAddress"] == {"aws:SourceIp": ["198.51.100.20/32"]}
    assert f"arn:aws:ec2:ap-southeast-2:{ACCOUNT}:instance/*" in run["Resource"]
    assert "arn:aws:ec2:ap-southeast-2::image/ami-0abcdef1234567890" in run["Resource"]
    kms = next(s for s in statements.values() if s["Action"] == ["kms:GenerateDataKey"])
    assert kms["Resource"] == [f"arn:aws:kms:ap-southeast-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
    describe = next(s for s in statements.values() if "ec2:DescribeInstances" in s["Action"])
    assert describe["Resource"] == "*"  # no resource-level permissions for Describe*
    pass_role = next(s for s in statements.values() if s["Action"] == ["iam:PassRole"])
    assert pass_role["Condition"]["StringEquals"]["iam:PassedToService"] == ["ec2.amazonaws.com"]
    assert_proven(policy, story_store.search(parse_actor("build-agent"), *WINDOW, limit=None))
    # and what the job did not do stays refused
    bigger = Request("ec2:RunInstances", [f"arn:aws:ec2:ap-southeast-2:{ACCOUNT}:instance/*"],
                     {"aws:RequestedRegion": "ap-southeast-2", "aws:SourceIp": "198.51.100.20"},
                     {f"arn:aws:ec2:ap-southeast-2:{ACCOUNT}:instance/*": {"ec2:InstanceType": "p5.48xlarge"}})
    assert not allows(policy.documents, bigger)
    assert not allows(policy.documents, Request("ec2:DescribeInstances", [], {"aws:RequestedRegion": "us-east-1",
                                                                              "aws:SourceIp": "198.51.100.20"}))
    assert not allows(policy.documents, Request("iam:CreateUser", []))


def parse_actor(actor: str):
    from tattletrail.policy import actor_query

    return actor_query(actor)


def test_an_actor_with_no_authorized_call_is_an_error_that_says_what_to_check(story_store: Any) -> None:
    with pytest.raises(NothingToGrant, match="check --actor"):
        generate_policy(gather_evidence(story_store, "nobody", *WINDOW))


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory: pytest.TempPathFactory) -> DuckDBStore:
    store = DuckDBStore(tmp_path_factory.mktemp("policy-corpus") / "events.duckdb")
    write(store, corpus_records())
    return store


@pytest.mark.parametrize("actor, expected", [
    ("MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0", ["s3:GetObject", "s3:ListAllMyBuckets", "s3:ListBucket"]),
    ("pedro", None),
    ("admin_read_write", ["iam:CreateUser", "iam:ListAttachedRolePolicies"]),
])
def test_public_recordings(corpus_store: DuckDBStore, actor: str, expected: list[str] | None) -> None:
    kinds = condition_kinds(["region", "source-ip"])
    evidence = gather_evidence(corpus_store, actor, None, None, kinds=kinds)
    policy = generate_policy(evidence, narrow_resources=True, kinds=kinds)
    if expected is not None:
        assert actions_of(policy) == expected
    else:  # pedro's console browsing: cloudwatch (eventSource monitoring), ELB, EC2, compute-optimizer
        assert {"cloudwatch:DescribeAlarms", "elasticloadbalancing:DescribeLoadBalancers",
                "compute-optimizer:GetEnrollmentStatus", "ec2:DescribeVolumeStatus"} <= set(actions_of(policy))
    assert_proven(policy, corpus_store.search(parse_actor(actor), None, None, limit=None))


def test_a_service_linked_role_acting_for_its_service_is_left_out_with_the_reason(corpus_store: DuckDBStore) -> None:
    evidence = gather_evidence(corpus_store, "AWSServiceRoleForAmazonSSM", None, None)
    assert not evidence.allowed
    assert {reason for _, reason in evidence.left_out} == {
        "made by ssm.amazonaws.com on the principal's behalf, authorized for that service"}


def test_anonymous_internet_scanning_of_a_bucket_grants_nothing(corpus_store: DuckDBStore) -> None:
    evidence = gather_evidence(corpus_store, "ANONYMOUS_PRINCIPAL", None, None)
    assert evidence.events == 284 and not evidence.allowed and not evidence.denied
    assert {reason for _, reason in evidence.left_out} == {
        "an anonymous request: no identity policy applies (only resource policies)"}


GENERATOR_END = datetime(2026, 11, 23, 10, 40)


@pytest.fixture(scope="module")
def generated_trail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("policy-generated")
    generate_trail(base / "trail", days=1, seed=11, accounts=2, events_per_day=2_500, end=GENERATOR_END)
    return base / "trail"


@pytest.fixture(scope="module")
def generated_store(generated_trail: Path) -> Any:
    store = open_store(f"duckdb://{generated_trail.parent}/events.duckdb", create=True)
    ingest(local_objects(generated_trail), store)
    return store


def test_every_store_gives_the_same_policy_and_evidence(generated_store: Any, generated_trail: Path,
                                                        opensearch_url: str) -> None:
    opensearch = fresh_store(opensearch_url, "policy-generated")
    ingest(local_objects(generated_trail), opensearch)
    kinds = condition_kinds(["region", "source-ip"])
    answers = []
    for store in (generated_store, opensearch):
        evidence = gather_evidence(store, "github-actions-deploy", None, None, kinds=kinds)
        policy = generate_policy(evidence, narrow_resources=True, kinds=kinds)
        answers.append((policy.documents, policy.notes, evidence.as_dict()))
    opensearch.close()
    assert answers[0] == answers[1]
    assert answers[0][2]["events"] > 100


@pytest.mark.parametrize("role", ["terraform-apply", "github-actions-deploy", "orders-api-role", "app-server-role",
                                  "payments-task-role"])
@pytest.mark.parametrize("narrow", [False, True], ids=["star", "resources"])
def test_the_generators_roles(generated_store: Any, role: str, narrow: bool) -> None:
    kinds = condition_kinds(["region", "source-ip"])
    evidence = gather_evidence(generated_store, role, None, None, kinds=kinds)
    policy = generate_policy(evidence, narrow_resources=narrow, kinds=kinds)
    assert "sts:GetCallerIdentity" not in actions_of(policy)
    assert not any(action.startswith("monitoring:") for action in actions_of(policy))
    assert_proven(policy, generated_store.search(parse_actor(role), None, None, limit=None))


def many_buckets(count: int) -> list[dict[str, Any]]:
    return [call(i, "s3", "GetBucketPolicy", {"bucketName": f"team-{i:04d}-artifacts-with-a-long-name"})
            for i in range(count)] + [
        call(5_000 + i, "ec2", "StopInstances", {"instancesSet": {"items": [{"instanceId": f"i-{i:017x}"}]}})
        for i in range(count)]


def test_over_the_limit_it_splits_into_documents_under_it_and_says_so(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "events.duckdb")
    write(store, many_buckets(100))
    evidence = gather_evidence(store, "build-agent", None, None)
    policy = generate_policy(evidence, narrow_resources=True, limit_name="inline-role")
    assert len(policy.documents) >= 2
    assert all(size <= 10_240 for size in policy.sizes())
    assert any("split into" in note for note in policy.notes)
    assert_proven(policy, store.search(parse_actor("build-agent"), None, None, limit=None))


def test_a_statement_too_big_alone_is_widened_to_parent_arns_with_a_note(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "events.duckdb")
    write(store, [call(i, "logs", "CreateLogStream", {"logGroupName": "/ci/builds", "logStreamName": f"build-{i:06d}"})
                  for i in range(400)])
    policy = generate_policy(gather_evidence(store, "build-agent", None, None), narrow_resources=True,
                             limit_name="inline-user")
    assert policy.documents[0]["Statement"][0]["Resource"] == [
        f"arn:aws:logs:ap-southeast-2:{ACCOUNT}:log-group:/ci/builds:log-stream:*"]
    assert any("widened" in note for note in policy.notes)
    assert_proven(policy, store.search(parse_actor("build-agent"), None, None, limit=None))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    # a wide "terminal", so rich does not fold the eventIDs of the evidence table
    return subprocess.run([sys.executable, "-m", "tattletrail", "policy", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "200"})


@pytest.fixture(scope="module")
def story_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("policy-cli") / "events.duckdb"
    write(DuckDBStore(path), build_agent_records())
    return f"duckdb://{path}"


WINDOW_ARGS = ("--since", "2026-11-19", "--until", "2026-11-21")


def test_cli_prints_the_policy_on_stdout_and_the_evidence_on_stderr(story_url: str) -> None:
    result = run_cli("generate", "--actor", "build-agent", *WINDOW_ARGS, "--store", story_url, "--resources",
                     "--conditions", "region,instance-type")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert sorted(a for s in document["Statement"] for a in s["Action"]) == STORY_ACTIONS
    assert "ec2:RunInstances" in result.stderr and "00000000-0000-4000-8000-000000000041" in result.stderr
    assert "s3:ListBucket" in result.stderr  # denied, listed apart
    assert "sts:GetCallerIdentity" in result.stderr and "no permission is required" in result.stderr
    assert "of 6,144 characters (managed policy limit" in result.stderr


@pytest.mark.parametrize("output_format, marker", [("yaml", "Version: '2012-10-17'"),
                                                   ("terraform", 'resource "aws_iam_policy" "build_agent"')])
def test_cli_yaml_and_terraform(story_url: str, output_format: str, marker: str) -> None:
    result = run_cli("generate", "--actor", "build-agent", *WINDOW_ARGS, "--store", story_url, "--format",
                     output_format)
    assert result.returncode == 0, result.stderr
    assert marker in result.stdout and "ec2:RunInstances" in result.stdout


def test_cli_json_for_scripts(story_url: str) -> None:
    result = run_cli("generate", "--actor", f"arn:aws:iam::{ACCOUNT}:role/build-agent", *WINDOW_ARGS, "--store",
                     story_url, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"policies", "sizes", "limit", "notes", "actor", "events", "allowed", "denied", "left_out"}
    assert [usage["action"] for usage in report["denied"]] == ["s3:ListBucket"]
    run = next(usage for usage in report["allowed"] if usage["action"] == "ec2:RunInstances")
    assert (run["calls"], run["first_seen"]) == (6, "2026-11-20T09:01:00Z")


@pytest.mark.parametrize("args, message", [
    (("--conditions", "region,colour"), "unknown condition 'colour'"),
    (("--format", "xml"), "'xml': use one of json, yaml, terraform"),
    (("--actor", "nobody"), "'nobody' made no IAM-authorized call"),
])
def test_cli_errors_say_what_to_do(story_url: str, args: tuple[str, ...], message: str) -> None:
    actor = () if "--actor" in args else ("--actor", "build-agent")
    result = run_cli("generate", *actor, *WINDOW_ARGS, "--store", story_url, *args)
    assert result.returncode != 0
    assert message in result.stderr


README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_the_readme_story_is_what_generate_prints(story_url: str) -> None:
    block = re.search(r"RunInstances becomes:\n\n```json\n(.*?)\n```", README, re.DOTALL).group(1)
    result = run_cli("generate", "--actor", "build-agent", *WINDOW_ARGS, "--store", story_url, "--resources",
                     "--conditions", "region,instance-type")
    assert result.returncode == 0, result.stderr
    statements = json.loads(result.stdout)["Statement"]
    assert json.loads(block) in statements
    assert (len(statements), len(STORY_ACTIONS)) == (7, 9)
    assert "2,817 of 6,144 characters" in result.stderr and "2,817 of the 6,144" in README


def test_account_and_region_narrow_the_events(story_store: Any) -> None:
    assert gather_evidence(story_store, "build-agent", *WINDOW, account=ACCOUNT).events == 50
    assert gather_evidence(story_store, "build-agent", *WINDOW, account="999999999999").events == 0
    in_us_east_1 = gather_evidence(story_store, "build-agent", *WINDOW, region="us-east-1")
    assert (in_us_east_1.events, in_us_east_1.allowed) == (6, {})  # GetCallerIdentity only
    with pytest.raises(NothingToGrant):
        generate_policy(in_us_east_1)


def test_no_source_ip_condition_for_an_action_called_through_a_vpc_endpoint(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "events.duckdb")
    write(store, [call(1, "ssm", "GetParameter", {"name": "/ci/token"}, ip="10.0.3.7", vpcEndpointId="vpce-0a1b2c"),
                  call(2, "ec2", "DescribeInstances", {"filterSet": {}})])
    kinds = condition_kinds(["source-ip"])
    policy = generate_policy(gather_evidence(store, "build-agent", None, None, kinds=kinds), kinds=kinds)
    conditions = {statement["Action"][0]: statement.get("Condition") for statement in policy.documents[0]["Statement"]}
    assert conditions == {"ec2:DescribeInstances": {"IpAddress": {"aws:SourceIp": ["198.51.100.20/32"]}},
                          "ssm:GetParameter": None}
    assert any("aws:SourceIp" in note and "ssm:GetParameter" in note for note in policy.notes)
