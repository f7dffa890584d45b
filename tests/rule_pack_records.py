"""The record builders and shared values of the rule pack's cases (rule_pack_events*.py).

Shapes follow what CloudTrail writes for each call, as AWS's documentation and real recordings
show them (requestParameters keys in camelCase, EC2 lists as `{"items": [...]}`, IAM policies as
JSON text, S3 policies as objects).
"""

from __future__ import annotations

import json
from typing import Any

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
ROLE = {
    "type": "AssumedRole", "principalId": "AROAEXAMPLEADMIN:alice@example.com", "accountId": ACCOUNT,
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_AdministratorAccess_1a2b3c/alice@example.com",
    "accessKeyId": "ASIAEXAMPLEALICE",
    "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEADMIN", "accountId": ACCOUNT,
                                         "arn": f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/"
                                                "AWSReservedSSO_AdministratorAccess_1a2b3c",
                                         "userName": "AWSReservedSSO_AdministratorAccess_1a2b3c"},
                       "attributes": {"creationDate": "2026-11-22T16:00:00Z", "mfaAuthenticated": "false"}},
}
# IAM Identity Center acting in an account it manages, through its service-linked role.
SSO_SERVICE_ROLE = {
    "type": "AssumedRole", "principalId": "AROAEXAMPLESSOSLR:AWS-SSO", "accountId": ACCOUNT,
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSServiceRoleForSSO/AWS-SSO", "accessKeyId": "ASIAEXAMPLESSOSLR",
    "invokedBy": "sso.amazonaws.com",
    "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLESSOSLR", "accountId": ACCOUNT,
                                         "arn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/sso.amazonaws.com/"
                                                "AWSServiceRoleForSSO", "userName": "AWSServiceRoleForSSO"},
                       "attributes": {"creationDate": "2026-11-22T16:00:00Z", "mfaAuthenticated": "false"}},
}
DOE1 = {"type": "IAMUser", "principalId": "AIDAEXAMPLEDOE1", "arn": f"arn:aws:iam::{ACCOUNT}:user/DOE1",
        "accountId": ACCOUNT, "accessKeyId": "AKIAEXAMPLEDOE1", "userName": "DOE1"}
ROOT = {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEROOT"}

# A request without credentials, as CloudTrail writes its identity (S3 data events).
ANONYMOUS = {"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"}

_counter = 0


def call(name: str, service: str, parameters: Any = None, response: Any = None, identity: dict[str, Any] = ROLE,
         **fields: Any) -> dict[str, Any]:
    """One API call as CloudTrail records it (management event, success unless errorCode is given)."""
    global _counter
    _counter += 1
    record = {
        "eventVersion": "1.09", "userIdentity": identity, "eventTime": f"2026-11-22T16:{_counter // 60:02d}:{_counter % 60:02d}Z",
        "eventSource": f"{service}.amazonaws.com", "eventName": name, "awsRegion": fields.pop("awsRegion", "eu-west-1"),
        "sourceIPAddress": fields.pop("sourceIPAddress", "203.0.113.7"),
        "userAgent": fields.pop("userAgent", "aws-cli/2.17.0 md/Botocore#1.35.0 ua/2.0 os/linux#6.5.0"),
        "requestParameters": parameters, "responseElements": response,
        "requestID": f"0d6e4f1c-0000-4000-8000-{_counter:012d}", "eventID": f"case-{_counter:04d}",
        "readOnly": fields.pop("readOnly", False), "eventType": fields.pop("eventType", "AwsApiCall"),
        "managementEvent": True, "recipientAccountId": ACCOUNT, "eventCategory": "Management",
    }
    record.update(fields)
    return record


# The error code each service writes when a call is refused for lack of permission.
DENIED_CODES = {"ec2.amazonaws.com": "Client.UnauthorizedOperation", "lambda.amazonaws.com": "AccessDeniedException",
                "kms.amazonaws.com": "AccessDeniedException", "guardduty.amazonaws.com": "AccessDeniedException",
                "securityhub.amazonaws.com": "AccessDeniedException", "bedrock.amazonaws.com": "AccessDeniedException",
                "macie2.amazonaws.com": "AccessDeniedException", "secretsmanager.amazonaws.com": "AccessDeniedException",
                "organizations.amazonaws.com": "AccessDeniedException", "ecr.amazonaws.com": "AccessDeniedException",
                "events.amazonaws.com": "AccessDeniedException", "inspector2.amazonaws.com": "AccessDeniedException",
                "access-analyzer.amazonaws.com": "AccessDeniedException", "ssm.amazonaws.com": "AccessDeniedException",
                "glue.amazonaws.com": "AccessDeniedException"}


def denied(record: dict[str, Any]) -> dict[str, Any]:
    """The same call refused: CloudTrail keeps the request, adds errorCode and errorMessage, drops the response."""
    code = DENIED_CODES.get(record["eventSource"], "AccessDenied")
    message = ("You are not authorized to perform this operation." if code.startswith("Client.") else
               f"User: {record['userIdentity'].get('arn')} is not authorized to perform: {record['eventName']}")
    return {**record, "eventID": f"{record['eventID']}-denied", "errorCode": code, "errorMessage": message,
            "responseElements": None}


def ingress(ranges: list[str], ipv6: list[str] = (), protocol: str = "tcp", port: int = 443) -> dict[str, Any]:
    permission: dict[str, Any] = {"ipProtocol": protocol, "groups": {}, "prefixListIds": {},
                                  "ipRanges": {"items": [{"cidrIp": cidr} for cidr in ranges]},
                                  "ipv6Ranges": {"items": [{"cidrIpv6": cidr} for cidr in ipv6]}}
    if protocol != "-1":
        permission.update({"fromPort": port, "toPort": port})
    return {"groupId": "sg-0a1b2c3d4e5f60718", "ipPermissions": {"items": [permission]}}


def ingress_old_form(cidr: str, protocol: str = "tcp", port: int = 22) -> dict[str, Any]:
    """The older top-level form (CidrIp, IpProtocol, FromPort, ToPort) some SDKs and scripts still send."""
    return {"groupId": "sg-0a1b2c3d4e5f60718", "ipPermissions": {}, "cidrIp": cidr, "ipProtocol": protocol,
            "fromPort": port, "toPort": port}


def modify_rule(cidr: str, protocol: str = "tcp", port: int = 443) -> dict[str, Any]:
    return {"ModifySecurityGroupRulesRequest": {"GroupId": "sg-0a1b2c3d4e5f60718", "SecurityGroupRule": {
        "SecurityGroupRuleId": "sgr-0123456789abcdef0",
        "SecurityGroupRule": {"IpProtocol": protocol, "FromPort": port, "ToPort": port, "CidrIpv4": cidr}}}}


def policy(statements: list[dict[str, Any]]) -> str:
    """IAM policy documents arrive as JSON text in requestParameters."""
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))


