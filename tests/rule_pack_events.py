"""Realistic CloudTrail records for the rule pack's tests: for every rule, calls it must match and
look-alikes it must not (read-only calls, private CIDRs, decryption off, shares removed, failures).

CASES: (rule name, whether it matches, record). Shapes follow what CloudTrail writes for each call.
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
DOE1 = {"type": "IAMUser", "principalId": "AIDAEXAMPLEDOE1", "arn": f"arn:aws:iam::{ACCOUNT}:user/DOE1",
        "accountId": ACCOUNT, "accessKeyId": "AKIAEXAMPLEDOE1", "userName": "DOE1"}
ROOT = {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEROOT"}

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


def denied(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "errorCode": "AccessDenied",
            "errorMessage": f"User: {record['userIdentity'].get('arn')} is not authorized to perform: {record['eventName']}",
            "responseElements": None}


def ingress(ranges: list[str], ipv6: list[str] = (), protocol: str = "tcp", port: int = 443) -> dict[str, Any]:
    permission: dict[str, Any] = {"ipProtocol": protocol, "groups": {}, "prefixListIds": {},
                                  "ipRanges": {"items": [{"cidrIp": cidr} for cidr in ranges]},
                                  "ipv6Ranges": {"items": [{"cidrIpv6": cidr} for cidr in ipv6]}}
    if protocol != "-1":
        permission.update({"fromPort": port, "toPort": port})
    return {"groupId": "sg-0a1b2c3d4e5f60718", "ipPermissions": {"items": [permission]}}


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

CASES: list[tuple[str, bool, dict[str, Any]]] = [
    # network exposure
    ("ingress-all-traffic-open-to-world", True, call("AuthorizeSecurityGroupIngress", "ec2", ingress(["0.0.0.0/0"], protocol="-1"))),
    ("ingress-all-traffic-open-to-world", True, call("AuthorizeSecurityGroupIngress", "ec2", ingress([], ["::/0"], port=22))),
    ("ingress-all-traffic-open-to-world", True, call("ModifySecurityGroupRules", "ec2", modify_rule("0.0.0.0/0", port=3389))),
    ("ingress-all-traffic-open-to-world", False, call("AuthorizeSecurityGroupIngress", "ec2", ingress(["0.0.0.0/0"], port=443))),
    ("ingress-all-traffic-open-to-world", False, call("AuthorizeSecurityGroupIngress", "ec2", ingress(["10.0.0.0/8"], port=22))),
    ("ingress-open-to-world", True, call("AuthorizeSecurityGroupIngress", "ec2", ingress(["10.0.0.0/16", "0.0.0.0/0"]))),
    ("ingress-open-to-world", True, call("AuthorizeSecurityGroupIngress", "ec2", ingress([], ["::/0"]))),
    ("ingress-open-to-world", True, call("ModifySecurityGroupRules", "ec2", modify_rule("0.0.0.0/0"))),
    ("ingress-open-to-world", False, call("AuthorizeSecurityGroupIngress", "ec2", ingress(["10.0.0.0/8", "192.168.0.0/16"], ["fd00::/8"]))),
    ("ingress-open-to-world", False, call("RevokeSecurityGroupIngress", "ec2", ingress(["0.0.0.0/0"]))),
    ("ingress-open-to-world", False, call("AuthorizeSecurityGroupEgress", "ec2", ingress(["0.0.0.0/0"]))),
    ("network-acl-open-to-world", True, call("CreateNetworkAclEntry", "ec2", {
        "networkAclId": "acl-0123456789abcdef0", "ruleNumber": 100, "egress": False, "ruleAction": "allow",
        "icmpTypeCode": {}, "portRange": {"from": 22, "to": 22}, "aclProtocol": "6", "cidrBlock": "0.0.0.0/0"})),
    ("network-acl-open-to-world", False, call("CreateNetworkAclEntry", "ec2", {
        "networkAclId": "acl-0123456789abcdef0", "ruleNumber": 100, "egress": True, "ruleAction": "allow",
        "icmpTypeCode": {}, "portRange": {"from": 443, "to": 443}, "aclProtocol": "6", "cidrBlock": "0.0.0.0/0"})),
    ("network-acl-open-to-world", False, call("CreateNetworkAclEntry", "ec2", {
        "networkAclId": "acl-0123456789abcdef0", "ruleNumber": 90, "egress": False, "ruleAction": "deny",
        "icmpTypeCode": {}, "portRange": {"from": 22, "to": 22}, "aclProtocol": "6", "cidrBlock": "0.0.0.0/0"})),
    ("default-route-deleted", True, call("DeleteRoute", "ec2", {"routeTableId": RTB, "destinationCidrBlock": "0.0.0.0/0"},
                                         {"_return": True}, DOE1)),
    ("default-route-deleted", True, call("DeleteRoute", "ec2", {"routeTableId": RTB, "destinationIpv6CidrBlock": "::/0"})),
    ("default-route-deleted", False, call("DeleteRoute", "ec2", {"routeTableId": RTB, "destinationCidrBlock": "10.77.0.0/16"})),
    ("default-route-deleted", False, call("CreateRoute", "ec2", {"routeTableId": RTB, "destinationCidrBlock": "0.0.0.0/0",
                                                                 "gatewayId": "igw-0abc"})),
    ("route-deleted", True, call("DeleteRoute", "ec2", {"routeTableId": RTB, "destinationCidrBlock": "10.77.0.0/16"})),
    ("route-deleted", False, call("DescribeRouteTables", "ec2", {"routeTableIdSet": {"items": [{"routeTableId": RTB}]}},
                                  readOnly=True)),
    ("routing-changed", True, call("ReplaceRoute", "ec2", {"routeTableId": RTB, "destinationCidrBlock": "0.0.0.0/0",
                                                           "natGatewayId": "nat-0abc"})),
    ("routing-changed", True, call("DetachInternetGateway", "ec2", {"internetGatewayId": "igw-0abc", "vpcId": "vpc-0abc"})),
    ("routing-changed", False, call("CreateRoute", "ec2", {"routeTableId": RTB, "destinationCidrBlock": "10.0.0.0/8",
                                                           "transitGatewayId": "tgw-0abc"})),
    # defense evasion
    ("cloudtrail-stopped", True, call("StopLogging", "cloudtrail", {"name": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/org-trail"})),
    ("cloudtrail-stopped", True, call("DeleteTrail", "cloudtrail", {"name": "org-trail"})),
    ("cloudtrail-stopped", False, call("StartLogging", "cloudtrail", {"name": "org-trail"})),
    ("cloudtrail-stopped", False, call("GetTrailStatus", "cloudtrail", {"name": "org-trail"}, readOnly=True)),
    ("cloudtrail-modified", True, call("PutEventSelectors", "cloudtrail", {"trailName": "org-trail", "eventSelectors": [
        {"readWriteType": "ReadOnly", "includeManagementEvents": True, "dataResources": []}]})),
    ("cloudtrail-modified", True, call("UpdateTrail", "cloudtrail", {"name": "org-trail", "s3BucketName": "attacker-bucket"})),
    ("cloudtrail-modified", False, call("GetEventSelectors", "cloudtrail", {"trailName": "org-trail"}, readOnly=True)),
    ("flow-logs-deleted", True, call("DeleteFlowLogs", "ec2", {"DeleteFlowLogsRequest": {"FlowLogId": {"tag": 1, "content": "fl-0abc"}}})),
    ("flow-logs-deleted", False, call("CreateFlowLogs", "ec2", {"CreateFlowLogsRequest": {"ResourceId": {"tag": 1, "content": "vpc-0abc"}}})),
    ("guardduty-disabled", True, call("DeleteDetector", "guardduty", {"detectorId": "12abc34d567e8fa901bc2d34e56789f0"})),
    ("guardduty-disabled", True, call("UpdateDetector", "guardduty", {"detectorId": "12abc34d567e8fa901bc2d34e56789f0", "enable": False})),
    ("guardduty-disabled", True, call("DisassociateFromMasterAccount", "guardduty", {"detectorId": "12abc34d567e8fa901bc2d34e56789f0"})),
    ("guardduty-disabled", False, call("UpdateDetector", "guardduty", {"detectorId": "12abc34d567e8fa901bc2d34e56789f0", "enable": True,
                                                                       "findingPublishingFrequency": "FIFTEEN_MINUTES"})),
    ("guardduty-disabled", False, call("ListDetectors", "guardduty", None, readOnly=True)),
    ("guardduty-trusted-ips-changed", True, call("CreateIPSet", "guardduty", {
        "detectorId": "12abc34d567e8fa901bc2d34e56789f0", "name": "office", "format": "TXT",
        "location": "https://s3.amazonaws.com/bucket/ips.txt", "activate": True})),
    ("guardduty-trusted-ips-changed", True, call("CreateFilter", "guardduty", {
        "detectorId": "12abc34d567e8fa901bc2d34e56789f0", "name": "quiet", "action": "ARCHIVE",
        "findingCriteria": {"criterion": {"severity": {"gte": 1}}}})),
    ("guardduty-trusted-ips-changed", False, call("CreateFilter", "guardduty", {
        "detectorId": "12abc34d567e8fa901bc2d34e56789f0", "name": "triage", "action": "NOOP",
        "findingCriteria": {"criterion": {"severity": {"gte": 7}}}})),
    ("config-stopped", True, call("StopConfigurationRecorder", "config", {"configurationRecorderName": "default"})),
    ("config-stopped", True, call("DeleteDeliveryChannel", "config", {"deliveryChannelName": "default"})),
    ("config-stopped", False, call("StartConfigurationRecorder", "config", {"configurationRecorderName": "default"})),
    ("security-hub-disabled", True, call("DisableSecurityHub", "securityhub", None)),
    ("security-hub-disabled", False, call("EnableSecurityHub", "securityhub", {"EnableDefaultStandards": True})),
    ("log-group-deleted", True, call("DeleteLogGroup", "logs", {"logGroupName": "/aws/lambda/payments"})),
    ("log-group-deleted", False, call("DeleteLogStream", "logs", {"logGroupName": "/aws/lambda/payments",
                                                                  "logStreamName": "2026/11/22/[$LATEST]abc"})),
    # persistence
    ("iam-user-created", True, call("CreateUser", "iam", {"userName": "backup-admin"}, {"user": {
        "path": "/", "userName": "backup-admin", "userId": "AIDAEXAMPLEBACKUP", "arn": f"arn:aws:iam::{ACCOUNT}:user/backup-admin",
        "createDate": "Nov 22, 2026 4:40:00 PM"}}, awsRegion="us-east-1")),
    ("iam-user-created", False, denied(call("CreateUser", "iam", {"userName": "backup-admin"}, awsRegion="us-east-1"))),
    ("iam-user-created", False, call("GetUser", "iam", {"userName": "backup-admin"}, awsRegion="us-east-1", readOnly=True)),
    ("access-key-created", True, call("CreateAccessKey", "iam", {"userName": "backup-admin"}, {"accessKey": {
        "userName": "backup-admin", "accessKeyId": "AKIAEXAMPLENEWKEY", "status": "Active",
        "createDate": "Nov 22, 2026 4:40:38 PM"}}, awsRegion="us-east-1")),
    ("access-key-created", False, call("ListAccessKeys", "iam", {"userName": "backup-admin"}, awsRegion="us-east-1", readOnly=True)),
    ("access-key-created", False, call("UpdateAccessKey", "iam", {"userName": "backup-admin", "accessKeyId": "AKIAEXAMPLENEWKEY",
                                                                  "status": "Inactive"}, awsRegion="us-east-1")),
    ("login-profile-created", True, call("CreateLoginProfile", "iam", {"userName": "backup-admin", "passwordResetRequired": False},
                                         {"loginProfile": {"userName": "backup-admin", "passwordResetRequired": False}},
                                         awsRegion="us-east-1")),
    ("login-profile-created", False, call("GetLoginProfile", "iam", {"userName": "backup-admin"}, awsRegion="us-east-1", readOnly=True)),
    ("role-trust-policy-changed", True, call("UpdateAssumeRolePolicy", "iam", {"roleName": "deploy", "policyDocument": TRUST_OTHER},
                                             awsRegion="us-east-1")),
    ("role-trust-policy-changed", False, call("GetRole", "iam", {"roleName": "deploy"}, awsRegion="us-east-1", readOnly=True)),
    ("role-trusts-anyone", True, call("UpdateAssumeRolePolicy", "iam", {"roleName": "deploy", "policyDocument": TRUST_ANYONE},
                                      awsRegion="us-east-1")),
    ("role-trusts-anyone", True, call("CreateRole", "iam", {"roleName": "backdoor", "policyDocument": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]},
        indent=2)}, awsRegion="us-east-1")),
    ("role-trusts-anyone", False, call("CreateRole", "iam", {"roleName": "web", "policyDocument": TRUST_EC2}, awsRegion="us-east-1")),
    ("role-trusts-anyone", False, call("UpdateAssumeRolePolicy", "iam", {"roleName": "deploy", "policyDocument": TRUST_OTHER},
                                       awsRegion="us-east-1")),
    ("lambda-permission-added", True, call("AddPermission20150331v2", "lambda", {
        "functionName": "payments", "statementId": "x-account", "action": "lambda:InvokeFunction",
        "principal": OTHER_ACCOUNT})),
    ("lambda-permission-added", False, call("GetPolicy20150331v2", "lambda", {"functionName": "payments"}, readOnly=True)),
    ("lambda-public-permission", True, call("AddPermission20150331v2", "lambda", {
        "functionName": "payments", "statementId": "public", "action": "lambda:InvokeFunction", "principal": "*"})),
    ("lambda-public-permission", True, call("CreateFunctionUrlConfig20211031", "lambda", {
        "functionName": "payments", "authType": "NONE"})),
    ("lambda-public-permission", False, call("AddPermission20150331v2", "lambda", {
        "functionName": "payments", "statementId": "s3", "action": "lambda:InvokeFunction", "principal": "s3.amazonaws.com",
        "sourceArn": f"arn:aws:s3:::{BUCKET}"})),
    ("lambda-public-permission", False, call("CreateFunctionUrlConfig20211031", "lambda", {
        "functionName": "payments", "authType": "AWS_IAM"})),
    ("lambda-code-updated", True, call("UpdateFunctionCode20150331v2", "lambda", {
        "functionName": "payments", "s3Bucket": "deploy-artifacts", "s3Key": "payments.zip", "publish": True})),
    ("lambda-code-updated", False, call("GetFunction20150331v2", "lambda", {"functionName": "payments"}, readOnly=True)),
    ("federation-token-issued", True, call("GetFederationToken", "sts", {"name": "persist", "durationSeconds": 129600},
                                           {"federatedUser": {"federatedUserId": f"{ACCOUNT}:persist"}}, DOE1)),
    ("federation-token-issued", False, call("GetSessionToken", "sts", {"durationSeconds": 3600}, identity=DOE1)),
    ("federation-token-issued", False, denied(call("GetFederationToken", "sts", {"name": "persist"}, identity=DOE1))),
    # privilege escalation
    ("admin-policy-attached", True, call("AttachUserPolicy", "iam", {
        "userName": "backup-admin", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}, awsRegion="us-east-1")),
    ("admin-policy-attached", True, call("AttachRolePolicy", "iam", {
        "roleName": "ci", "policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"}, awsRegion="us-east-1")),
    ("admin-policy-attached", False, call("AttachRolePolicy", "iam", {
        "roleName": "ci", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, awsRegion="us-east-1")),
    ("admin-policy-attached", False, call("DetachUserPolicy", "iam", {
        "userName": "backup-admin", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}, awsRegion="us-east-1")),
    ("inline-admin-policy", True, call("PutUserPolicy", "iam", {"userName": "DOE1", "policyName": "break-glass",
                                                                "policyDocument": ADMIN}, awsRegion="us-east-1")),
    ("inline-admin-policy", True, call("PutRolePolicy", "iam", {"roleName": "ci", "policyName": "all", "policyDocument": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})}, awsRegion="us-east-1")),
    ("inline-admin-policy", False, call("PutRolePolicy", "iam", {"roleName": "ci", "policyName": "read",
                                                                 "policyDocument": READ_ONLY}, awsRegion="us-east-1")),
    ("login-profile-updated", True, call("UpdateLoginProfile", "iam", {"userName": "carol", "passwordResetRequired": False},
                                         awsRegion="us-east-1")),
    ("login-profile-updated", False, call("ChangePassword", "iam", None, identity=DOE1, awsRegion="us-east-1")),
    ("policy-version-set-default", True, call("CreatePolicyVersion", "iam", {
        "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/deploy", "policyDocument": ADMIN, "setAsDefault": True},
        {"policyVersion": {"versionId": "v3", "isDefaultVersion": True}}, awsRegion="us-east-1")),
    ("policy-version-set-default", True, call("SetDefaultPolicyVersion", "iam", {
        "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/deploy", "versionId": "v2"}, awsRegion="us-east-1")),
    ("policy-version-set-default", False, call("CreatePolicyVersion", "iam", {
        "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/deploy", "policyDocument": READ_ONLY, "setAsDefault": False},
        {"policyVersion": {"versionId": "v4", "isDefaultVersion": False}}, awsRegion="us-east-1")),
    # credential access
    ("secret-value-read", True, call("GetSecretValue", "secretsmanager", {"secretId": "prod/payments/db"}, None, DOE1,
                                     readOnly=True)),
    ("secret-value-read", False, call("DescribeSecret", "secretsmanager", {"secretId": "prod/payments/db"}, readOnly=True)),
    ("secret-value-read", False, denied(call("GetSecretValue", "secretsmanager", {"secretId": "prod/payments/db"}, readOnly=True))),
    ("secure-parameter-decrypted", True, call("GetParameter", "ssm", {"name": "/prod/db/password", "withDecryption": True},
                                              readOnly=True)),
    ("secure-parameter-decrypted", True, call("GetParametersByPath", "ssm", {"path": "/prod/", "recursive": True,
                                                                             "withDecryption": True}, readOnly=True)),
    ("secure-parameter-decrypted", False, call("GetParameter", "ssm", {"name": "/prod/db/password", "withDecryption": False},
                                               readOnly=True)),
    ("secure-parameter-decrypted", False, call("GetParameters", "ssm", {"names": ["/prod/ami-id"]}, readOnly=True)),
    ("ec2-password-data-read", True, call("GetPasswordData", "ec2", {"instanceId": "i-0abc123def4567890"}, readOnly=True)),
    ("ec2-password-data-read", False, call("GetConsoleOutput", "ec2", {"instanceId": "i-0abc123def4567890"}, readOnly=True)),
    # exfiltration
    ("ami-shared-publicly", True, call("ModifyImageAttribute", "ec2", {
        "imageId": "ami-0abc123def4567890", "launchPermission": {"add": {"items": [{"group": "all"}]}},
        "attributeType": "launchPermission"})),
    ("ami-shared-publicly", False, call("ModifyImageAttribute", "ec2", {
        "imageId": "ami-0abc123def4567890", "launchPermission": {"remove": {"items": [{"group": "all"}]}},
        "attributeType": "launchPermission"})),
    ("ami-shared-with-account", True, call("ModifyImageAttribute", "ec2", {
        "imageId": "ami-0abc123def4567890", "launchPermission": {"add": {"items": [{"userId": OTHER_ACCOUNT}]}},
        "attributeType": "launchPermission"})),
    ("ami-shared-with-account", False, call("ModifyImageAttribute", "ec2", {
        "imageId": "ami-0abc123def4567890", "description": {"value": "golden image"}})),
    ("ami-shared-with-account", False, call("DescribeImageAttribute", "ec2", {
        "imageId": "ami-0abc123def4567890", "attribute": "launchPermission"}, readOnly=True)),
    ("ebs-snapshot-shared-publicly", True, call("ModifySnapshotAttribute", "ec2", {
        "snapshotId": "snap-0abc123def4567890", "attributeType": "CREATE_VOLUME_PERMISSION",
        "createVolumePermission": {"add": {"items": [{"group": "all"}]}}})),
    ("ebs-snapshot-shared-publicly", False, call("ModifySnapshotAttribute", "ec2", {
        "snapshotId": "snap-0abc123def4567890", "attributeType": "CREATE_VOLUME_PERMISSION",
        "createVolumePermission": {"add": {"items": [{"userId": OTHER_ACCOUNT}]}}})),
    ("ebs-snapshot-shared-with-account", True, call("ModifySnapshotAttribute", "ec2", {
        "snapshotId": "snap-0abc123def4567890", "attributeType": "CREATE_VOLUME_PERMISSION",
        "createVolumePermission": {"add": {"items": [{"userId": OTHER_ACCOUNT}]}}})),
    ("ebs-snapshot-shared-with-account", False, call("ModifySnapshotAttribute", "ec2", {
        "snapshotId": "snap-0abc123def4567890", "attributeType": "CREATE_VOLUME_PERMISSION",
        "createVolumePermission": {"remove": {"items": [{"userId": OTHER_ACCOUNT}]}}})),
    ("rds-snapshot-shared-publicly", True, call("ModifyDBSnapshotAttribute", "rds", {
        "dBSnapshotIdentifier": "payments-2026-11-22", "attributeName": "restore", "valuesToAdd": ["all"]})),
    ("rds-snapshot-shared-publicly", False, call("ModifyDBSnapshotAttribute", "rds", {
        "dBSnapshotIdentifier": "payments-2026-11-22", "attributeName": "restore", "valuesToRemove": ["all"]})),
    ("rds-snapshot-shared-with-account", True, call("ModifyDBClusterSnapshotAttribute", "rds", {
        "dBClusterSnapshotIdentifier": "payments-cluster-2026-11-22", "attributeName": "restore",
        "valuesToAdd": [OTHER_ACCOUNT]})),
    ("rds-snapshot-shared-with-account", False, call("ModifyDBSnapshotAttribute", "rds", {
        "dBSnapshotIdentifier": "payments-2026-11-22", "attributeName": "restore", "valuesToAdd": ["all"]})),
    ("rds-snapshot-shared-with-account", False, call("DescribeDBSnapshotAttributes", "rds", {
        "dBSnapshotIdentifier": "payments-2026-11-22"}, readOnly=True)),
    ("bucket-policy-public", True, call("PutBucketPolicy", "s3", {"bucketName": BUCKET, "bucketPolicy": PUBLIC_POLICY,
                                                                  "policy": [""], "Host": f"{BUCKET}.s3.amazonaws.com"})),
    ("bucket-policy-public", False, call("PutBucketPolicy", "s3", {"bucketName": BUCKET, "bucketPolicy": TLS_ONLY_POLICY,
                                                                   "policy": [""], "Host": f"{BUCKET}.s3.amazonaws.com"})),
    ("bucket-policy-public", False, call("PutBucketPolicy", "s3", {"bucketName": BUCKET, "bucketPolicy": ROLE_POLICY,
                                                                   "policy": [""], "Host": f"{BUCKET}.s3.amazonaws.com"})),
    ("bucket-acl-public", True, call("PutBucketAcl", "s3", PUBLIC_READ_ACL)),
    ("bucket-acl-public", True, call("PutBucketAcl", "s3", {"bucketName": BUCKET, "x-amz-acl": ["public-read"], "acl": [""],
                                                            "Host": f"{BUCKET}.s3.amazonaws.com"})),
    ("bucket-acl-public", False, call("PutBucketAcl", "s3", PRIVATE_ACL)),
    ("bucket-acl-public", False, call("PutBucketAcl", "s3", {"bucketName": BUCKET, "x-amz-acl": ["private"], "acl": [""],
                                                             "Host": f"{BUCKET}.s3.amazonaws.com"})),
    ("public-access-block-removed", True, call("DeleteBucketPublicAccessBlock", "s3", {
        "bucketName": BUCKET, "publicAccessBlock": [""], "Host": f"{BUCKET}.s3.amazonaws.com"})),
    ("public-access-block-removed", False, call("GetBucketPublicAccessBlock", "s3", {
        "bucketName": BUCKET, "publicAccessBlock": [""], "Host": f"{BUCKET}.s3.amazonaws.com"}, readOnly=True)),
    # lateral movement
    ("instance-connect-key-sent", True, call("SendSSHPublicKey", "ec2-instance-connect", {
        "instanceId": "i-0abc123def4567890", "instanceOSUser": "ec2-user", "availabilityZone": "eu-west-1a",
        "sSHPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample"}, {"requestId": "abc", "success": True})),
    ("instance-connect-key-sent", False, call("SendSSHPublicKey", "ec2", {"instanceId": "i-0abc123def4567890"})),
    ("serial-console-key-sent", True, call("SendSerialConsoleSSHPublicKey", "ec2-instance-connect", {
        "instanceId": "i-0abc123def4567890", "serialPort": 0, "sSHPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample"})),
    ("serial-console-key-sent", False, call("GetSerialConsoleAccessStatus", "ec2", None, readOnly=True)),
    ("ssm-session-started", True, call("StartSession", "ssm", {"target": "i-0abc123def4567890"}, {
        "sessionId": "alice-0abc123", "tokenValue": "Value hidden due to security reasons.",
        "streamUrl": "wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/alice-0abc123"})),
    ("ssm-session-started", False, call("DescribeSessions", "ssm", {"state": "Active"}, readOnly=True)),
    ("ssm-command-sent", True, call("SendCommand", "ssm", {"instanceIds": ["i-0abc123def4567890"],
                                                           "documentName": "AWS-RunShellScript"})),
    ("ssm-command-sent", False, call("ListCommands", "ssm", None, readOnly=True)),
    # identity, organization, keys
    ("root-activity", True, call("GetAccountSummary", "iam", None, identity=ROOT, readOnly=True, awsRegion="us-east-1")),
    ("root-activity", True, console_login(ROOT, success=True, mfa="No")),
    ("root-activity", False, call("GetAccountSummary", "iam", None, identity=DOE1, readOnly=True, awsRegion="us-east-1")),
    ("root-activity", False, call("PutObject", "s3", {"bucketName": "cloudtrail-logs"}, identity={
        **ROOT, "invokedBy": "cloudtrail.amazonaws.com"}, sourceIPAddress="cloudtrail.amazonaws.com")),
    ("console-login-without-mfa", True, console_login(DOE1, success=True, mfa="No")),
    ("console-login-without-mfa", False, console_login(DOE1, success=True, mfa="Yes")),
    ("console-login-without-mfa", False, console_login(DOE1, success=False, mfa="No")),
    ("console-login-without-mfa", False, console_login(ROLE, success=True, mfa="No")),  # SSO: MFA happens at the IdP
    ("console-login-failed", True, console_login(DOE1, success=False, mfa="No")),
    ("console-login-failed", False, console_login(DOE1, success=True, mfa="Yes")),
    ("access-denied", True, denied(call("ListBuckets", "s3", None, identity=DOE1, readOnly=True))),
    ("access-denied", True, {**call("RunInstances", "ec2", {"instanceType": "p4d.24xlarge"}, identity=DOE1),
                             "errorCode": "Client.UnauthorizedOperation",
                             "errorMessage": "You are not authorized to perform this operation."}),
    ("access-denied", False, {**call("GetBucketPolicy", "s3", {"bucketName": BUCKET}, readOnly=True),
                              "errorCode": "NoSuchBucketPolicy", "errorMessage": "The bucket policy does not exist"}),
    ("left-organization", True, call("LeaveOrganization", "organizations", None, awsRegion="us-east-1")),
    ("left-organization", False, call("DescribeOrganization", "organizations", None, awsRegion="us-east-1", readOnly=True)),
    ("account-removed-from-organization", True, call("RemoveAccountFromOrganization", "organizations",
                                                     {"accountId": OTHER_ACCOUNT}, awsRegion="us-east-1")),
    ("account-removed-from-organization", False, call("ListAccounts", "organizations", None, awsRegion="us-east-1",
                                                      readOnly=True)),
    ("kms-key-disabled-or-deleted", True, call("ScheduleKeyDeletion", "kms", {
        "keyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "pendingWindowInDays": 7})),
    ("kms-key-disabled-or-deleted", True, call("DisableKey", "kms", {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab"})),
    ("kms-key-disabled-or-deleted", False, call("CancelKeyDeletion", "kms", {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab"})),
]
