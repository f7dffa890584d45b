"""The evaluator behind the proof: Allow/Deny, wildcards, resources and conditions, as IAM's
policy evaluation logic documents them."""

from __future__ import annotations

import pytest

from tattletrail.policy.evaluate import Request, UnsupportedCondition, allows

INSTANCE = "arn:aws:ec2:ap-southeast-2:111122223333:instance/i-0abc"
IMAGE = "arn:aws:ec2:ap-southeast-2::image/ami-1"


def policy(*statements: dict) -> list[dict]:
    return [{"Version": "2012-10-17", "Statement": list(statements)}]


def allow(action, resource="*", condition=None, effect="Allow", **extra) -> dict:
    statement = {"Effect": effect, "Action": action, "Resource": resource, **extra}
    if condition:
        statement["Condition"] = condition
    return statement


CASES = [
    # (why, statements, request, allowed)
    ("exact action", [allow("ec2:RunInstances")], Request("ec2:RunInstances", []), True),
    ("action names are case-insensitive", [allow("EC2:runinstances")], Request("ec2:RunInstances", []), True),
    ("another action", [allow("ec2:StopInstances")], Request("ec2:RunInstances", []), False),
    ("wildcard action", [allow("ec2:Describe*")], Request("ec2:DescribeInstances", []), True),
    ("wildcard is anchored", [allow("ec2:Describe*")], Request("ec2:RunInstances", []), False),
    ("? is one character", [allow("s3:Get?bject")], Request("s3:GetObject", []), True),
    ("list of actions", [allow(["s3:GetObject", "s3:PutObject"])], Request("s3:PutObject", []), True),
    ("NotAction", [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], Request("iam:PassRole", []), False),
    ("NotAction allows the rest", [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}],
     Request("ec2:RunInstances", []), True),
    ("explicit deny wins", [allow("ec2:*"), allow("ec2:TerminateInstances", effect="Deny")],
     Request("ec2:TerminateInstances", []), False),
    ("resource ARN", [allow("ec2:StopInstances", [INSTANCE])], Request("ec2:StopInstances", [INSTANCE]), True),
    ("another resource", [allow("ec2:StopInstances", [INSTANCE])],
     Request("ec2:StopInstances", [INSTANCE.replace("0abc", "0def")]), False),
    ("ARNs are case-sensitive", [allow("ec2:StopInstances", [INSTANCE.upper()])],
     Request("ec2:StopInstances", [INSTANCE]), False),
    ("resource wildcard", [allow("ec2:StopInstances", "arn:aws:ec2:*:111122223333:instance/*")],
     Request("ec2:StopInstances", [INSTANCE]), True),
    ("every resource must be allowed", [allow("ec2:RunInstances", [INSTANCE])],
     Request("ec2:RunInstances", [INSTANCE, IMAGE]), False),
    ("a request naming no resource needs Resource *", [allow("ec2:StopInstances", [INSTANCE])],
     Request("ec2:StopInstances", []), False),
    ("region condition met", [allow("ec2:*", condition={"StringEquals": {"aws:RequestedRegion": ["ap-southeast-2"]}})],
     Request("ec2:RunInstances", [], {"aws:RequestedRegion": "ap-southeast-2"}), True),
    ("region condition not met", [allow("ec2:*", condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})],
     Request("ec2:RunInstances", [], {"aws:RequestedRegion": "ap-southeast-2"}), False),
    ("condition keys are case-insensitive", [allow("ec2:*", condition={"StringEquals": {"AWS:requestedregion": "x"}})],
     Request("ec2:RunInstances", [], {"aws:RequestedRegion": "x"}), True),
    ("missing key fails StringEquals", [allow("ec2:*", condition={"StringEquals": {"ec2:InstanceType": "t3.micro"}})],
     Request("ec2:RunInstances", [IMAGE]), False),
    ("missing key passes IfExists", [allow("ec2:*", condition={"StringEqualsIfExists": {"ec2:InstanceType": "t3.micro"}})],
     Request("ec2:RunInstances", [IMAGE]), True),
    ("IfExists still checks a present key",
     [allow("ec2:*", condition={"StringEqualsIfExists": {"ec2:InstanceType": "t3.micro"}})],
     Request("ec2:RunInstances", [INSTANCE, IMAGE], resource_context={INSTANCE: {"ec2:InstanceType": "m5.24xlarge"}}),
     False),
    ("key on one resource only", [allow("ec2:*", condition={"StringEqualsIfExists": {"ec2:InstanceType": "t3.micro"}})],
     Request("ec2:RunInstances", [INSTANCE, IMAGE], resource_context={INSTANCE: {"ec2:InstanceType": "t3.micro"}}),
     True),
    ("IpAddress in range", [allow("s3:*", condition={"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}})],
     Request("s3:GetObject", [], {"aws:SourceIp": "198.51.100.20"}), True),
    ("IpAddress out of range", [allow("s3:*", condition={"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}})],
     Request("s3:GetObject", [], {"aws:SourceIp": "203.0.113.7"}), False),
    ("StringLike", [allow("s3:*", condition={"StringLike": {"s3:prefix": "builds/*"}})],
     Request("s3:ListBucket", [], {"s3:prefix": "builds/12"}), True),
    ("all conditions must hold", [allow("ec2:*", condition={"StringEquals": {"aws:RequestedRegion": "x"},
                                                             "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})],
     Request("ec2:RunInstances", [], {"aws:RequestedRegion": "x", "aws:SourceIp": "192.0.2.1"}), False),
    ("no statement", [], Request("ec2:RunInstances", []), False),
]


@pytest.mark.parametrize("why, statements, request_, allowed", CASES, ids=[case[0] for case in CASES])
def test_evaluation(why: str, statements: list[dict], request_: Request, allowed: bool) -> None:
    assert allows(policy(*statements), request_) is allowed


def test_an_operator_it_does_not_know_raises_rather_than_guess() -> None:
    with pytest.raises(UnsupportedCondition, match="DateGreaterThan"):
        allows(policy(allow("ec2:*", condition={"DateGreaterThan": {"aws:CurrentTime": "2026-01-01"}})),
               Request("ec2:RunInstances", [], {"aws:CurrentTime": "2026-06-01"}))
