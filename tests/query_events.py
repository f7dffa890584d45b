"""The events query tests run on: the shared corpora plus realistic records for what they lack
(security group ingress from anywhere, root and assumed-role calls, console logins, denials,
IPv6 callers, service-name callers, numbers and awkward characters in payloads)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import orjson

from tattletrail.ingest import ingest
from tattletrail.rules import load_rules
from tattletrail.sources.local import local_objects
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.cloudtrail_files import CORPORA, write_log_file

ACCOUNT = "111122223333"
ASSUMED_ROLE = {
    "type": "AssumedRole", "principalId": "AROAEXAMPLEROLE:alice", "accountId": ACCOUNT,
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/NetworkAdmin/alice", "accessKeyId": "ASIAEXAMPLEALICE",
    "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEROLE",
                                         "arn": f"arn:aws:iam::{ACCOUNT}:role/NetworkAdmin",
                                         "accountId": ACCOUNT, "userName": "NetworkAdmin"},
                       "attributes": {"mfaAuthenticated": "false", "creationDate": "2024-05-01T09:00:00Z"}},
}
ROOT = {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT}
BOB = {"type": "IAMUser", "principalId": "AIDAEXAMPLEBOB", "arn": f"arn:aws:iam::{ACCOUNT}:user/bob",
       "accountId": ACCOUNT, "accessKeyId": "AKIAEXAMPLEBOB", "userName": "bob"}


def _call(event_id: str, time: str, name: str, source: str, identity: dict[str, Any], ip: str,
          **fields: Any) -> dict[str, Any]:
    record = {"eventVersion": "1.08", "userIdentity": identity, "eventTime": time, "eventSource": source,
              "eventName": name, "awsRegion": fields.pop("awsRegion", "eu-west-1"), "sourceIPAddress": ip,
              "userAgent": fields.pop("userAgent", "aws-cli/2.15.0 Python/3.11.6 Linux/6.1"),
              "requestParameters": fields.pop("requestParameters", None),
              "responseElements": fields.pop("responseElements", None), "requestID": f"req-{event_id}",
              "eventID": event_id, "readOnly": fields.pop("readOnly", False), "eventType": "AwsApiCall",
              "managementEvent": True, "recipientAccountId": ACCOUNT, "eventCategory": "Management"}
    record.update(fields)
    return record


def _ingress(ranges: list[str], ipv6: list[str]) -> dict[str, Any]:
    return {"groupId": "sg-0123456789abcdef0", "ipPermissions": {"items": [{
        "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "groups": {},
        "ipRanges": {"items": [{"cidrIp": cidr} for cidr in ranges]},
        "ipv6Ranges": {"items": [{"cidrIpv6": cidr} for cidr in ipv6]}, "prefixListIds": {}}]}}


EXTRA_RECORDS: list[dict[str, Any]] = [
    _call("extra-ingress-world", "2024-05-01T10:00:00Z", "AuthorizeSecurityGroupIngress", "ec2.amazonaws.com",
          ASSUMED_ROLE, "198.51.100.20", requestParameters=_ingress(["10.0.0.0/16", "0.0.0.0/0"], [])),
    _call("extra-ingress-world6", "2024-05-01T10:05:00Z", "AuthorizeSecurityGroupIngress", "ec2.amazonaws.com",
          ASSUMED_ROLE, "2600:1f18:abcd::5", requestParameters=_ingress([], ["::/0"])),
    _call("extra-ingress-private", "2024-05-01T10:10:00Z", "AuthorizeSecurityGroupIngress", "ec2.amazonaws.com",
          BOB, "10.20.30.40", requestParameters=_ingress(["10.0.0.0/8"], ["fd00::/8"])),
    _call("extra-route", "2024-05-01T11:00:00Z", "CreateRoute", "ec2.amazonaws.com", ASSUMED_ROLE,
          "198.51.100.20", requestParameters={"routeTableId": "rtb-0abc", "destinationCidrBlock": "0.0.0.0/0",
                                              "gatewayId": "igw-0def"}, responseElements={"_return": True}),
    _call("extra-root-login", "2024-05-02T08:00:00Z", "ConsoleLogin", "signin.amazonaws.com", ROOT,
          "203.0.113.7", awsRegion="us-east-1", userAgent="Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)",
          responseElements={"ConsoleLogin": "Success"},
          additionalEventData={"LoginTo": "https://console.aws.amazon.com/", "MobileVersion": "No",
                               "MFAUsed": "No"}, eventType="AwsConsoleSignIn", readOnly=None),
    _call("extra-bob-login-failed", "2024-05-02T08:30:00Z", "ConsoleLogin", "signin.amazonaws.com", BOB,
          "203.0.113.8", awsRegion="us-east-1", errorMessage="Failed authentication",
          responseElements={"ConsoleLogin": "Failure"},
          additionalEventData={"MobileVersion": "No", "MFAUsed": "Yes"}, eventType="AwsConsoleSignIn"),
    _call("extra-denied", "2024-05-02T09:00:00Z", "GetObject", "s3.amazonaws.com", BOB, "2001:db8:1::99",
          errorCode="AccessDenied", errorMessage="Access Denied", readOnly=True,
          requestParameters={"bucketName": "finance-reports", "key": "2024/q1 summary.pdf"}),
    _call("extra-unauthorized", "2024-05-02T09:01:00Z", "RunInstances", "ec2.amazonaws.com", BOB, "10.20.30.41",
          errorCode="Client.UnauthorizedOperation", errorMessage="You are not authorized to perform this operation.",
          requestParameters={"instancesSet": {"items": [{"imageId": "ami-0abc", "minCount": 1, "maxCount": 3}]},
                             "instanceType": "t3.micro"}),
    _call("extra-stop-logging", "2024-05-03T00:00:00Z", "StopLogging", "cloudtrail.amazonaws.com", ROOT,
          "203.0.113.7", requestParameters={"name": f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/main"}),
    _call("extra-kms-delete", "2024-05-03T01:00:00Z", "ScheduleKeyDeletion", "kms.amazonaws.com", ASSUMED_ROLE,
          "198.51.100.20", requestParameters={"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
                                              "pendingWindowInDays": 7}),
    _call("extra-bucket-policy", "2024-05-03T02:00:00Z", "PutBucketPolicy", "s3.amazonaws.com", BOB,
          "198.51.100.21", requestParameters={"bucketName": "finance-reports", "bucketPolicy": {
              "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                      "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::finance-reports/*"}]}}),
    _call("extra-iam-user", "2024-05-03T03:00:00Z", "CreateAccessKey", "iam.amazonaws.com", ROOT, "203.0.113.7",
          awsRegion="us-east-1", requestParameters={"userName": "deploy-bot"},
          responseElements={"accessKey": {"userName": "deploy-bot", "accessKeyId": "AKIANEWKEY",
                                          "status": "Active", "createDate": "May 3, 2024 3:00:00 AM"}}),
    {"eventVersion": "1.08", "userIdentity": {"accountId": ACCOUNT, "invokedBy": "ec2.amazonaws.com"},
     "eventTime": "2024-05-03T04:00:00Z", "eventSource": "ec2.amazonaws.com", "eventName": "SharedSnapshotCopyInitiated",
     "awsRegion": "eu-west-1", "sourceIPAddress": "ec2.amazonaws.com", "userAgent": "ec2.amazonaws.com",
     "requestParameters": None, "responseElements": None, "eventID": "extra-service-event",
     "readOnly": False, "eventType": "AwsServiceEvent", "managementEvent": True, "recipientAccountId": ACCOUNT,
     "serviceEventDetails": {"snapshotId": "snap-0123", "source": {"account": "444455556666"}}},
    _call("extra-odd-values", "2024-05-03T05:00:00.123Z", "PutParameter", "ssm.amazonaws.com", BOB,
          "::ffff:a0a:102", requestParameters={"name": "/app/db: \"password\"", "overwrite": True,
                                               "tier": "Standard", "tags": [["nested", "array"], "flat"],
                                               "description": "Größe (ü) & more*?", "version": 12.5,
                                               "label": "50%_off\\sale"},
          resources=[{"ARN": f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/app/db", "accountId": ACCOUNT,
                      "type": "AWS::SSM::Parameter"}, {"ARN": "arn:aws:kms:eu-west-1:x:key/1", "type": "AWS::KMS::Key"}]),
]


def build_store(directory: Path, fast_fields: Sequence[str] = ()) -> DuckDBStore:
    """A DuckDB store holding every corpus record and EXTRA_RECORDS, ingested as in production
    (with `fast_fields` beyond the shipped ones, set up before the ingest fills them)."""
    logs = directory / "logs"
    for corpus in sorted(CORPORA.glob("*.jsonl")):
        target = logs / corpus.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(corpus.read_bytes())
    write_log_file(logs / "extra" / "extra.json.gz", EXTRA_RECORDS)
    store = DuckDBStore(directory / "events.duckdb")
    if fast_fields:
        store.setup(fast_fields=fast_fields)
    ingest(local_objects(str(logs)), store, rules=load_rules())  # the pack: threat fields are queried too
    return store


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()
