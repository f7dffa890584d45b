"""The behaviours issue 13 (section 4) names beyond the technique catalogue, as CloudTrail records
them, with the verdict expected: AWS's quarantine policy, S3 ransomware preparations, RDS
exposure and destruction, logging blind spots beyond CloudTrail, identity providers, leaked-key
behaviour, resources made public through their own policies. Scored like the techniques, but
totalled apart: the evaluation's "30 of 35" is about the catalogue.
"""

from __future__ import annotations

import json

from tests.attack_records import (ACCOUNT, ATTACKER_ROLE, BOTO, EXTERNAL_ACCOUNT, LEAKED_USER, Record, Session,
                                  policy_text)
from tests.attack_techniques import Technique

S3_EXTRA = {"SignatureVersion": "SigV4", "AuthenticationMethod": "AuthHeader"}
BUCKET = "acme-finance-archive"
# AWS attaches its quarantine policy itself; the rule must key on the policy, whoever attaches it.
AWS_QUARANTINE = {"type": "AWSService", "invokedBy": "iam.amazonaws.com"}


def _s(slug: str, identity=ATTACKER_ROLE) -> Session:
    return Session(slug, identity, agent=BOTO)


def _bucket_call(slug: str, name: str, parameters: dict) -> list[Record]:
    return [_s(slug).call(name, "s3", {"bucketName": BUCKET, "Host": f"{BUCKET}.s3.eu-west-1.amazonaws.com",
                                       **parameters}, additional=S3_EXTRA,
                          resources=[{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{BUCKET}"}])]


def _versioning(status: str, mfa_delete: str | None = None) -> dict:
    configuration = {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "Status": status}
    if mfa_delete:
        configuration["MfaDelete"] = mfa_delete
    return {"versioning": "", "VersioningConfiguration": configuration}


def _foreign_key_copy() -> list[Record]:
    s = _s("issue13-s3-foreign-kms-reencrypt")
    key = f"arn:aws:kms:eu-west-1:{EXTERNAL_ACCOUNT}:key/4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
    return [s.s3_object("CopyObject", BUCKET, f"ledger/{index:03d}.parquet", extra={
        "x-amz-copy-source": f"{BUCKET}/ledger/{index:03d}.parquet", "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": key}, sse="SSE_KMS") for index in range(3)]


def _rds(slug: str, name: str, parameters: dict, response: dict | None = None) -> list[Record]:
    return [_s(slug).call(name, "rds", parameters, response or {"dBInstanceIdentifier": parameters.get(
        "dBInstanceIdentifier", "customers-prod")})]


def _public_policy_call(slug: str, name: str, service: str, parameters: dict) -> list[Record]:
    return [_s(slug).call(name, service, parameters)]


def _anyone(action: str, resource: str) -> str:
    return policy_text([{"Effect": "Allow", "Principal": "*", "Action": action, "Resource": resource}])


def _signin_token() -> list[Record]:
    federated = {"type": "FederatedUser", "principalId": f"{ACCOUNT}:console",
                 "arn": f"arn:aws:sts::{ACCOUNT}:federated-user/console", "accountId": ACCOUNT,
                 "accessKeyId": "ASIAQ3EGQKJ5FEDCONSL", "sessionContext": {
                     "sessionIssuer": {"type": "IAMUser", "principalId": LEAKED_USER["principalId"],
                                       "arn": LEAKED_USER["arn"], "accountId": ACCOUNT, "userName": "svc-reporting"},
                     "attributes": {"creationDate": "2026-12-03T15:00:01Z", "mfaAuthenticated": "false"}}}
    s = Session("issue13-get-signin-token", federated)
    record = s.call("GetSigninToken", "signin", None, {"GetSigninToken": "Success"}, region="us-east-1")
    record.update({"eventType": "AwsConsoleSignIn", "additionalEventData": {"MobileVersion": "No"}})
    return [record]


def _gpu_launch() -> list[Record]:
    return [Session("issue13-gpu-launched", LEAKED_USER, agent=BOTO, region="eu-west-1").call("RunInstances", "ec2", {
        "instancesSet": {"items": [{"imageId": "ami-0c1bc246476a5572b", "minCount": 1, "maxCount": 4}]},
        "instanceType": "p4d.24xlarge", "blockDeviceMapping": {}, "monitoring": {"enabled": False},
        "disableApiTermination": False, "subnetId": "subnet-0e540f0c7ffb48ae9"},
        {"reservationId": "r-0a1b2c3d4e5f60718", "ownerId": ACCOUNT, "instancesSet": {"items": [
            {"instanceId": f"i-0e{index:015x}", "instanceType": "p4d.24xlarge",
             "instanceState": {"code": 0, "name": "pending"}} for index in range(4)]}})]


def _user_data_read_everywhere() -> list[Record]:
    s = _s("issue13-user-data-read-many")
    return [s.call("DescribeInstanceAttribute", "ec2", {"instanceId": f"i-0c{index:015x}", "attribute": "userData"},
                   {"instanceId": f"i-0c{index:015x}", "userData": "<sensitiveDataRemoved>"}, read_only=True)
            for index in range(10)]


def _leaked_key_first_call() -> list[Record]:
    # The key's owner calls from the office every day (history); now it shows up from a VPS.
    return [Session("issue13-leaked-key-whoami", LEAKED_USER, agent=BOTO).call("GetCallerIdentity", "sts", None, {
        "userId": LEAKED_USER["principalId"], "account": ACCOUNT, "arn": LEAKED_USER["arn"]}, read_only=True)]


def _t(id: str, attack: str, summary: str, records: list[Record], signal: str, level: str = "medium",
       check: str | None = None) -> Technique:
    return Technique(f"issue13.{id}", attack, summary, tuple(records), (signal,), level, check)


BEHAVIOURS: list[Technique] = [
    _t("gpu-instances-launched", "T1496", "Four p4d.24xlarge instances launched with a user's key.",
       _gpu_launch(), "RunInstances"),   # medium by the rubric: GPU fleets are also ordinary ML work
    _t("user-data-read-across-instances", "T1552.005", "The user data of ten instances read, one after another.",
       _user_data_read_everywhere(), "DescribeInstanceAttribute", check="user-data-harvesting"),
    _t("leaked-key-first-call-from-new-address", "T1078.004",
       "A long-term key's first call from an address it never used: GetCallerIdentity (who am I).",
       _leaked_key_first_call(), "GetCallerIdentity", check="access-key-new-address"),
    _t("quarantine-policy-attached", "T1078.004", "AWS attached its compromised-key quarantine policy to a user.",
       [Session("issue13-quarantine", AWS_QUARANTINE, ip="iam.amazonaws.com", agent="iam.amazonaws.com").call(
           "AttachUserPolicy", "iam", {"userName": "svc-reporting",
                                       "policyArn": "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3"})],
       "AttachUserPolicy", "high"),
    _t("s3-versioning-suspended", "T1490", "Versioning of a bucket suspended (old versions stop protecting it).",
       _bucket_call("issue13-versioning-suspended", "PutBucketVersioning", _versioning("Suspended")),
       "PutBucketVersioning"),
    _t("s3-mfa-delete-off", "T1490", "MFA delete turned off on a versioned bucket.",
       _bucket_call("issue13-mfa-delete-off", "PutBucketVersioning", _versioning("Enabled", "Disabled")),
       "PutBucketVersioning"),
    _t("s3-default-encryption-removed", "T1486", "A bucket's default encryption configuration deleted.",
       _bucket_call("issue13-encryption-removed", "DeleteBucketEncryption", {"encryption": ""}), "DeleteBucketEncryption"),
    _t("s3-access-logging-removed", "T1562.008", "A bucket's server access logging switched off.",
       _bucket_call("issue13-bucket-logging-off", "PutBucketLogging",
                    {"logging": "", "BucketLoggingStatus": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}}),
       "PutBucketLogging"),
    _t("s3-reencrypted-with-foreign-kms-key", "T1486", "Objects copied onto themselves encrypted with another account's KMS key.",
       _foreign_key_copy(), "CopyObject", "high"),
    _t("rds-made-public", "T1530", "An RDS instance made publicly accessible.",
       _rds("issue13-rds-public", "ModifyDBInstance", {"dBInstanceIdentifier": "customers-prod",
                                                        "publiclyAccessible": True, "applyImmediately": True}),
       "ModifyDBInstance", "high"),
    _t("rds-snapshot-public", "T1537", "An RDS snapshot shared with everyone.",
       [_s("issue13-rds-snapshot-public").call("ModifyDBSnapshotAttribute", "rds", {
           "dBSnapshotIdentifier": "customers-2026-12-02", "attributeName": "restore", "valuesToAdd": ["all"]})],
       "ModifyDBSnapshotAttribute", "critical"),
    _t("rds-protection-off-and-deleted", "T1485", "Deletion protection turned off, then the instance deleted without snapshot.",
       _rds("issue13-rds-delete", "ModifyDBInstance", {"dBInstanceIdentifier": "customers-prod", "deletionProtection": False,
                                                       "applyImmediately": True})
       + _rds("issue13-rds-delete-2", "DeleteDBInstance", {"dBInstanceIdentifier": "customers-prod",
                                                           "skipFinalSnapshot": True, "deleteAutomatedBackups": True}),
       "DeleteDBInstance", "high"),
    _t("rds-exported-to-s3", "T1537", "An RDS snapshot exported to a bucket.",
       [_s("issue13-rds-export").call("StartExportTask", "rds", {
           "exportTaskIdentifier": "tmp-export", "sourceArn": f"arn:aws:rds:eu-west-1:{ACCOUNT}:snapshot:customers-2026-12-02",
           "s3BucketName": "acme-tmp-exports", "iamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/rds-export",
           "kmsKeyId": f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"})],
       "StartExportTask"),
    _t("macie-disabled", "T1562.001", "Macie disabled for the account.",
       [_s("issue13-macie").call("DisableMacie", "macie2", None)], "DisableMacie", "high"),
    _t("detective-graph-deleted", "T1562.001", "The Detective behaviour graph deleted.",
       [_s("issue13-detective").call("DeleteGraph", "detective", {
           "GraphArn": f"arn:aws:detective:eu-west-1:{ACCOUNT}:graph:0a1b2c3d4e5f"})], "DeleteGraph", "high"),
    _t("waf-disassociated", "T1562.001", "A web ACL detached from a load balancer.",
       [_s("issue13-waf").call("DisassociateWebACL", "wafv2", {
           "ResourceArn": f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:loadbalancer/app/web/0a1b2c3d4e5f6a7b"})],
       "DisassociateWebACL"),
    _t("securityhub-findings-suppressed", "T1562.001", "Security Hub findings marked SUPPRESSED in bulk.",
       [_s("issue13-securityhub-suppress").call("BatchUpdateFindings", "securityhub", {
           "FindingIdentifiers": [{"Id": f"arn:aws:securityhub:eu-west-1:{ACCOUNT}:finding/{index}",
                                   "ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/guardduty"} for index in range(5)],
           "Workflow": {"Status": "SUPPRESSED"}})], "BatchUpdateFindings"),
    _t("saml-provider-created", "T1484.002", "A new SAML identity provider trusted by the account.",
       [_s("issue13-saml").call("CreateSAMLProvider", "iam", {"name": "partner-idp",
                                                               "sAMLMetadataDocument": "<md:EntityDescriptor …>"})],
       "CreateSAMLProvider", "high"),
    _t("signin-token-from-leaked-key", "T1550.001", "A federation token turned into a console sign-in link.",
       _signin_token(), "GetSigninToken"),
    _t("kms-key-policy-public", "T1530", "A KMS key policy lets anyone use the key.",
       _public_policy_call("issue13-kms-public", "PutKeyPolicy", "kms", {
           "keyId": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "policyName": "default",
           "policy": _anyone("kms:*", "*"), "bypassPolicyLockoutSafetyCheck": False}), "PutKeyPolicy", "high"),
    _t("sqs-queue-public", "T1530", "An SQS queue policy lets anyone send and receive.",
       _public_policy_call("issue13-sqs-public", "SetQueueAttributes", "sqs", {
           "queueUrl": f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/orders",
           "attributes": {"Policy": _anyone("sqs:*", f"arn:aws:sqs:eu-west-1:{ACCOUNT}:orders")}}),
       "SetQueueAttributes", "high"),
    _t("secret-resource-policy-public", "T1530", "A Secrets Manager resource policy lets anyone read the secret.",
       _public_policy_call("issue13-secret-public", "PutResourcePolicy", "secretsmanager", {
           "secretId": "prod/payments/credentials",
           "resourcePolicy": _anyone("secretsmanager:GetSecretValue", "*"), "blockPublicPolicy": False}),
       "PutResourcePolicy", "high"),
    _t("ecr-repository-public", "T1530", "An ECR repository policy lets anyone pull.",
       _public_policy_call("issue13-ecr-public", "SetRepositoryPolicy", "ecr", {
           "repositoryName": "payments-api", "policyText": json.dumps({"Version": "2008-10-17", "Statement": [
               {"Sid": "pull", "Effect": "Allow", "Principal": "*",
                "Action": ["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]}]})}),
       "SetRepositoryPolicy", "high"),
]
