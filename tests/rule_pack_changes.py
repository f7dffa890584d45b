"""Rule pack cases for changes: persistence, privilege escalation, exfiltration, impact, execution,
defense evasion.

(rule name, whether it matches, record), like rule_pack_events.py, which adds these to CASES.
"""

from __future__ import annotations

import json
from typing import Any

from tests.rule_pack_records import (ACCOUNT, ADMIN, BUCKET, DEPLOY_ROLE, DOE1, DOE2, OPEN_TO_ORG, OTHER_ACCOUNT,
                                     PRIVATE_ACL, PUBLIC_POLICY, PUBLIC_READ_ACL, READ_ONLY, ROLE, ROLE_POLICY, ROOT,
                                     SSO_SERVICE_ROLE, TLS_ONLY_POLICY, TRUST_ANYONE, TRUST_EC2, TRUST_OTHER, anonymous, call, denied, iam,
                                     policy, without)

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
FOREIGN_KEY = f"arn:aws:kms:eu-west-1:{OTHER_ACCOUNT}:key/{KEY_ID}"
OWN_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{KEY_ID}"
QUEUE = f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/orders"
TOPIC = f"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts"
ROOT_KEY = {"accessKey": {"accessKeyId": "AKIAEXAMPLEROOTKEY01", "status": "Active", "createDate": "Nov 22, 2026 4:10:00 PM"}}
DENY_EVERYTHING = '{\n  "Version": "2012-10-17",\n  "Statement": [{"Sid": "Lock", "Effect": "Deny", "Action": ["*"], "Resource": ["*"]}]\n}'
FEDERATED_DOE1 = {"type": "FederatedUser", "principalId": f"{ACCOUNT}:doe1-laptop", "accountId": ACCOUNT,
                  "arn": f"arn:aws:sts::{ACCOUNT}:federated-user/doe1-laptop", "accessKeyId": "ASIAEXAMPLEFEDDOE1",
                  "sessionContext": {"sessionIssuer": {"type": "IAMUser", "principalId": "AIDAEXAMPLEDOE1", "accountId": ACCOUNT,
                                                       "arn": f"arn:aws:iam::{ACCOUNT}:user/DOE1", "userName": "DOE1"},
                                     "attributes": {"creationDate": "2026-11-22T16:00:00Z", "mfaAuthenticated": "false"}}}
