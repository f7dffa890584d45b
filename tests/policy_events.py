"""CloudTrail records of one CI build agent's role, as EC2 and S3 log them, for the policy tests
and the README's story: the role holds ec2:* and calls six EC2 APIs, one S3 bucket and a KMS key."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

ACCOUNT = "111122223333"
ROLE = "build-agent"
START = datetime(2026, 11, 20, 9, 0, 0)
BUILD_IP = "198.51.100.20"


def identity(role: str = ROLE, session: str = "ci-4711") -> dict[str, Any]:
    return {"type": "AssumedRole", "principalId": f"AROAEXAMPLEBUILD00001:{session}",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}", "accountId": ACCOUNT,
            "accessKeyId": "ASIAEXAMPLEBUILD0001",
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEBUILD00001",
                                                 "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}", "accountId": ACCOUNT,
                                                 "userName": role},
                               "attributes": {"creationDate": "2026-11-20T08:59:00Z", "mfaAuthenticated": "false"}}}


def call(n: int, source: str, name: str, parameters: dict[str, Any] | None = None, *, region: str = "ap-southeast-2",
         error: str | None = None, response: dict[str, Any] | None = None,
         resources: list[dict[str, str]] | None = None, who: dict[str, Any] | None = None,
         ip: str = BUILD_IP, **extra: Any) -> dict[str, Any]:
    """The n-th call of the scenario (n gives its time and eventID)."""
    record: dict[str, Any] = {
        "eventVersion": "1.09", "userIdentity": who or identity(),
        "eventTime": (START + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": f"{source}.amazonaws.com", "eventName": name, "awsRegion": region,
        "sourceIPAddress": ip, "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
        "requestParameters": parameters, "responseElements": response,
        "requestID": f"req-{n:06d}", "eventID": f"00000000-0000-4000-8000-{n:012d}",
        "readOnly": name.startswith(("Describe", "Get", "List")), "eventType": "AwsApiCall",
        "managementEvent": True, "recipientAccountId": ACCOUNT, **extra}
    if error:
        record["errorCode"] = error
        record["errorMessage"] = "You are not authorized to perform this operation."
    if resources:
        record["resources"] = resources
    return record


def run_instances(n: int, instance_type: str, instance_id: str) -> dict[str, Any]:
    return call(n, "ec2", "RunInstances", {
        "instancesSet": {"items": [{"imageId": "ami-0abcdef1234567890", "minCount": 1, "maxCount": 1}]},
        "instanceType": instance_type, "subnetId": "subnet-0123456789abcdef0",
        "groupSet": {"items": [{"groupId": "sg-0123456789abcdef0"}]},
        "iamInstanceProfile": {"name": "build-runner"},
        "tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": [{"key": "ci", "value": "true"}]}]},
    }, response={"instancesSet": {"items": [{"instanceId": instance_id, "instanceType": instance_type}]}})


def build_agent_records() -> list[dict[str, Any]]:
    """A week of builds: launch a runner, watch it, tag it, fetch the artifact key, terminate;
    one denied call (it tried to read another team's bucket); GetCallerIdentity (no permission)."""
    records: list[dict[str, Any]] = []
    n = 0
    for build in range(6):
        instance = f"i-0{build:016x}"
        kind = "t3.large" if build % 3 == 0 else "t3.medium"
        records += [
            run_instances(n := n + 1, kind, instance),
            call(n := n + 1, "ec2", "DescribeInstances", {"instancesSet": {"items": [{"instanceId": instance}]},
                                                          "filterSet": {}}),
            call(n := n + 1, "ec2", "DescribeInstanceStatus", {"instancesSet": {"items": [{"instanceId": instance}]}}),
            call(n := n + 1, "ec2", "CreateTags", {"resourcesSet": {"items": [{"resourceId": instance}]},
                                                   "tagSet": {"items": [{"key": "build", "value": str(build)}]}}),
            call(n := n + 1, "s3", "PutObject", {"bucketName": "acme-build-artifacts", "key": f"builds/{build}/app.tgz",
                                                 "Host": "acme-build-artifacts.s3.ap-southeast-2.amazonaws.com"},
                 resources=[{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::acme-build-artifacts/builds/{build}/app.tgz"},
                            {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::acme-build-artifacts"}],
                 managementEvent=False, eventCategory="Data"),
            call(n := n + 1, "kms", "GenerateDataKey", {"keyId": "alias/build-artifacts", "keySpec": "AES_256"},
                 resources=[{"accountId": ACCOUNT, "type": "AWS::KMS::Key",
                             "ARN": f"arn:aws:kms:ap-southeast-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"}]),
            call(n := n + 1, "ec2", "TerminateInstances", {"instancesSet": {"items": [{"instanceId": instance}]}}),
            call(n := n + 1, "sts", "GetCallerIdentity", None, region="us-east-1"),
        ]
    records.append(call(n := n + 1, "s3", "ListObjects", {"bucketName": "payments-team-data", "prefix": ""},
                        error="AccessDenied", managementEvent=False, eventCategory="Data"))
    records.append(call(n := n + 1, "ec2", "DescribeRegions", {"regionSet": {}}))
    return records
