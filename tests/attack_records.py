"""Building blocks for the attack-technique records (tests/attack_techniques.py): the principals
involved and one `Session` per scenario that writes calls as CloudTrail records them.

Shapes follow the AWS API references and CloudTrail's documented record fields: field order,
userIdentity blocks (IAM user keys, assumed-role sessions, instance-profile sessions with
`ec2RoleDelivery`, web-identity deploy roles), EC2's `{"items": [...]}` collections, IAM policy
documents as JSON text, S3 data events with `additionalEventData`, denied calls with the error
code each service really returns (`Client.UnauthorizedOperation` for EC2, `AccessDenied` or
`AccessDeniedException` elsewhere) and `responseElements: null`.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from tests.check_pack_events import api_call, console_login

Record = dict[str, Any]
ACCOUNT = "111122223333"
EXTERNAL_ACCOUNT = "999988887777"  # the attacker's own account: shares, trusts and layers point there
START = datetime(2026, 12, 3, 15, 0, 0)  # attacks happen in the hour after START; history the day before
ATTACKER_IP = "203.0.113.66"  # a VPS outside AWS
OFFICE_IP = "198.51.100.23"  # the company's office egress
CLI = "aws-cli/2.22.4 md/awscrt#0.23.1 ua/2.0 os/linux#6.8.0-48-generic md/arch#x86_64 lang/python#3.12.7"
BOTO = "Boto3/1.35.54 md/Botocore#1.35.54 ua/2.0 os/linux#6.1.0-26-amd64 md/arch#x86_64 lang/python#3.11.2 cfg/retry-mode#legacy Botocore/1.35.54"
GO_SDK = "aws-sdk-go-v2/1.32.4 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.187.0"


def iam_user(name: str, key: str) -> dict[str, Any]:
    return {"type": "IAMUser", "principalId": f"AIDAQ3EGQKJ5{name.upper().replace('-', '')[:8]:<8}",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}", "accountId": ACCOUNT, "accessKeyId": key, "userName": name}


def assumed_role(role: str, session: str, key: str, *, path: str = "", mfa: bool = False,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    role_id = f"AROAQ3EGQKJ5{role.upper().replace('-', '')[:9]:<9}"
    context: dict[str, Any] = {
        "sessionIssuer": {"type": "Role", "principalId": role_id, "arn": f"arn:aws:iam::{ACCOUNT}:role/{path}{role}",
                          "accountId": ACCOUNT, "userName": role},
        "webIdFederationData": {},
        "attributes": {"creationDate": "2026-12-03T14:55:12Z", "mfaAuthenticated": str(mfa).lower()}}
    context.update(extra or {})
    return {"type": "AssumedRole", "principalId": f"{role_id}:{session}",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}", "accountId": ACCOUNT,
            "accessKeyId": key, "sessionContext": context}


# An old service user's long-term key, leaked and now used from the attacker's machine.
LEAKED_USER = iam_user("svc-reporting", "AKIAQ3EGQKJ5REPORTNG")
# A role the attacker assumed with the leaked key (a default SDK session name).
ATTACKER_ROLE = assumed_role("ops-automation", "botocore-session-1733238000", "ASIAQ3EGQKJ5OPSAUTOM")
# The credentials of an EC2 instance profile: the session is named after the instance.
INSTANCE_ROLE = assumed_role("web-app-instance", "i-0a12b34c56d78e90f", "ASIAQ3EGQKJ5WEBAPPIN",
                             extra={"ec2RoleDelivery": "2.0"})
# Ordinary people and machines.
ALICE = assumed_role("AWSReservedSSO_AdministratorAccess_1a2b3c4d5e6f7a8b", "alice@example.com",
                     "ASIAQ3EGQKJ5ALICESSO", path="aws-reserved/sso.amazonaws.com/eu-west-1/")
BOB = iam_user("bob", "AKIAQ3EGQKJ5BOBKEY01")
DEPLOY = assumed_role("github-deploy", "GitHubActions", "ASIAQ3EGQKJ5GITHUBDP",
                      extra={"webIdFederationData": {"federatedProvider": f"arn:aws:iam::{ACCOUNT}:oidc-provider/"
                                                                          "token.actions.githubusercontent.com",
                                                     "attributes": {}}})


def policy_text(statements: list[dict[str, Any]]) -> str:
    """IAM, KMS, SQS and SNS log policy documents as JSON text; S3 logs bucket policies as objects."""
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def denied_code(service: str) -> str:
    if service == "ec2":
        return "Client.UnauthorizedOperation"
    return "AccessDeniedException" if service in ("kms", "organizations", "secretsmanager", "ssm", "lambda",
                                                  "bedrock", "sagemaker", "rolesanywhere") else "AccessDenied"


class Session:
    """One principal's calls from one place, a few seconds apart, with readable eventIDs."""

    def __init__(self, slug: str, identity: dict[str, Any], *, ip: str = ATTACKER_IP, agent: str = CLI,
                 region: str = "eu-west-1", start: datetime = START) -> None:
        self.slug, self.identity, self.ip, self.agent, self.region = slug, identity, ip, agent, region
        self.moment, self.count = start, 0

    def call(self, name: str, service: str, parameters: Any = None, response: Any = None, *,
             denied: bool = False, error: tuple[str, str] | None = None, read_only: bool = False,
             region: str | None = None, data_event: bool = False, additional: dict[str, Any] | None = None,
             resources: list[dict[str, str]] | None = None, vpc_endpoint: str | None = None,
             ip: str | None = None) -> Record:
        self.count += 1
        self.moment += timedelta(seconds=3)
        region = region or ("us-east-1" if service in ("iam", "organizations") else self.region)
        if denied:
            error = (denied_code(service), f"User: {self.identity['arn']} is not authorized to perform: "
                                           f"{service}:{name} because no identity-based policy allows the action")
        record = api_call(f"{self.slug}-{self.count:03d}", name, service, self.identity, parameters, response=response,
                          error=error, region=region, read_only=read_only, ip=ip or self.ip, agent=self.agent,
                          resources=resources, additional=additional, data_event=data_event)
        record["eventTime"] = self.moment.isoformat() + "Z"
        if vpc_endpoint:
            record["vpcEndpointId"] = vpc_endpoint
        return record

    def console_login(self, *, mfa: bool, success: bool = True) -> Record:
        """ConsoleLogin: us-east-1, no requestID, its outcome in responseElements."""
        self.count += 1
        self.moment += timedelta(seconds=3)
        identity = {key: value for key, value in self.identity.items() if key != "accessKeyId"}
        record = console_login(f"{self.slug}-{self.count:03d}", identity, success=success, mfa=mfa, ip=self.ip)
        record["eventTime"] = self.moment.isoformat() + "Z"
        return record

    def s3_object(self, name: str, bucket: str, key: str, *, extra: dict[str, Any] | None = None,
                  sse: str | None = None, read_only: bool = False) -> Record:
        """An S3 data event on one object (trails log these when data events are selected)."""
        parameters = {"bucketName": bucket, "Host": f"{bucket}.s3.{self.region}.amazonaws.com", "key": key,
                      **(extra or {})}
        additional = {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0,
                      "AuthenticationMethod": "AuthHeader", "x-amz-id-2": "Zm9vYmFyYmF6", "bytesTransferredOut": 0}
        if sse:
            additional["SSEApplied"] = sse
        arn = f"arn:aws:s3:::{bucket}"
        return self.call(name, "s3", parameters, None, data_event=True, read_only=read_only, additional=additional,
                         resources=[{"type": "AWS::S3::Object", "ARN": f"{arn}/{key}"},
                                    {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": arn}])


def items(key: str, values: list[str]) -> dict[str, Any]:
    """EC2's list shape: `{"items": [{key: value}, ...]}`."""
    return {"items": [{key: value} for value in values]}


def instances(count: int, seed: int = 0) -> list[str]:
    return [f"i-0{seed:02x}{index:014x}" for index in range(1, count + 1)]