def console_login(identity: dict[str, Any], success: bool, mfa: str) -> dict[str, Any]:
    identity = {key: value for key, value in identity.items() if key != "accessKeyId"}
    record = call("ConsoleLogin", "signin", None, {"ConsoleLogin": "Success" if success else "Failure"}, identity,
                  awsRegion="us-east-1", eventType="AwsConsoleSignIn", readOnly=None,
                  userAgent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
                  additionalEventData={"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No",
                                       "MFAUsed": mfa})
    if not success:
        record["errorMessage"] = "Failed authentication"
    return record


RTB = "rtb-0f1e2d3c4b5a69788"
BUCKET = "finance-reports-111122223333"
PUBLIC_READ_ACL = {"bucketName": BUCKET, "AccessControlPolicy": {
    "AccessControlList": {"Grant": [
        {"Grantee": {"xsi:type": "CanonicalUser", "ID": "79a59df900b949e55d96a1e698fbaced"}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"xsi:type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"}]},
    "Owner": {"ID": "79a59df900b949e55d96a1e698fbaced"}}, "acl": [""], "Host": f"{BUCKET}.s3.eu-west-1.amazonaws.com"}
PRIVATE_ACL = {"bucketName": BUCKET, "AccessControlPolicy": {
    "AccessControlList": {"Grant": [
        {"Grantee": {"xsi:type": "CanonicalUser", "ID": "79a59df900b949e55d96a1e698fbaced"}, "Permission": "FULL_CONTROL"}]},
    "Owner": {"ID": "79a59df900b949e55d96a1e698fbaced"}}, "acl": [""], "Host": f"{BUCKET}.s3.eu-west-1.amazonaws.com"}
TLS_ONLY_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
    "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
PUBLIC_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
    "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}
ROLE_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/reporting"}, "Action": "s3:GetObject",
    "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}
ADMIN = policy([{"Effect": "Allow", "Action": "*", "Resource": "*"}])
READ_ONLY = policy([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}])
TRUST_ANYONE = policy([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}])
TRUST_OTHER = policy([{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
                       "Action": "sts:AssumeRole"}])
TRUST_EC2 = policy([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}])


OPEN_TO_ORG = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*",
    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}
DOE2 = {"type": "IAMUser", "principalId": "AIDAEXAMPLEDOE2", "arn": f"arn:aws:iam::{ACCOUNT}:user/DOE2",
        "accountId": ACCOUNT, "accessKeyId": "AKIAEXAMPLEDOE2", "userName": "DOE2"}
INSTANCE = "i-0317f6c6b66ae9c40"
INSTANCE_ROLE = {
    "type": "AssumedRole", "principalId": f"AROAEXAMPLEWEBROLE:{INSTANCE}", "accountId": ACCOUNT,
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/web-server/{INSTANCE}", "accessKeyId": "ASIAEXAMPLEWEB",
    "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEWEBROLE", "accountId": ACCOUNT,
                                         "arn": f"arn:aws:iam::{ACCOUNT}:role/web-server", "userName": "web-server"},
                       "attributes": {"creationDate": "2026-11-22T15:48:30Z", "mfaAuthenticated": "false"},
                       "ec2RoleDelivery": "2.0"}}
DEPLOY_ROLE = {**ROLE, "principalId": "AROAEXAMPLEDEPLOY:gha-run-42",
               "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/github-deploy/gha-run-42",
               "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEDEPLOY", "accountId": ACCOUNT,
                                                    "arn": f"arn:aws:iam::{ACCOUNT}:role/github-deploy",
                                                    "userName": "github-deploy"},
                                  "attributes": {"creationDate": "2026-11-22T16:00:00Z", "mfaAuthenticated": "false"}}}


def iam(name: str, parameters: Any = None, response: Any = None, identity: dict[str, Any] = ROLE,
        **fields: Any) -> dict[str, Any]:
    """An IAM call: IAM is global, CloudTrail records it in us-east-1."""
    return call(name, "iam", parameters, response, identity, awsRegion="us-east-1", **fields)


def anonymous(name: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """An S3 data event without credentials, as CloudTrail records one (from a host on the internet)."""
    return call(name, "s3", parameters, identity=ANONYMOUS, sourceIPAddress="198.51.100.77",
                userAgent="Mozilla/5.0 (X11; Linux x86_64)", readOnly=name.startswith(("Get", "List", "Head")),
                eventCategory="Data", managementEvent=False,
                resources=[{"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{parameters['bucketName']}"}])


def without(record: dict[str, Any], field: str) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != field}