CONSOLE = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"
TRUST_ANYONE_IN_ORG = policy([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                               "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}])


def resource_policy(principal: Any, condition: dict[str, Any] | None = None, action: str = "kms:*") -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*"}
    if condition:
        statement["Condition"] = condition
    return policy([{"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*", "Resource": "*"}, statement])


def lifecycle(days: int, prefix: str = "") -> dict[str, Any]:
    rule: dict[str, Any] = {"ID": "cleanup", "Status": "Enabled", "Expiration": {"Days": days}}
    rule["Filter"] = {"Prefix": prefix} if prefix else {}
    return {"bucketName": BUCKET, "lifecycle": [""], "LifecycleConfiguration": {
        "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "Rule": rule}, "Host": f"{BUCKET}.s3.amazonaws.com"}


def layers(*arns: str) -> dict[str, Any]:
    return {"functionName": "payments", "layers": list(arns)}


def replication(owner: str | None) -> dict[str, Any]:
    """PutBucketReplication as CloudTrail writes the XML body; Account only when the request names the owner."""
    destination: dict[str, Any] = {"Bucket": "arn:aws:s3:::dr-copies-eu", "StorageClass": "STANDARD"}
    if owner:
        destination.update({"Account": owner, "AccessControlTranslation": {"Owner": "Destination"}})
    return {"bucketName": BUCKET, "replication": [""], "Host": f"{BUCKET}.s3.eu-west-1.amazonaws.com",
            "ReplicationConfiguration": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
                                         "Role": f"arn:aws:iam::{ACCOUNT}:role/s3-replication",
                                         "Rule": {"ID": "copy-all", "Priority": 1, "Status": "Enabled", "Filter": {},
                                                  "DeleteMarkerReplication": {"Status": "Disabled"},
                                                  "Destination": destination}}}


PERSISTENCE: list[tuple[str, bool, dict[str, Any]]] = [
    ("iam-user-created", True, iam("CreateUser", {"userName": "backup-admin"}, {"user": {
        "path": "/", "userName": "backup-admin", "userId": "AIDAEXAMPLEBACKUP", "arn": f"arn:aws:iam::{ACCOUNT}:user/backup-admin",
        "createDate": "Nov 22, 2026 4:40:00 PM"}})),
    ("iam-user-created", False, iam("GetUser", {"userName": "backup-admin"}, readOnly=True)),
    ("access-key-created-for-other-user", True, iam("CreateAccessKey", {"userName": "backup-admin"}, {"accessKey": {
        "userName": "backup-admin", "accessKeyId": "AKIAEXAMPLENEWKEY", "status": "Active",
        "createDate": "Nov 22, 2026 4:40:38 PM"}})),
    ("access-key-created-for-other-user", True, iam("CreateAccessKey", {"userName": "DOE2"}, {"accessKey": {
        "userName": "DOE2", "accessKeyId": "AKIAEXAMPLEDOE2NEW", "status": "Active"}}, DOE1)),
    ("access-key-created-for-other-user", False, iam("CreateAccessKey", None, {"accessKey": {
        "userName": "DOE1", "accessKeyId": "AKIAEXAMPLEDOE1NEW", "status": "Active"}}, DOE1)),
    ("access-key-created-for-other-user", False, iam("ListAccessKeys", {"userName": "backup-admin"}, readOnly=True)),
    ("access-key-created-for-self", True, iam("CreateAccessKey", None, {"accessKey": {
        "userName": "DOE1", "accessKeyId": "AKIAEXAMPLEDOE1NEW", "status": "Active"}}, DOE1)),
    ("access-key-created-for-self", True, iam("CreateAccessKey", {"userName": "DOE1"}, {"accessKey": {
        "userName": "DOE1", "accessKeyId": "AKIAEXAMPLEDOE1NEW2", "status": "Active"}}, DOE1)),
    ("access-key-created-for-self", False, iam("CreateAccessKey", {"userName": "DOE2"}, {"accessKey": {
        "userName": "DOE2", "accessKeyId": "AKIAEXAMPLEDOE2NEW2", "status": "Active"}}, DOE1)),
    ("access-key-created-for-self", False, iam("UpdateAccessKey", {"accessKeyId": "AKIAEXAMPLEDOE1NEW", "status": "Inactive"},
                                               identity=DOE1)),
    ("login-profile-created", True, iam("CreateLoginProfile", {"userName": "backup-admin", "passwordResetRequired": False},
                                        {"loginProfile": {"userName": "backup-admin", "passwordResetRequired": False}})),
    ("login-profile-created", False, iam("CreateLoginProfile", {"userName": "DOE1", "passwordResetRequired": True},
                                         {"loginProfile": {"userName": "DOE1", "passwordResetRequired": True}}, DOE1)),
    ("login-profile-created", False, iam("GetLoginProfile", {"userName": "backup-admin"}, readOnly=True)),
    ("mfa-device-removed", True, iam("DeactivateMFADevice", {
        "userName": "DOE2", "serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/DOE2-phone"})),
    ("mfa-device-removed", False, iam("DeactivateMFADevice", {
        "userName": "DOE1", "serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/DOE1-phone"}, identity=DOE1)),
    ("mfa-device-changed-by-self", True, iam("DeactivateMFADevice", {
        "userName": "DOE1", "serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/DOE1-phone"}, identity=DOE1)),
    ("mfa-device-changed-by-self", True, iam("EnableMFADevice", {
        "userName": "DOE1", "serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/DOE1-new-phone"}, identity=DOE1)),
    ("mfa-device-changed-by-self", False, iam("EnableMFADevice", {
        "userName": "DOE2", "serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/attacker"}, identity=DOE1)),
    ("mfa-device-enabled-for-other-user", True, iam("EnableMFADevice", {
        "userName": "DOE2", "serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/attacker"}, identity=DOE1)),
    ("mfa-device-enabled-for-other-user", False, iam("EnableMFADevice", {
        "userName": "DOE2", "serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/DOE2-phone"}, identity=DOE2)),
    ("ssh-key-uploaded-for-other-user", True, iam("UploadSSHPublicKey", {
        "userName": "DOE2", "sSHPublicKeyBody": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQExample"}, identity=DOE1)),
    ("ssh-key-uploaded-for-other-user", False, iam("UploadSSHPublicKey", {
        "userName": "DOE1", "sSHPublicKeyBody": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQExample"}, identity=DOE1)),
    ("role-trust-policy-changed", True, iam("UpdateAssumeRolePolicy", {"roleName": "deploy", "policyDocument": TRUST_OTHER})),
    ("role-trust-policy-changed", False, iam("GetRole", {"roleName": "deploy"}, readOnly=True)),
    ("role-created-trusting-other-account", True, iam("CreateRole", {"roleName": "vendor-audit",
                                                                     "assumeRolePolicyDocument": TRUST_OTHER})),
    ("role-created-trusting-other-account", False, iam("CreateRole", {"roleName": "web", "assumeRolePolicyDocument": TRUST_EC2})),
    ("role-created-trusting-other-account", False, iam("UpdateAssumeRolePolicy", {"roleName": "deploy",
                                                                                  "policyDocument": TRUST_OTHER})),
    ("role-trusts-anyone", True, iam("UpdateAssumeRolePolicy", {"roleName": "deploy", "policyDocument": TRUST_ANYONE})),
    ("role-trusts-anyone", True, iam("CreateRole", {"roleName": "backdoor", "assumeRolePolicyDocument": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]},
        indent=2)})),
    ("role-trusts-anyone", False, iam("CreateRole", {"roleName": "web", "assumeRolePolicyDocument": TRUST_EC2})),
    ("role-trusts-anyone", False, iam("UpdateAssumeRolePolicy", {"roleName": "deploy", "policyDocument": TRUST_OTHER})),
    ("role-trusts-anyone", False, iam("UpdateAssumeRolePolicy", {"roleName": "org-reader", "policyDocument": TRUST_ANYONE_IN_ORG})),
    ("identity-provider-changed", True, iam("CreateOpenIDConnectProvider", {
        "url": "https://token.actions.githubusercontent.com", "clientIDList": ["sts.amazonaws.com"],
        "thumbprintList": ["6938fd4d98bab03faadb97b34396831e3780aea1"]})),
    ("identity-provider-changed", True, iam("UpdateSAMLProvider", {
        "sAMLProviderArn": f"arn:aws:iam::{ACCOUNT}:saml-provider/okta", "sAMLMetadataDocument": "<EntityDescriptor/>"})),
    ("identity-provider-changed", True, call("CreateTrustAnchor", "rolesanywhere", {
        "name": "lab-ca", "source": {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": "MIIB"}},
        "enabled": True})),
    ("identity-provider-changed", False, iam("ListOpenIDConnectProviders", None, readOnly=True)),
    # IAM Identity Center planting its own provider in an account it manages, through its service-linked role.
    ("identity-provider-changed", False, iam("CreateSAMLProvider", {
        "name": "AWSSSO_0f1e2d3c4b5a6978_DO_NOT_DELETE", "sAMLMetadataDocument": "<EntityDescriptor/>"},
        {"sAMLProviderArn": f"arn:aws:iam::{ACCOUNT}:saml-provider/AWSSSO_0f1e2d3c4b5a6978_DO_NOT_DELETE"},
        identity=SSO_SERVICE_ROLE, sourceIPAddress="sso.amazonaws.com", userAgent="sso.amazonaws.com")),
    ("identity-provider-changed", False, call("ListTrustAnchors", "rolesanywhere", None, readOnly=True)),
    ("lambda-permission-added", True, call("AddPermission20150331v2", "lambda", {
        "functionName": "payments", "statementId": "x-account", "action": "lambda:InvokeFunction", "principal": OTHER_ACCOUNT})),
    ("lambda-permission-added", False, call("AddPermission20150331v2", "lambda", {
        "functionName": "payments", "statementId": "public", "action": "lambda:InvokeFunction", "principal": "*"})),
    ("lambda-permission-added", False, call("GetPolicy20150331v2", "lambda", {"functionName": "payments"}, readOnly=True)),
    ("lambda-public-permission", True, call("AddPermission20150331v2", "lambda", {
        "functionName": "payments", "statementId": "public", "action": "lambda:InvokeFunction", "principal": "*"})),
    ("lambda-public-permission", False, call("AddPermission20150331v2", "lambda", {
        "functionName": "payments", "statementId": "s3", "action": "lambda:InvokeFunction", "principal": "s3.amazonaws.com",
        "sourceArn": f"arn:aws:s3:::{BUCKET}"})),
    ("lambda-public-permission", False, call("AddPermission20150331v2", "lambda", {
        "functionName": "payments", "statementId": "org", "action": "lambda:InvokeFunction", "principal": "*",
        "principalOrgID": "o-a1b2c3d4e5"})),
    ("lambda-url-public", True, call("CreateFunctionUrlConfig20211031", "lambda", {"functionName": "payments", "authType": "NONE"})),
    ("lambda-url-public", False, call("CreateFunctionUrlConfig20211031", "lambda", {"functionName": "payments",
                                                                                    "authType": "AWS_IAM"})),
    ("lambda-code-updated", True, call("UpdateFunctionCode20150331v2", "lambda", {
        "functionName": "payments", "s3Bucket": "deploy-artifacts", "s3Key": "payments.zip", "publish": True},
        identity=DEPLOY_ROLE, userAgent="aws-sdk-js/3.600.0 ua/2.1 os/linux lang/js md/nodejs#20.15.0")),
    ("lambda-code-updated", False, call("GetFunction20150331v2", "lambda", {"functionName": "payments"}, readOnly=True)),
    ("lambda-code-updated-by-person", True, call("UpdateFunctionCode20150331v2", "lambda", {
        "functionName": "payments", "zipFile": "HIDDEN_DUE_TO_SECURITY_REASONS", "publish": False}, identity=DOE1)),
    ("lambda-code-updated-by-person", True, call("UpdateFunctionConfiguration20150331v2", "lambda", layers(
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:layer:shared-utils:7"), userAgent=CONSOLE)),
    ("lambda-code-updated-by-person", True, call("UpdateFunctionCode20150331v2", "lambda", {
        "functionName": "payments", "zipFile": "HIDDEN_DUE_TO_SECURITY_REASONS"}, identity=ROLE)),  # an SSO session
    # A federation token (sts:GetFederationToken) taken from an IAM user's keys: a person's session.
    ("lambda-code-updated-by-person", True, call("UpdateFunctionCode20150331v2", "lambda", {
        "functionName": "payments", "zipFile": "HIDDEN_DUE_TO_SECURITY_REASONS"}, identity=FEDERATED_DOE1)),
    ("lambda-code-updated-by-person", False, call("UpdateFunctionCode20150331v2", "lambda", {
        "functionName": "payments", "s3Bucket": "deploy-artifacts", "s3Key": "payments.zip"}, identity=DEPLOY_ROLE,
        userAgent="aws-sdk-js/3.600.0 ua/2.1 os/linux lang/js md/nodejs#20.15.0")),
    ("lambda-layer-from-other-account", True, call("UpdateFunctionConfiguration20150331v2", "lambda", layers(
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:layer:shared-utils:7", f"arn:aws:lambda:eu-west-1:{OTHER_ACCOUNT}:layer:helper:1"),
        identity=DEPLOY_ROLE)),
    ("lambda-layer-from-other-account", False, call("UpdateFunctionConfiguration20150331v2", "lambda", layers(
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:layer:shared-utils:7"), identity=DEPLOY_ROLE)),
    ("federation-token-issued", True, call("GetFederationToken", "sts", {"name": "persist", "durationSeconds": 129600},
                                           {"federatedUser": {"federatedUserId": f"{ACCOUNT}:persist"}}, DOE1)),
    ("federation-token-issued", False, call("GetSessionToken", "sts", {"durationSeconds": 3600}, identity=DOE1)),
    ("console-signin-token-issued", True, call("GetSigninToken", "signin", None, {"GetSigninToken": "Success"}, identity={
        "type": "FederatedUser", "principalId": f"{ACCOUNT}:persist", "accountId": ACCOUNT,
        "arn": f"arn:aws:sts::{ACCOUNT}:federated-user/persist", "accessKeyId": "ASIAEXAMPLEFED"},
        awsRegion="us-east-1", eventType="AwsConsoleSignIn", userAgent="python-requests/2.32.3")),
    ("console-signin-token-issued", False, call("GetSessionToken", "sts", {"durationSeconds": 3600}, identity=DOE1)),
    ("console-signin-token-issued", True, call("GetSigninToken", "signin", None, {"GetSigninToken": "Success"}, identity={
        "type": "AssumedRole", "principalId": "AROAEXAMPLEOPS:laptop", "accountId": ACCOUNT, "accessKeyId": "ASIAEXAMPLEOPS",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/ops-admin/laptop"}, awsRegion="us-east-1", userAgent="curl/8.5.0")),
    # The AWS access portal opening the console for an Identity Center session: every click does it.
    ("console-signin-token-issued", False, call("GetSigninToken", "signin", None, {"GetSigninToken": "Success"}, identity={
        "type": "AssumedRole", "principalId": "AROAEXAMPLESSO:dana@example.com", "accountId": ACCOUNT,
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_ReadOnly_0f1e2d3c4b5a6978/dana@example.com"},
        awsRegion="us-east-1", userAgent="Go-http-client/2.0")),
    # Stratus' ec2-create-suspicious-keypair plants a key pair; context only, engineers do it every day.
    ("ec2-key-pair-created", True, call("CreateKeyPair", "ec2", {"keyName": "ops-temp", "keyType": "rsa", "keyFormat": "pem"},
                                        {"keyName": "ops-temp", "keyFingerprint": "1f:51:ae:28", "keyPairId": "key-0a1b2c3d4e5f60718"})),
    ("ec2-key-pair-created", True, call("ImportKeyPair", "ec2", {"keyName": "laptop", "publicKeyMaterial": "<sensitiveDataRemoved>"},
                                        {"keyName": "laptop", "keyPairId": "key-0b1c2d3e4f5a60718"})),
    ("ec2-key-pair-created", False, call("DescribeKeyPairs", "ec2", {"keySet": {}}, readOnly=True)),
    ("ec2-key-pair-created", False, call("DeleteKeyPair", "ec2", {"keyName": "ops-temp"}, {"_return": True})),
    # Root's own long-term key, made in the console (older console records name signin.amazonaws.com in invokedBy).
    ("root-access-key-created", True, iam("CreateAccessKey", None, ROOT_KEY,
                                          identity={**ROOT, "invokedBy": "signin.amazonaws.com"}, userAgent="signin.amazonaws.com")),
    ("root-access-key-created", True, iam("CreateAccessKey", None, ROOT_KEY, identity=ROOT)),
    # Root making a key for an IAM user is another rule's (access-key-created-for-other-user).
    ("root-access-key-created", False, iam("CreateAccessKey", {"userName": "ci-deployer"},
                                           {"accessKey": {**ROOT_KEY["accessKey"], "userName": "ci-deployer"}}, identity=ROOT)),
    ("root-access-key-created", False, iam("CreateAccessKey", None, {"accessKey": {**ROOT_KEY["accessKey"], "userName": "DOE1"}},
                                           identity=DOE1)),
]

PRIVILEGE_ESCALATION: list[tuple[str, bool, dict[str, Any]]] = [
    ("admin-policy-attached", True, iam("AttachUserPolicy", {
        "userName": "backup-admin", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})),
    ("admin-policy-attached", True, iam("AttachRolePolicy", {"roleName": "ci", "policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"})),
    ("admin-policy-attached", False, iam("AttachRolePolicy", {"roleName": "ci", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})),
    ("admin-policy-attached", False, iam("DetachUserPolicy", {
        "userName": "backup-admin", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})),
    ("inline-admin-policy", True, iam("PutUserPolicy", {"userName": "DOE1", "policyName": "break-glass", "policyDocument": ADMIN})),
    ("inline-admin-policy", True, iam("PutRolePolicy", {"roleName": "ci", "policyName": "all", "policyDocument": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})})),
    ("inline-admin-policy", False, iam("PutRolePolicy", {"roleName": "ci", "policyName": "read", "policyDocument": READ_ONLY})),
    # Locking a user out (a Deny of every action) grants nothing; a pretty-printed grant is still one.
    ("inline-admin-policy", False, iam("PutUserPolicy", {"userName": "contractor-7", "policyName": "offboarded", "policyDocument": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Sid": "LockOut", "Effect": "Deny", "Action": ["*"], "Resource": ["*"]}]}, indent="\t")})),
    ("inline-admin-policy", True, iam("PutGroupPolicy", {"groupName": "ops", "policyName": "everything", "policyDocument": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["*"], "Resource": "*"}]}, indent=2)})),
    ("login-profile-updated", True, iam("UpdateLoginProfile", {"userName": "carol", "passwordResetRequired": False})),
    ("login-profile-updated", False, iam("UpdateLoginProfile", {"userName": "DOE1", "passwordResetRequired": False},
                                         identity=DOE1)),
    ("login-profile-updated", False, iam("ChangePassword", None, identity=DOE1)),
    ("password-changed-by-self", True, iam("ChangePassword", None, identity=DOE1)),
    ("password-changed-by-self", False, iam("UpdateLoginProfile", {"userName": "carol"}, identity=DOE1)),
    ("policy-version-set-default", True, iam("CreatePolicyVersion", {
        "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/deploy", "policyDocument": ADMIN, "setAsDefault": True},
        {"policyVersion": {"versionId": "v3", "isDefaultVersion": True}})),
    ("policy-version-set-default", True, iam("SetDefaultPolicyVersion", {
        "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/deploy", "versionId": "v2"})),
    ("policy-version-set-default", False, iam("CreatePolicyVersion", {
        "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/deploy", "policyDocument": READ_ONLY, "setAsDefault": False},
        {"policyVersion": {"versionId": "v4", "isDefaultVersion": False}})),
    ("quarantine-policy-attached", True, iam("AttachUserPolicy", {
        "userName": "DOE1", "policyArn": "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3"})),
    ("quarantine-policy-attached", True, iam("AttachUserPolicy", {
        "userName": "DOE1", "policyArn": "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2"})),
    # AWS's older lock on a user whose key it found in public: an inline deny policy of its own name.
    ("quarantine-policy-attached", True, iam("PutUserPolicy", {
        "userName": "DOE1", "policyName": "AWSExposedCredentialPolicy_DO_NOT_REMOVE", "policyDocument": DENY_EVERYTHING},
        identity=DOE1, userAgent="aws-internal/3 aws-sdk-java/1.11.706", sourceIPAddress="72.21.217.97")),
    # A deny-everything policy written on a user is a lock, not a grant of every action.
    ("inline-admin-policy", False, iam("PutUserPolicy", {
        "userName": "DOE2", "policyName": "lock-while-investigating", "policyDocument": DENY_EVERYTHING})),
    ("managed-policy-version-grants-everything", False, iam("CreatePolicyVersion", {
        "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/deploy", "policyDocument": DENY_EVERYTHING, "setAsDefault": True},
        {"policyVersion": {"versionId": "v5", "isDefaultVersion": True}})),
    ("quarantine-policy-attached", False, iam("DetachUserPolicy", {
        "userName": "DOE1", "policyArn": "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2"})),
    ("quarantine-policy-attached", False, iam("AttachUserPolicy", {
        "userName": "DOE1", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})),
    ("managed-policy-version-grants-everything", True, iam("CreatePolicyVersion", {
        "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/deploy", "policyDocument": ADMIN, "setAsDefault": True},
        {"policyVersion": {"versionId": "v3", "isDefaultVersion": True}})),
    ("managed-policy-version-grants-everything", False, iam("CreatePolicyVersion", {
        "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/deploy", "policyDocument": ADMIN, "setAsDefault": False},
        {"policyVersion": {"versionId": "v5", "isDefaultVersion": False}})),
    ("managed-policy-version-grants-everything", False, iam("CreatePolicyVersion", {
        "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/deploy", "policyDocument": READ_ONLY, "setAsDefault": True},
        {"policyVersion": {"versionId": "v6", "isDefaultVersion": True}})),
    # iam:AddUserToGroup: the group's name is all the record says about its rights.
    ("user-added-to-group", True, iam("AddUserToGroup", {"groupName": "data-analysts", "userName": "DOE2"})),
    ("user-added-to-group", False, iam("RemoveUserFromGroup", {"groupName": "data-analysts", "userName": "DOE2"})),
    ("user-added-to-admin-group", True, iam("AddUserToGroup", {"groupName": "Administrators", "userName": "backup-admin"})),
    ("user-added-to-admin-group", True, iam("AddUserToGroup", {"groupName": "platform-admins", "userName": "DOE2"})),
    ("user-added-to-admin-group", False, iam("AddUserToGroup", {"groupName": "data-analysts", "userName": "DOE2"})),
    ("user-added-self-to-group", True, iam("AddUserToGroup", {"groupName": "data-analysts", "userName": "DOE1"}, identity=DOE1)),
    ("user-added-self-to-group", False, iam("AddUserToGroup", {"groupName": "data-analysts", "userName": "DOE2"}, identity=DOE1)),
    ("user-added-self-to-group", False, iam("AddUserToGroup", {"groupName": "data-analysts", "userName": "DOE1"})),
    ("glue-dev-endpoint-role-passed", True, call("CreateDevEndpoint", "glue", {
        "endpointName": "etl-dev", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/glue-etl", "publicKey": "ssh-rsa AAAAB3NzaC1yc2EExample",
        "numberOfNodes": 2}, {"endpointName": "etl-dev", "status": "PROVISIONING",
                              "roleArn": f"arn:aws:iam::{ACCOUNT}:role/glue-etl"})),
    ("glue-dev-endpoint-role-passed", True, call("UpdateDevEndpoint", "glue", {
        "endpointName": "etl-dev", "publicKey": "ssh-rsa AAAAB3NzaC1yc2EOther"})),
    ("glue-dev-endpoint-role-passed", False, call("UpdateDevEndpoint", "glue", {
        "endpointName": "etl-dev", "customLibraries": {"extraPythonLibsS3Path": "s3://libs/etl.zip"}})),
    ("glue-dev-endpoint-role-passed", False, call("CreateJob", "glue", {
        "name": "nightly-etl", "role": f"arn:aws:iam::{ACCOUNT}:role/glue-etl",
        "command": {"name": "glueetl", "scriptLocation": "s3://scripts/etl.py"}})),
]

EXFILTRATION: list[tuple[str, bool, dict[str, Any]]] = [
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
        "dBClusterSnapshotIdentifier": "payments-cluster-2026-11-22", "attributeName": "restore", "valuesToAdd": [OTHER_ACCOUNT]})),
    ("rds-snapshot-shared-with-account", False, call("ModifyDBSnapshotAttribute", "rds", {
        "dBSnapshotIdentifier": "payments-2026-11-22", "attributeName": "restore", "valuesToAdd": ["all"]})),
    ("rds-export-started", True, call("StartExportTask", "rds", {
        "exportTaskIdentifier": "export-1", "sourceArn": f"arn:aws:rds:eu-west-1:{ACCOUNT}:snapshot:payments-2026-11-22",
        "s3BucketName": "exports-bucket", "iamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/rds-export", "kmsKeyId": OWN_KEY})),
    ("rds-export-started", False, call("DescribeExportTasks", "rds", None, readOnly=True)),
    ("bucket-policy-public", True, call("PutBucketPolicy", "s3", {"bucketName": BUCKET, "bucketPolicy": PUBLIC_POLICY,
                                                                  "policy": [""], "Host": f"{BUCKET}.s3.amazonaws.com"})),
    ("bucket-policy-public", False, call("PutBucketPolicy", "s3", {"bucketName": BUCKET, "bucketPolicy": TLS_ONLY_POLICY,
                                                                   "policy": [""], "Host": f"{BUCKET}.s3.amazonaws.com"})),
    ("bucket-policy-public", False, call("PutBucketPolicy", "s3", {"bucketName": BUCKET, "bucketPolicy": ROLE_POLICY,
                                                                   "policy": [""], "Host": f"{BUCKET}.s3.amazonaws.com"})),
    ("bucket-policy-public", False, call("PutBucketPolicy", "s3", {"bucketName": BUCKET, "bucketPolicy": OPEN_TO_ORG,
                                                                   "policy": [""], "Host": f"{BUCKET}.s3.amazonaws.com"})),
    ("bucket-acl-public", True, call("PutBucketAcl", "s3", PUBLIC_READ_ACL)),
    ("bucket-acl-public", True, call("PutBucketAcl", "s3", {"bucketName": BUCKET, "x-amz-acl": ["public-read"], "acl": [""],
                                                            "Host": f"{BUCKET}.s3.amazonaws.com"})),
    ("bucket-acl-public", True, call("PutObjectAcl", "s3", {"bucketName": BUCKET, "key": "q3/ledger.xlsx",
                                                            "x-amz-acl": ["public-read"], "acl": [""]},
                                     eventCategory="Data", managementEvent=False)),
    ("bucket-acl-public", False, call("PutBucketAcl", "s3", PRIVATE_ACL)),
    ("bucket-acl-public", False, call("PutBucketAcl", "s3", {"bucketName": BUCKET, "x-amz-acl": ["private"], "acl": [""],
                                                             "Host": f"{BUCKET}.s3.amazonaws.com"})),
    ("public-access-block-removed", True, call("DeleteBucketPublicAccessBlock", "s3", {
        "bucketName": BUCKET, "publicAccessBlock": [""], "Host": f"{BUCKET}.s3.amazonaws.com"})),
    ("public-access-block-removed", True, call("PutBucketPublicAccessBlock", "s3", {
        "bucketName": BUCKET, "publicAccessBlock": [""], "PublicAccessBlockConfiguration": {
            "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "BlockPublicAcls": False, "IgnorePublicAcls": False,
            "BlockPublicPolicy": False, "RestrictPublicBuckets": False}})),
    ("public-access-block-removed", False, call("PutBucketPublicAccessBlock", "s3", {
        "bucketName": BUCKET, "publicAccessBlock": [""], "PublicAccessBlockConfiguration": {
            "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": True, "RestrictPublicBuckets": True}})),
    ("public-access-block-removed", False, call("GetBucketPublicAccessBlock", "s3", {
        "bucketName": BUCKET, "publicAccessBlock": [""], "Host": f"{BUCKET}.s3.amazonaws.com"}, readOnly=True)),
    ("resource-policy-public", True, call("PutKeyPolicy", "kms", {"keyId": KEY_ID, "policyName": "default",
                                                                  "policy": resource_policy("*")})),
    ("resource-policy-public", True, call("SetQueueAttributes", "sqs", {"queueUrl": QUEUE, "attributes": {
        "Policy": resource_policy({"AWS": "*"}, action="sqs:SendMessage")}})),
    ("resource-policy-public", True, call("SetTopicAttributes", "sns", {"topicArn": TOPIC, "attributeName": "Policy",
                                                                        "attributeValue": resource_policy({"AWS": ["*"]}, action="SNS:Publish")})),
    ("resource-policy-public", True, call("SetRepositoryPolicy", "ecr", {"repositoryName": "payments-api", "policyText": resource_policy(
        "*", action="ecr:BatchGetImage")})),
    ("resource-policy-public", True, call("PutResourcePolicy", "secretsmanager", {"secretId": "prod/payments/db", "resourcePolicy":
                                                                                   resource_policy("*", action="secretsmanager:GetSecretValue")})),
    ("resource-policy-public", True, call("UpdateDomainConfig", "es", {"domainName": "logs", "accessPolicies": resource_policy(
        {"AWS": "*"}, {"IpAddress": {"aws:SourceIp": ["0.0.0.0/0"]}}, action="es:*")})),
    # "*" pinned down by the organization, an endpoint, an account or a source ARN: not public
    ("resource-policy-public", False, call("PutKeyPolicy", "kms", {"keyId": KEY_ID, "policyName": "default", "policy": resource_policy(
        "*", {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})})),
    ("resource-policy-public", False, call("SetQueueAttributes", "sqs", {"queueUrl": QUEUE, "attributes": {"Policy": resource_policy(
        {"AWS": "*"}, {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, action="sqs:SendMessage")}})),
    ("resource-policy-public", False, call("SetTopicAttributes", "sns", {"topicArn": TOPIC, "attributeName": "Policy",
                                                                         "attributeValue": resource_policy(
                                                                             {"Service": "events.amazonaws.com"}, {
                                                                                 "StringEquals": {"aws:SourceAccount": ACCOUNT}},
                                                                             action="SNS:Publish")})),
    ("resource-policy-public", False, call("SetQueueAttributes", "sqs", {"queueUrl": QUEUE, "attributes": {"Policy": resource_policy(
        "*", {"ArnLike": {"aws:SourceArn": TOPIC}}, action="sqs:SendMessage")}})),
    # a condition that passes when the key is absent (…IfExists) pins nothing down: still public
    ("resource-policy-public", True, call("SetRepositoryPolicy", "ecr", {"repositoryName": "payments-api", "policyText": resource_policy(
        "*", {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}, action="ecr:BatchGetImage")})),
    ("resource-policy-shared-with-account", True, call("PutBucketPolicy", "s3", {
        "bucketName": BUCKET, "bucketPolicy": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}, "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]}]}, "policy": [""]})),
    ("resource-policy-shared-with-account", True, call("PutKeyPolicy", "kms", {"keyId": KEY_ID, "policyName": "default",
                                                                               "policy": resource_policy({"AWS": OTHER_ACCOUNT})})),
    ("resource-policy-shared-with-account", False, call("PutBucketPolicy", "s3", {"bucketName": BUCKET, "bucketPolicy": ROLE_POLICY,
                                                                                  "policy": [""]})),
    ("resource-policy-shared-with-account", False, call("PutKeyPolicy", "kms", {"keyId": KEY_ID, "policyName": "default",
                                                                                "policy": resource_policy({"Service": "logs.amazonaws.com"})})),
    ("resource-policy-public", False, call("GetKeyPolicy", "kms", {"keyId": KEY_ID, "policyName": "default"}, readOnly=True)),
    # Without credentials (S3 data events): scanning is context, an answer proves the bucket open.
    ("s3-anonymous-request", True, denied(anonymous("ListObjects", {"bucketName": BUCKET, "prefix": ""}))),
    ("s3-anonymous-request", True, anonymous("GetObject", {"bucketName": BUCKET, "key": "2026/q3.pdf"})),
    ("s3-anonymous-request", False, call("ListObjects", "s3", {"bucketName": BUCKET}, identity=DOE1, readOnly=True,
                                         eventCategory="Data", managementEvent=False)),
    ("s3-anonymous-read", True, anonymous("GetObject", {"bucketName": BUCKET, "key": "2026/q3.pdf"})),
    ("s3-anonymous-read", True, anonymous("ListObjects", {"bucketName": BUCKET, "prefix": ""})),
    ("s3-anonymous-read", False, denied(anonymous("GetObject", {"bucketName": BUCKET, "key": "2026/q3.pdf"}))),
    # an export that kept only some fields (no awsRegion): no errorCode there can't tell success
    ("s3-anonymous-read", False, without(anonymous("ListObjects", {"bucketName": BUCKET}), "awsRegion")),
    ("s3-anonymous-read", False, anonymous("PutObject", {"bucketName": BUCKET, "key": "drop/x.html"})),
    ("s3-anonymous-write", True, anonymous("PutObject", {"bucketName": BUCKET, "key": "drop/x.html"})),
    ("s3-anonymous-write", True, anonymous("DeleteObject", {"bucketName": BUCKET, "key": "2026/q3.pdf"})),
    ("s3-anonymous-write", False, denied(anonymous("PutObject", {"bucketName": BUCKET, "key": "drop/x.html"}))),
    ("s3-anonymous-write", False, anonymous("GetObject", {"bucketName": BUCKET, "key": "2026/q3.pdf"})),
    ("s3-anonymous-write", False, call("PutObject", "s3", {"bucketName": BUCKET, "key": "2026/q4.pdf"}, identity=DOE1,
                                       eventCategory="Data", managementEvent=False)),
    ("instance-export-started", True, call("CreateInstanceExportTask", "ec2", {
        "instanceId": "i-0abc123def4567890", "targetEnvironment": "vmware",
        "exportToS3": {"diskImageFormat": "VMDK", "containerFormat": "ova", "s3Bucket": "vm-exports", "s3Prefix": "exports/"}},
        {"exportTask": {"exportTaskId": "export-i-0a1b2c3d4e5f60718", "state": "active"}})),
    ("instance-export-started", False, call("DescribeExportTasks", "ec2", {"exportTaskIdSet": {}}, readOnly=True)),
    ("traffic-mirroring-created", True, call("CreateTrafficMirrorSession", "ec2", {"CreateTrafficMirrorSessionRequest": {
        "NetworkInterfaceId": "eni-0a1b2c3d4e5f60718", "TrafficMirrorTargetId": "tmt-0b1c2d3e4f5a60718",
        "TrafficMirrorFilterId": "tmf-0c1d2e3f4a5b60718", "SessionNumber": 1}},
        {"CreateTrafficMirrorSessionResponse": {"trafficMirrorSession": {"trafficMirrorSessionId": "tms-0d1e2f3a4b5c60718"}}})),
    ("traffic-mirroring-created", False, call("DeleteTrafficMirrorSession", "ec2", {"DeleteTrafficMirrorSessionRequest": {
        "TrafficMirrorSessionId": "tms-0d1e2f3a4b5c60718"}})),
    # An existing session pointed at another target: the packets now go there.
    ("traffic-mirroring-created", True, call("ModifyTrafficMirrorSession", "ec2", {"ModifyTrafficMirrorSessionRequest": {
        "TrafficMirrorSessionId": "tms-0d1e2f3a4b5c60718", "TrafficMirrorTargetId": "tmt-0e1f2a3b4c5d60718"}})),
    # Only its description or packet length changed: the traffic goes where it went.
    ("traffic-mirroring-created", False, call("ModifyTrafficMirrorSession", "ec2", {"ModifyTrafficMirrorSessionRequest": {
        "TrafficMirrorSessionId": "tms-0d1e2f3a4b5c60718", "PacketLength": 128,
        "RemoveField": [{"tag": 1, "content": "description"}]}})),
    # AWS's service events for a shared snapshot taken by the account it was shared with (Stratus' ec2-share-ebs-snapshot
    # documents them): the other account in userIdentity, the owner's in recipientAccountId.
    ("shared-snapshot-used-by-other-account", True, call(
        "SharedSnapshotCopyInitiated", "ec2", None, None,
        {"type": "AWSAccount", "accountId": OTHER_ACCOUNT, "invokedBy": "ec2.amazonaws.com"},
        eventType="AwsServiceEvent", serviceEventDetails={"snapshotId": "snap-0a1b2c3d4e5f60718"},
        sourceIPAddress="ec2.amazonaws.com", userAgent="ec2.amazonaws.com")),
    ("shared-snapshot-used-by-other-account", True, call(
        "SharedSnapshotVolumeCreated", "ec2", None, None,
        {"type": "AWSAccount", "accountId": OTHER_ACCOUNT, "invokedBy": "ec2.amazonaws.com"},
        eventType="AwsServiceEvent", serviceEventDetails={"snapshotId": "snap-0a1b2c3d4e5f60718"},
        sourceIPAddress="ec2.amazonaws.com", userAgent="ec2.amazonaws.com")),
    ("shared-snapshot-used-by-other-account", False, call("CopySnapshot", "ec2", {
        "sourceSnapshotId": "snap-0a1b2c3d4e5f60718", "sourceRegion": "eu-west-1"}, {"snapshotId": "snap-0b1c2d3e4f5a60718"})),
    # codebuild:UpdateProjectVisibility: PUBLIC_READ lets anyone read build logs and artifacts.
    ("codebuild-project-public", True, call("UpdateProjectVisibility", "codebuild", {
        "projectArn": f"arn:aws:codebuild:eu-west-1:{ACCOUNT}:project/billing-api-ci", "projectVisibility": "PUBLIC_READ",
        "resourceAccessRole": f"arn:aws:iam::{ACCOUNT}:role/service-role/codebuild-public-logs"})),
    ("codebuild-project-public", False, call("UpdateProjectVisibility", "codebuild", {
        "projectArn": f"arn:aws:codebuild:eu-west-1:{ACCOUNT}:project/billing-api-ci", "projectVisibility": "PRIVATE"})),
    ("codebuild-project-public", False, call("CreateProject", "codebuild", {"name": "billing-api-ci",
                                                                          "source": {"type": "CODECOMMIT"}})),
    # ssm:ModifyDocumentPermission: "all" makes the document public; account ids share it.
    ("ssm-document-shared-publicly", True, call("ModifyDocumentPermission", "ssm", {
        "name": "patch-runbook", "permissionType": "Share", "accountIdsToAdd": ["all"], "accountIdsToRemove": []})),
    ("ssm-document-shared-publicly", False, call("ModifyDocumentPermission", "ssm", {
        "name": "patch-runbook", "permissionType": "Share", "accountIdsToAdd": [], "accountIdsToRemove": ["all"]})),
    ("ssm-document-shared-publicly", False, call("ModifyDocumentPermission", "ssm", {
        "name": "patch-runbook", "permissionType": "Share", "accountIdsToAdd": [OTHER_ACCOUNT]})),
    ("ssm-document-shared-with-account", True, call("ModifyDocumentPermission", "ssm", {
        "name": "patch-runbook", "permissionType": "Share", "accountIdsToAdd": [OTHER_ACCOUNT]})),
    ("ssm-document-shared-with-account", False, call("ModifyDocumentPermission", "ssm", {
        "name": "patch-runbook", "permissionType": "Share", "accountIdsToAdd": ["all"]})),
    ("ssm-document-shared-with-account", False, call("ModifyDocumentPermission", "ssm", {
        "name": "patch-runbook", "permissionType": "Share", "accountIdsToRemove": [OTHER_ACCOUNT]})),
    # S3 replication: the destination's owner shows only in Destination.Account (bucket ARNs carry no account).
    ("s3-replication-to-other-account", True, call("PutBucketReplication", "s3", replication(OTHER_ACCOUNT))),
    ("s3-replication-to-other-account", False, call("PutBucketReplication", "s3", replication(ACCOUNT))),
    ("s3-replication-to-other-account", False, call("PutBucketReplication", "s3", replication(None))),
]


IMPACT: list[tuple[str, bool, dict[str, Any]]] = [
    ("identity-provider-deleted", True, iam("DeleteSAMLProvider", {
        "sAMLProviderArn": f"arn:aws:iam::{ACCOUNT}:saml-provider/okta"})),
    ("identity-provider-deleted", True, iam("DeleteOpenIDConnectProvider", {
        "openIDConnectProviderArn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"})),
    ("identity-provider-deleted", False, iam("DeleteSAMLProvider", {
        "sAMLProviderArn": f"arn:aws:iam::{ACCOUNT}:saml-provider/AWSSSO_0f1e2d3c4b5a6978_DO_NOT_DELETE"},
        identity=SSO_SERVICE_ROLE, sourceIPAddress="sso.amazonaws.com", userAgent="sso.amazonaws.com")),
    ("identity-provider-deleted", False, iam("ListSAMLProviders", None, readOnly=True)),
    ("s3-object-encrypted-with-foreign-key", True, call("CopyObject", "s3", {
        "bucketName": BUCKET, "key": "q3/ledger.xlsx", "x-amz-copy-source": f"{BUCKET}/q3/ledger.xlsx",
        "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": FOREIGN_KEY},
        eventCategory="Data", managementEvent=False)),
    ("s3-object-encrypted-with-foreign-key", False, call("CopyObject", "s3", {
        "bucketName": BUCKET, "key": "q3/ledger.xlsx", "x-amz-copy-source": f"{BUCKET}/q3/ledger.xlsx",
        "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": OWN_KEY},
        eventCategory="Data", managementEvent=False)),
    ("s3-object-encrypted-with-foreign-key", False, call("PutObject", "s3", {
        "bucketName": BUCKET, "key": "q3/ledger.xlsx", "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": KEY_ID}, eventCategory="Data", managementEvent=False)),
    ("s3-object-encrypted-with-customer-key", True, call("CopyObject", "s3", {
        "bucketName": BUCKET, "key": "q3/ledger.xlsx", "x-amz-copy-source": f"{BUCKET}/q3/ledger.xlsx",
        "x-amz-server-side-encryption-customer-algorithm": "AES256"}, eventCategory="Data", managementEvent=False)),
    ("s3-object-encrypted-with-customer-key", False, call("CopyObject", "s3", {
        "bucketName": BUCKET, "key": "q3/ledger.xlsx", "x-amz-copy-source": f"{BUCKET}/q3/ledger.xlsx",
        "x-amz-server-side-encryption": "AES256"}, eventCategory="Data", managementEvent=False)),
    ("s3-versioning-suspended", True, call("PutBucketVersioning", "s3", {"bucketName": BUCKET, "versioning": [""],
                                                                         "VersioningConfiguration": {"Status": "Suspended"}})),
    ("s3-versioning-suspended", True, call("PutBucketVersioning", "s3", {"bucketName": BUCKET, "versioning": [""],
                                                                         "VersioningConfiguration": {"Status": "Enabled",
                                                                                                     "MfaDelete": "Disabled"}})),
    ("s3-versioning-suspended", False, call("PutBucketVersioning", "s3", {"bucketName": BUCKET, "versioning": [""],
                                                                          "VersioningConfiguration": {"Status": "Enabled"}})),
    ("s3-encryption-or-logging-removed", True, call("DeleteBucketEncryption", "s3", {"bucketName": BUCKET, "encryption": [""]})),
    ("s3-encryption-or-logging-removed", True, call("PutBucketLogging", "s3", {"bucketName": BUCKET, "logging": [""],
                                                                               "BucketLoggingStatus": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}})),
    ("s3-encryption-or-logging-removed", False, call("PutBucketLogging", "s3", {"bucketName": BUCKET, "logging": [""],
                                                                                "BucketLoggingStatus": {"LoggingEnabled": {
                                                                                    "TargetBucket": "access-logs", "TargetPrefix": f"{BUCKET}/"}}})),
    ("s3-lifecycle-expires-everything", True, call("PutBucketLifecycle", "s3", lifecycle(1))),
    ("s3-lifecycle-expires-everything", False, call("PutBucketLifecycle", "s3", lifecycle(1, prefix="tmp/"))),
    ("s3-lifecycle-expires-everything", False, call("PutBucketLifecycle", "s3", lifecycle(365))),
    ("rds-made-public", True, call("ModifyDBInstance", "rds", {"dBInstanceIdentifier": "payments", "publiclyAccessible": True,
                                                               "applyImmediately": True})),
    ("rds-made-public", False, call("ModifyDBInstance", "rds", {"dBInstanceIdentifier": "payments", "publiclyAccessible": False})),
    # A Multi-AZ DB cluster takes the setting on the cluster.
    ("rds-made-public", True, call("ModifyDBCluster", "rds", {"dBClusterIdentifier": "orders-multiaz", "publiclyAccessible": True,
                                                               "applyImmediately": True},
                                   {"dBClusterIdentifier": "orders-multiaz", "status": "modifying", "publiclyAccessible": True})),
    ("rds-made-public", False, call("ModifyDBCluster", "rds", {"dBClusterIdentifier": "orders-multiaz", "backupRetentionPeriod": 14})),
    # Restored without saying, into the default VPC: public by default, and the response says so.
    ("rds-made-public", True, call("RestoreDBInstanceFromDBSnapshot", "rds", {
        "dBInstanceIdentifier": "payments-restore", "dBSnapshotIdentifier": "payments-2026-11-21", "dBInstanceClass": "db.t3.medium"},
        {"dBInstanceIdentifier": "payments-restore", "dBInstanceStatus": "creating", "publiclyAccessible": True})),
    ("rds-made-public", False, call("RestoreDBInstanceFromDBSnapshot", "rds", {
        "dBInstanceIdentifier": "payments-restore", "dBSnapshotIdentifier": "payments-2026-11-21", "dBInstanceClass": "db.t3.medium"},
        {"dBInstanceIdentifier": "payments-restore", "dBInstanceStatus": "creating", "publiclyAccessible": False})),
    # Storage grown on a database that was already public: the response shows it as it was.
    ("rds-made-public", False, call("ModifyDBInstance", "rds", {"dBInstanceIdentifier": "payments", "allocatedStorage": 200},
                                    {"dBInstanceIdentifier": "payments", "publiclyAccessible": True,
                                     "pendingModifiedValues": {"allocatedStorage": 200}})),
    ("rds-restored", True, call("RestoreDBInstanceFromDBSnapshot", "rds", {
        "dBInstanceIdentifier": "payments-copy", "dBSnapshotIdentifier": "payments-2026-11-22"})),
    ("rds-restored", False, call("CreateDBSnapshot", "rds", {"dBInstanceIdentifier": "payments",
                                                             "dBSnapshotIdentifier": "payments-2026-11-22"})),
    ("rds-master-password-changed", True, call("ModifyDBInstance", "rds", {
        "dBInstanceIdentifier": "payments-copy", "masterUserPassword": "HIDDEN_DUE_TO_SECURITY_REASONS", "applyImmediately": True})),
    ("rds-master-password-changed", False, call("ModifyDBInstance", "rds", {"dBInstanceIdentifier": "payments",
                                                                            "dBInstanceClass": "db.r6g.large"})),
    ("rds-backups-removed", True, call("DeleteDBInstanceAutomatedBackup", "rds", {"dbiResourceId": "db-ABCDEFGHIJKLMNOP"})),
    ("rds-backups-removed", True, call("ModifyDBInstance", "rds", {"dBInstanceIdentifier": "payments", "backupRetentionPeriod": 0})),
    ("rds-backups-removed", True, call("ModifyDBCluster", "rds", {"dBClusterIdentifier": "payments", "deletionProtection": False})),
    ("rds-backups-removed", False, call("ModifyDBInstance", "rds", {"dBInstanceIdentifier": "payments", "backupRetentionPeriod": 14,
                                                                    "deletionProtection": True})),
    ("rds-deleted", True, call("DeleteDBInstance", "rds", {"dBInstanceIdentifier": "payments", "skipFinalSnapshot": False,
                                                           "finalDBSnapshotIdentifier": "payments-final"})),
    ("rds-deleted", False, call("DeleteDBInstance", "rds", {"dBInstanceIdentifier": "payments", "skipFinalSnapshot": True})),
    ("rds-deleted-without-snapshot", True, call("DeleteDBCluster", "rds", {"dBClusterIdentifier": "payments",
                                                                           "skipFinalSnapshot": True})),
    ("rds-deleted-without-snapshot", False, call("DeleteDBCluster", "rds", {"dBClusterIdentifier": "payments",
                                                                            "skipFinalSnapshot": False,
                                                                            "finalDBSnapshotIdentifier": "payments-final"})),
    ("kms-key-disabled-or-deleted", True, call("ScheduleKeyDeletion", "kms", {"keyId": KEY_ID, "pendingWindowInDays": 7})),
    ("kms-key-disabled-or-deleted", True, call("DisableKey", "kms", {"keyId": KEY_ID})),
    ("kms-key-disabled-or-deleted", False, call("CancelKeyDeletion", "kms", {"keyId": KEY_ID})),
    # Stratus' ec2-deregister-ami (AWS's threat technique catalog, T1485.A002), as its recording shows the request.
    ("ami-deregistered", True, call("DeregisterImage", "ec2", {"imageId": "ami-0abc123def4567890",
                                                               "deleteAssociatedSnapshots": False}, {"_return": True})),
    ("ami-deregistered", False, call("DescribeImages", "ec2", {"imagesSet": {"items": [{"imageId": "ami-0abc123def4567890"}]}},
                                     readOnly=True)),
    ("backup-deleted", True, call("DeleteRecoveryPoint", "backup", {
        "backupVaultName": "prod-vault", "recoveryPointArn": f"arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718"})),
    ("backup-deleted", True, call("DeleteBackupVault", "backup", {"backupVaultName": "prod-vault"})),
    ("backup-deleted", False, call("StartBackupJob", "backup", {"backupVaultName": "prod-vault",
                                                                "resourceArn": f"arn:aws:ec2:eu-west-1:{ACCOUNT}:volume/vol-1"})),
    ("domain-transferred-to-other-account", True, call("TransferDomainToAnotherAwsAccount", "route53domains", {
        "domainName": "example.com", "accountId": OTHER_ACCOUNT},
        {"operationId": "0a1b2c3d-1111-4222-8333-444455556666", "password": "HIDDEN_DUE_TO_SECURITY_REASONS"},
        awsRegion="us-east-1")),
    ("domain-transferred-to-other-account", False, call("AcceptDomainTransferFromAnotherAwsAccount", "route53domains", {
        "domainName": "example.org", "password": "HIDDEN_DUE_TO_SECURITY_REASONS"}, awsRegion="us-east-1")),
    ("domain-transfer-lock-disabled", True, call("DisableDomainTransferLock", "route53domains", {"domainName": "example.com"},
                                                 {"operationId": "1a2b3c4d-1111-4222-8333-444455556666"}, awsRegion="us-east-1")),
    ("domain-transfer-lock-disabled", False, call("EnableDomainTransferLock", "route53domains", {"domainName": "example.com"},
                                                  {"operationId": "2a2b3c4d-1111-4222-8333-444455556666"}, awsRegion="us-east-1")),
    ("efs-file-system-deleted", True, call("DeleteFileSystem", "elasticfilesystem", {"fileSystemId": "fs-0a1b2c3d4e5f60718"})),
    ("efs-file-system-deleted", False, call("DeleteMountTarget", "elasticfilesystem", {"mountTargetId": "fsmt-0a1b2c3d"})),
    ("sqs-queue-purged", True, call("PurgeQueue", "sqs", {"queueUrl": QUEUE})),
    ("sqs-queue-purged", False, call("DeleteQueue", "sqs", {"queueUrl": QUEUE})),
    ("sqs-queue-purged", False, call("SetQueueAttributes", "sqs", {"queueUrl": QUEUE, "attributes": {"VisibilityTimeout": "60"}})),
    ("backup-vault-protection-removed", True, call("DeleteBackupVaultAccessPolicy", "backup", {"backupVaultName": "prod-vault"})),
    ("backup-vault-protection-removed", True, call("DeleteBackupVaultLockConfiguration", "backup", {"backupVaultName": "prod-vault"})),
    # Putting a policy (one that denies deleting recovery points) or a lock is the protection itself.
    ("backup-vault-protection-removed", False, call("PutBackupVaultAccessPolicy", "backup", {
        "backupVaultName": "prod-vault", "policy": policy([{"Effect": "Deny", "Principal": "*", "Action": "backup:DeleteRecoveryPoint",
                                                           "Resource": "*"}])})),
    ("backup-vault-protection-removed", False, call("PutBackupVaultLockConfiguration", "backup", {
        "backupVaultName": "prod-vault", "minRetentionDays": 30})),
]

EXECUTION: list[tuple[str, bool, dict[str, Any]]] = [
    ("ec2-user-data-modified", True, call("ModifyInstanceAttribute", "ec2", {
        "instanceId": "i-0abc123def4567890", "userData": "<sensitiveDataRemoved>"})),
    ("ec2-user-data-modified", False, call("ModifyInstanceAttribute", "ec2", {
        "instanceId": "i-0abc123def4567890", "instanceType": {"value": "m5.large"}})),
    ("ec2-user-data-modified", False, call("DescribeInstanceAttribute", "ec2", {
        "instanceId": "i-0abc123def4567890", "attribute": "userData"}, readOnly=True)),
    ("unusual-instance-launched", True, call("RunInstances", "ec2", {
        "instancesSet": {"items": [{"imageId": "ami-0abc123def4567890", "minCount": 1, "maxCount": 8}]},
        "instanceType": "p4d.24xlarge", "blockDeviceMapping": {}, "monitoring": {"enabled": False},
        "disableApiTermination": False, "disableApiStop": False, "clientToken": "x"})),
    ("unusual-instance-launched", True, call("RunInstances", "ec2", {
        "instancesSet": {"items": [{"imageId": "ami-0abc123def4567890", "minCount": 1, "maxCount": 1}]},
        "instanceType": "c7i.48xlarge"})),
    ("unusual-instance-launched", False, call("RunInstances", "ec2", {
        "instancesSet": {"items": [{"imageId": "ami-0abc123def4567890", "minCount": 1, "maxCount": 2}]},
        "instanceType": "t3.medium"})),
    ("unusual-instance-launched", True, call("RunInstances", "ec2", {
        "instancesSet": {"items": [{"minCount": 1, "maxCount": 1}]}, "instanceType": {"value": "g5.12xlarge"}})),
    ("unusual-instance-launched", True, call("RunInstances", "ec2", {
        "instancesSet": {"items": [{"minCount": 1, "maxCount": 4}]},
        "launchTemplate": {"launchTemplateId": "lt-0a1b2c3d4e5f60718", "version": "3"}}, {"instancesSet": {"items": [
            {"instanceId": "i-0c1d2e3f4a5b60718", "instanceType": "p5.48xlarge", "imageId": "ami-0abc123def4567890"}]}})),
    ("unusual-instance-launched", False, call("RunInstances", "ec2", {
        "instancesSet": {"items": [{"minCount": 1, "maxCount": 1}]},
        "launchTemplate": {"launchTemplateId": "lt-0a1b2c3d4e5f60718", "version": "4"}}, {"instancesSet": {"items": [
            {"instanceId": "i-0d1e2f3a4b5c60718", "instanceType": "m7g.large", "imageId": "ami-0abc123def4567890"}]}})),
    ("sagemaker-lifecycle-script-set", True, call("CreateNotebookInstanceLifecycleConfig", "sagemaker", {
        "notebookInstanceLifecycleConfigName": "nb-start", "onStart": [{"content": "HIDDEN_DUE_TO_SECURITY_REASONS"}]})),
    ("sagemaker-lifecycle-script-set", True, call("UpdateNotebookInstance", "sagemaker", {
        "notebookInstanceName": "research-nb", "lifecycleConfigName": "nb-start"})),
    ("sagemaker-lifecycle-script-set", False, call("UpdateNotebookInstance", "sagemaker", {
        "notebookInstanceName": "research-nb", "instanceType": "ml.t3.large"})),
    ("sagemaker-lifecycle-script-set", False, call("DescribeNotebookInstanceLifecycleConfig", "sagemaker", {
        "notebookInstanceLifecycleConfigName": "nb-start"}, readOnly=True)),
    # The `{"value": …}` form and Sigma's `attribute: userData` form of the same call.
    ("ec2-user-data-modified", True, call("ModifyInstanceAttribute", "ec2", {
        "instanceId": "i-0abc123def4567890", "userData": {"value": "<sensitiveDataRemoved>"}})),
    ("ec2-user-data-modified", True, call("ModifyInstanceAttribute", "ec2", {
        "instanceId": "i-0abc123def4567890", "attribute": "userData", "value": "<sensitiveDataRemoved>"})),
    ("ec2-user-data-modified", False, call("ModifyInstanceAttribute", "ec2", {
        "instanceId": "i-0abc123def4567890", "attribute": "instanceType", "value": "m5.large"})),
]

DEFENSE_EVASION: list[tuple[str, bool, dict[str, Any]]] = [
    ("rds-activity-stream-stopped", True, call("StopActivityStream", "rds", {
        "resourceArn": f"arn:aws:rds:eu-west-1:{ACCOUNT}:cluster:ledger-aurora", "applyImmediately": True},
        {"status": "stopping", "kmsKeyId": OWN_KEY})),
    ("rds-activity-stream-stopped", False, call("StartActivityStream", "rds", {
        "resourceArn": f"arn:aws:rds:eu-west-1:{ACCOUNT}:cluster:ledger-aurora", "mode": "async", "kmsKeyId": OWN_KEY})),
    # The older call archives every finding its filter matches.
    ("security-hub-findings-suppressed", True, call("UpdateFindings", "securityhub", {
        "Filters": {"SeverityLabel": [{"Value": "CRITICAL", "Comparison": "EQUALS"}]}, "RecordState": "ARCHIVED"})),
    ("security-hub-findings-suppressed", False, call("UpdateFindings", "securityhub", {
        "Filters": {"Id": [{"Value": f"arn:aws:securityhub:eu-west-1:{ACCOUNT}:finding/1", "Comparison": "EQUALS"}]},
        "Note": {"Text": "ticket SEC-412", "UpdatedBy": "alice"}})),
    ("rds-activity-stream-stopped", False, call("DescribeDBClusters", "rds", {
        "dBClusterIdentifier": "ledger-aurora"}, readOnly=True)),
    # EC2 writes this call's request nested under ModifyInstanceMetadataOptionsRequest.
    ("imdsv1-allowed", True, call("ModifyInstanceMetadataOptions", "ec2", {"ModifyInstanceMetadataOptionsRequest": {
        "InstanceId": "i-0abc123def4567890", "HttpTokens": "optional"}}, {"ModifyInstanceMetadataOptionsResponse": {
        "instanceId": "i-0abc123def4567890", "instanceMetadataOptions": {"state": "pending", "httpTokens": "optional"}}})),
    # Enforcing tokens (IMDSv2), or changing only the hop limit, is the hardening itself.
    ("imdsv1-allowed", False, call("ModifyInstanceMetadataOptions", "ec2", {"ModifyInstanceMetadataOptionsRequest": {
        "InstanceId": "i-0abc123def4567890", "HttpTokens": "required"}})),
    ("imdsv1-allowed", False, call("ModifyInstanceMetadataOptions", "ec2", {"ModifyInstanceMetadataOptionsRequest": {
        "InstanceId": "i-0abc123def4567890", "HttpPutResponseHopLimit": 2}})),
    ("serial-console-access-enabled", True, call("EnableSerialConsoleAccess", "ec2", {"EnableSerialConsoleAccessRequest": ""},
                                                 {"EnableSerialConsoleAccessResponse": {"serialConsoleAccessEnabled": True}})),
    ("serial-console-access-enabled", False, call("DisableSerialConsoleAccess", "ec2", {"DisableSerialConsoleAccessRequest": ""},
                                                  {"DisableSerialConsoleAccessResponse": {"serialConsoleAccessEnabled": False}})),
    ("serial-console-access-enabled", False, call("GetSerialConsoleAccessStatus", "ec2", {"GetSerialConsoleAccessStatusRequest": ""},
                                                  readOnly=True)),
    ("log-retention-shortened", True, call("PutRetentionPolicy", "logs", {"logGroupName": "/aws/cloudtrail/org-trail",
                                                                     "retentionInDays": 1})),
    ("log-retention-shortened", True, call("PutRetentionPolicy", "logs", {"logGroupName": "/aws/lambda/payments",
                                                                     "retentionInDays": 5})),
    # A week or more keeps the history an investigation needs; removing the policy keeps logs forever.
    ("log-retention-shortened", False, call("PutRetentionPolicy", "logs", {"logGroupName": "/aws/lambda/payments",
                                                                      "retentionInDays": 7})),
    ("log-retention-shortened", False, call("PutRetentionPolicy", "logs", {"logGroupName": "/aws/lambda/payments",
                                                                      "retentionInDays": 365})),
    ("log-retention-shortened", False, call("DeleteRetentionPolicy", "logs", {"logGroupName": "/aws/lambda/payments"})),
]

IDENTITY: list[tuple[str, bool, dict[str, Any]]] = [
    # Root at the console: the console relays the click and CloudTrail names it in invokedBy.
    ("root-activity", True, iam("CreateAccessKey", None, ROOT_KEY, identity={**ROOT, "invokedBy": "signin.amazonaws.com"},
                                userAgent="signin.amazonaws.com")),
    # A sign-in step that failed, as root: no session was opened.
    ("root-activity", False, call("ExternalIdPDirectoryLogin", "signin", None, {"ExternalIdPDirectoryLogin": "Failure"},
                                  {**without(ROOT, "accessKeyId"), "arn": ""}, eventType="AwsConsoleSignIn", awsRegion="us-east-1",
                                  errorMessage="Not a valid response for the provided request id", userAgent=CONSOLE)),
]

CHANGES: list[tuple[str, bool, dict[str, Any]]] = [*PERSISTENCE, *PRIVILEGE_ESCALATION, *EXFILTRATION, *IMPACT, *EXECUTION,
                                                   *DEFENSE_EVASION, *IDENTITY]
