"""Event → IAM action: every rule that is not `prefix:eventName` (docs/policy.md has each with its
source), the prefixes that differ from the eventSource, API version suffixes, and the calls no
IAM action authorizes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tattletrail.policy import catalogue
from tattletrail.policy.actions import NOT_AUTHORIZED, RULES, SOURCE_PREFIXES, VERSION_SUFFIX, map_event
from tests.policy_events import call, run_instances

DOCS = Path(__file__).resolve().parents[1] / "docs" / "policy.md"


def record(source: str, name: str, parameters: dict | None = None, **extra) -> dict:
    return call(1, source.removesuffix(".amazonaws.com"), name, parameters, **extra)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.event_name}{'+' + r.when if r.when else ''}")
def test_each_rule_maps_its_event_to_its_actions_all_in_the_catalogue(rule) -> None:
    parameters = {rule.when: "x"} if rule.when else {}
    mapped = map_event(record(rule.event_source, rule.event_name, parameters)).actions
    for action in rule.actions:
        assert catalogue.known(action), action
        assert catalogue.find_action(action).iam_name in mapped
    if rule.replaces:
        assert set(mapped) == {catalogue.find_action(action).iam_name for action in rule.actions}
    else:  # besides the event's own action
        prefix = rule.event_source.removesuffix(".amazonaws.com")
        assert f"{prefix}:{rule.event_name}" in mapped


@pytest.mark.parametrize("rule", [rule for rule in RULES if rule.when], ids=lambda r: f"{r.event_name}-{r.when}")
def test_a_conditional_rule_adds_nothing_without_its_parameter(rule) -> None:
    prefix = rule.event_source.removesuffix(".amazonaws.com")
    own = catalogue.find_action(f"{prefix}:{VERSION_SUFFIX.sub('', rule.event_name)}").iam_name
    assert map_event(record(rule.event_source, rule.event_name, {})).actions == (own,)


@pytest.mark.parametrize("host, prefix", [(host, value[0]) for host, value in SOURCE_PREFIXES.items()])
def test_event_sources_whose_iam_prefix_differs(host: str, prefix: str) -> None:
    assert prefix in catalogue.services()
    assert host not in catalogue.services() or host == prefix


@pytest.mark.parametrize("source, name, expected", [
    ("monitoring", "GetMetricData", ("cloudwatch:GetMetricData",)),
    ("monitoring", "DescribeAlarms", ("cloudwatch:DescribeAlarms",)),
    ("lambda", "ListFunctions20150331", ("lambda:ListFunctions",)),
    ("lambda", "GetFunction20150331v2", ("lambda:GetFunction",)),
    ("lambda", "UpdateFunctionCode20150331v2", ("lambda:UpdateFunctionCode",)),
    ("s3", "GetBucketCors", ("s3:GetBucketCORS",)),  # the catalogue's spelling
    ("ec2", "DescribeInstances", ("ec2:DescribeInstances",)),
    ("ssm", "GetParameters", ("ssm:GetParameters",)),
])
def test_prefix_and_version_suffix(source: str, name: str, expected: tuple[str, ...]) -> None:
    assert map_event(record(source, name)).actions == expected


def test_run_instances_needs_pass_role_and_create_tags_besides_itself() -> None:
    assert map_event(run_instances(1, "t3.micro", "i-1")).actions == (
        "ec2:RunInstances", "iam:PassRole", "ec2:CreateTags")


@pytest.mark.parametrize("event, reason", [
    (record("sts", "GetCallerIdentity"), "no permission is required"),
    (record("sts", "AssumeRoleWithWebIdentity"), "web identity token"),
    (record("signin", "ConsoleLogin", eventType="AwsConsoleSignIn"), "console sign-in"),
    (record("kms", "Decrypt", eventType="AwsServiceEvent"), "AWS records for itself"),
    (record("ec2", "DescribeInstances", who={"type": "AssumedRole", "invokedBy": "ssm.amazonaws.com",
                                              "arn": "arn:aws:sts::1:assumed-role/AWSServiceRoleForAmazonSSM/x"}),
     "made by ssm.amazonaws.com"),
    (record("kms", "Decrypt", who={"type": "AssumedRole", "invokedBy": "AWS Internal"}), "AWS-internal"),
    (record("madeup", "DoThings"), "the catalogue has no IAM action madeup:DoThings"),
    (record("s3", "ListObjects", {"bucketName": "b"}, who={"type": "AWSAccount", "principalId": "",
                                                           "accountId": "ANONYMOUS_PRINCIPAL"}), "anonymous request"),
])
def test_calls_no_iam_action_authorizes_are_left_out_with_the_reason(event: dict, reason: str) -> None:
    mapping = map_event(event)
    assert mapping.actions == ()
    assert reason in mapping.left_out


def documented_rows() -> set[tuple[str, str]]:
    """(eventSource, eventName) of each row of the event tables in docs/policy.md."""
    return set(re.findall(r"^\| `([a-z0-9.-]+)` \| `([A-Z]\w+)`", DOCS.read_text(encoding="utf-8"), re.MULTILINE))


def test_every_rule_is_documented_with_its_source_and_every_documented_rule_exists() -> None:
    rules = {(rule.event_source, rule.event_name) for rule in RULES} | set(NOT_AUTHORIZED)
    assert documented_rows() == rules
    text = DOCS.read_text(encoding="utf-8")
    for rule in RULES:
        assert rule.source.split(" ")[0] in text, rule
    for host, (prefix, source) in SOURCE_PREFIXES.items():
        assert f"| `{host}.amazonaws.com` | `{prefix}` | {source} |" in text


@pytest.mark.parametrize("odd", [
    {"eventType": ["AwsApiCall"], "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances"},
    {"userIdentity": "not-a-dict", "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances"},
    {"userIdentity": {"invokedBy": {"odd": 1}}, "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances"},
    {"eventName": "RunInstances", "eventSource": "ec2.amazonaws.com", "requestParameters": ["not", "a", "dict"]},
    {},
], ids=["eventType-list", "identity-string", "invokedBy-object", "parameters-list", "empty"])
def test_a_record_of_any_shape_maps_without_raising(odd: dict) -> None:
    mapping = map_event(odd)
    assert mapping.actions or mapping.left_out
