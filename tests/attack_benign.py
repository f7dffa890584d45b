"""Ordinary activity that looks like the attack techniques of tests/attack_techniques.py, with the
most an expert would say about it (`info` or `low`): the deploy pipeline updating Lambda code, a
person reading one secret, a user changing their own password or creating their own first key,
a bucket policy whose `*` is held by an organization condition, a refused attempt. Also
HISTORY: a day of ordinary calls before the attacks, the baseline `new_value` checks compare with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tests.attack_records import (ACCOUNT, ALICE, BOB, BOTO, DEPLOY, INSTANCE_ROLE, LEAKED_USER, OFFICE_IP, START, Record,
                                  Session, assumed_role, items, policy_text)


@dataclass(frozen=True)
class Benign:
    name: str
    summary: str
    records: tuple[Record, ...]
    most: str = "low"  # the highest level an expert accepts on any of its events


def _s(slug: str, identity=ALICE, **options) -> Session:
    return Session(slug, identity, **{"ip": OFFICE_IP, **options})


def _deploy_updates_lambda() -> list[Record]:
    s = _s("benign-deploy-lambda", DEPLOY, ip="20.57.41.133", agent=BOTO)
    arn = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:invoice-export"
    return [s.call("UpdateFunctionCode20150331v2", "lambda", {"functionName": "invoice-export", "publish": True},
                   {"functionName": "invoice-export", "functionArn": arn, "runtime": "python3.12", "codeSize": 2210}),
            s.call("UpdateFunctionConfiguration20150331v2", "lambda",
                   {"functionName": "invoice-export", "environment": {}, "layers": [
                       f"arn:aws:lambda:eu-west-1:{ACCOUNT}:layer:shared-libs:12"]},
                   {"functionName": "invoice-export", "functionArn": arn, "runtime": "python3.12"})]


def _one_secret() -> list[Record]:
    return [_s("benign-one-secret").call("GetSecretValue", "secretsmanager", {"secretId": "dev/app/db"}, None,
                                         read_only=True)]


def _one_parameter() -> list[Record]:
    s = _s("benign-one-parameter", INSTANCE_ROLE, ip="10.0.12.34", agent=BOTO)
    return [s.call("GetParameter", "ssm", {"name": "/prod/app/db-password", "withDecryption": True}, None,
                   read_only=True, vpc_endpoint="vpce-0a1b2c3d4e5f60718")]


def _describe_instances() -> list[Record]:
    return [_s("benign-describe-instances").call("DescribeInstances", "ec2", {"instancesSet": {}, "filterSet": {}},
                                                 None, read_only=True)]


def _own_password() -> list[Record]:
    s = Session("benign-own-password", BOB, ip=OFFICE_IP)
    return [s.call("ChangePassword", "iam", None, None),
            s.call("UpdateLoginProfile", "iam", {"userName": "bob", "passwordResetRequired": False})]


def _own_first_key_and_mfa() -> list[Record]:
    s = Session("benign-own-key-mfa", BOB, ip=OFFICE_IP)
    serial = f"arn:aws:iam::{ACCOUNT}:mfa/bob-phone"
    return [s.call("CreateAccessKey", "iam", None, {"accessKey": {
                "userName": "bob", "accessKeyId": "AKIAQ3EGQKJ5BOBKEY02", "status": "Active",
                "createDate": "Dec 3, 2026, 3:00:03 PM"}}),
            s.call("CreateVirtualMFADevice", "iam", {"virtualMFADeviceName": "bob-phone", "path": "/"},
                   {"virtualMFADevice": {"serialNumber": serial}}),
            s.call("EnableMFADevice", "iam", {"userName": "bob", "serialNumber": serial})]


def _org_bucket_policy() -> list[Record]:
    bucket = "acme-shared-artifacts"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "OrgRead", "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"],
        "Resource": f"arn:aws:s3:::{bucket}/*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}
    return [_s("benign-org-bucket-policy").call(
        "PutBucketPolicy", "s3", {"bucketName": bucket, "Host": f"{bucket}.s3.eu-west-1.amazonaws.com", "policy": "",
                                  "bucketPolicy": policy},
        additional={"SignatureVersion": "SigV4", "AuthenticationMethod": "AuthHeader"},
        resources=[{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}])]


def _https_open_denied() -> list[Record]:
    permission = {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "groups": {},
                  "ipRanges": items("cidrIp", ["0.0.0.0/0"]), "ipv6Ranges": {}, "prefixListIds": {}}
    return [Session("benign-https-open-denied", BOB, ip=OFFICE_IP).call(
        "AuthorizeSecurityGroupIngress", "ec2", {"groupId": "sg-0f9e8d7c6b5a49382", "ipPermissions": {"items": [permission]}},
        denied=True)]


def _lambda_permission_for_s3() -> list[Record]:
    statement = ('{"Sid":"s3-invoke","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},'
                 '"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:eu-west-1:' + ACCOUNT
                 + ':function:thumbnailer","Condition":{"StringEquals":{"AWS:SourceAccount":"' + ACCOUNT + '"}}}')
    return [_s("benign-lambda-permission-s3", DEPLOY, ip="20.57.41.133", agent=BOTO).call(
        "AddPermission20150331v2", "lambda", {"functionName": "thumbnailer", "statementId": "s3-invoke",
                                              "action": "lambda:InvokeFunction", "principal": "s3.amazonaws.com",
                                              "sourceAccount": ACCOUNT}, {"statement": statement})]


def _queue_policy_for_topic() -> list[Record]:
    queue = f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/orders"
    document = policy_text([{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
                             "Resource": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:orders",
                             "Condition": {"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:orders"}}}])
    return [_s("benign-queue-policy").call("SetQueueAttributes", "sqs",
                                           {"queueUrl": queue, "attributes": {"Policy": document}})]


def _patch_command() -> list[Record]:
    target = ["i-0c1d2e3f4a5b6c7d8"]
    return [_s("benign-patch-command").call(
        "SendCommand", "ssm", {"instanceIds": target, "documentName": "AWS-RunPatchBaseline",
                               "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS", "interactive": False},
        {"command": {"commandId": "5f4e3d2c-1b0a-4f9e-8d7c-6b5a49382716", "documentName": "AWS-RunPatchBaseline",
                     "instanceIds": target, "status": "Pending", "targetCount": 1}})]


def _console_login_with_mfa() -> list[Record]:
    return [Session("benign-console-mfa", BOB, ip=OFFICE_IP).console_login(mfa=True)]


def _small_instance_launch() -> list[Record]:
    return [_s("benign-run-instances", DEPLOY, ip="20.57.41.133", agent=BOTO).call("RunInstances", "ec2", {
        "instancesSet": {"items": [{"imageId": "ami-0c1bc246476a5572b", "minCount": 1, "maxCount": 1}]},
        "instanceType": "t3.small", "blockDeviceMapping": {}, "monitoring": {"enabled": False},
        "disableApiTermination": False, "subnetId": "subnet-0e540f0c7ffb48ae9"},
        {"instancesSet": {"items": [{"instanceId": "i-0d1e2f3a4b5c6d7e8", "instanceType": "t3.small"}]}})]


def _instance_type_changed() -> list[Record]:
    return [_s("benign-instance-type").call("ModifyInstanceAttribute", "ec2", {
        "instanceId": "i-0c1d2e3f4a5b6c7d8", "instanceType": {"value": "m6i.large"}},
        {"requestId": "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d", "_return": True})]


def _one_object_deleted() -> list[Record]:
    s = _s("benign-one-delete", INSTANCE_ROLE, ip="10.0.12.34", agent=BOTO)
    return [s.s3_object("DeleteObject", "acme-tmp-uploads", "incoming/2026-12-03/upload-8812.csv")]


def _app_invokes_model() -> list[Record]:
    s = _s("benign-bedrock-invoke", INSTANCE_ROLE, ip="10.0.12.34", agent=BOTO)
    return [s.call("InvokeModel", "bedrock", {"modelId": "anthropic.claude-3-haiku-20240307-v1:0"}, None,
                   read_only=True, vpc_endpoint="vpce-0b1c2d3e4f5a60718")]


def _reporting_job() -> list[Record]:
    s = Session("benign-reporting-job", LEAKED_USER, ip=OFFICE_IP, agent=BOTO)
    return [s.call("GetCallerIdentity", "sts", None, None, read_only=True),
            s.s3_object("GetObject", "acme-reports", "daily/2026-12-02.csv", read_only=True)]


def _caller_identity() -> list[Record]:
    return [_s("benign-caller-identity").call("GetCallerIdentity", "sts", None, None, read_only=True)]



def _deploy_prunes_site() -> list[Record]:
    # `aws s3 sync --delete` from the pipeline: one ListObjectsV2, the uploads, one DeleteObjects for what went away.
    s = _s("benign-deploy-prunes-site", DEPLOY, ip="20.57.41.133", agent=BOTO)
    bucket, host = "acme-www-site", "acme-www-site.s3.eu-west-1.amazonaws.com"
    resources = [{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}]
    return [s.call("ListObjects", "s3", {"bucketName": bucket, "list-type": "2", "prefix": "", "Host": host}, None,
                   read_only=True, data_event=True, resources=resources),
            s.s3_object("PutObject", bucket, "index.html"),
            s.call("DeleteObjects", "s3", {"bucketName": bucket, "delete": "", "Host": host}, None, data_event=True,
                   additional={"SignatureVersion": "SigV4", "AuthenticationMethod": "AuthHeader"}, resources=resources)]


def _app_cleans_processed_uploads() -> list[Record]:
    s = _s("benign-app-cleans-uploads", INSTANCE_ROLE, ip="10.0.12.34", agent=BOTO)
    return [s.s3_object("DeleteObject", "acme-tmp-uploads", f"incoming/2026-12-03/upload-{number}.csv")
            for number in range(8801, 8809)]


def _app_reads_its_config() -> list[Record]:
    # An instance at boot: who am I, my tags, my parameters, my secret, my bucket: the same few reads.
    s = _s("benign-app-boot-reads", INSTANCE_ROLE, ip="54.216.20.7", agent=BOTO)
    return [s.call("GetCallerIdentity", "sts", None, None, read_only=True),
            s.call("DescribeTags", "ec2", {"filterSet": items("name", ["resource-id"])}, None, read_only=True),
            s.call("GetParametersByPath", "ssm", {"path": "/prod/app/", "recursive": True}, None, read_only=True),
            s.call("GetSecretValue", "secretsmanager", {"secretId": "prod/app/db"}, None, read_only=True),
            s.call("GetBucketLocation", "s3", {"bucketName": "acme-app-assets", "location": ""}, None,
                   read_only=True)]


def _engineer_runs_script_on_one_instance() -> list[Record]:
    target = ["i-0c1d2e3f4a5b6c7d8"]
    return [_s("benign-shell-one-instance").call(
        "SendCommand", "ssm", {"instanceIds": target, "documentName": "AWS-RunShellScript",
                               "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS", "interactive": False},
        {"command": {"commandId": "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d", "documentName": "AWS-RunShellScript",
                     "instanceIds": target, "status": "Pending", "targetCount": 1}})]

def _onboarding_group() -> list[Record]:
    # An administrator puts a new analyst in the team's (non-admin) group.
    return [_s("benign-onboarding-group").call("AddUserToGroup", "iam", {"groupName": "data-analysts", "userName": "dana"})]


def _deploy_replaces_event_rule() -> list[Record]:
    # A stack update replaces a scheduled rule: the old one goes, the new one comes.
    s = _s("benign-deploy-event-rule", DEPLOY, ip="20.57.41.133", agent=BOTO)
    return [s.call("DeleteRule", "events", {"name": "nightly-report-v1", "eventBusName": "default"}),
            s.call("PutRule", "events", {"name": "nightly-report-v2", "scheduleExpression": "cron(0 2 * * ? *)",
                                         "state": "ENABLED"},
                   {"ruleArn": f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/nightly-report-v2"})]


def _password_policy_tightened() -> list[Record]:
    return [_s("benign-password-policy").call("UpdateAccountPasswordPolicy", "iam", {
        "minimumPasswordLength": 16, "requireSymbols": True, "requireNumbers": True, "passwordReusePrevention": 24})]


def _replication_within_account() -> list[Record]:
    # Cross-region replication to a bucket of the same account (the request names its own account).
    bucket = "acme-invoices"
    rule = {"ID": "dr-copy", "Status": "Enabled", "Priority": 1, "Filter": {},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": "arn:aws:s3:::acme-invoices-dr", "Account": ACCOUNT}}
    return [_s("benign-replication-same-account").call("PutBucketReplication", "s3", {
        "bucketName": bucket, "replication": "", "Host": f"{bucket}.s3.eu-west-1.amazonaws.com",
        "ReplicationConfiguration": {"Role": f"arn:aws:iam::{ACCOUNT}:role/s3-replication", "Rule": rule}})]


def _identity_center_plants_its_provider() -> list[Record]:
    # IAM Identity Center, through its service-linked role, creates the SAML provider of an account it manages.
    identity = {**assumed_role("AWSServiceRoleForSSO", "AWS-SSO", "ASIAQ3EGQKJ5SSOSLR01",
                               path="aws-service-role/sso.amazonaws.com/"), "invokedBy": "sso.amazonaws.com"}
    s = Session("benign-identity-center-provider", identity, ip="sso.amazonaws.com", agent="sso.amazonaws.com")
    name = "AWSSSO_7c6d5e4f3a2b1c0d_DO_NOT_DELETE"
    return [s.call("CreateSAMLProvider", "iam", {"name": name, "sAMLMetadataDocument": "<EntityDescriptor/>"},
                   {"sAMLProviderArn": f"arn:aws:iam::{ACCOUNT}:saml-provider/{name}"})]
def _trail_data_events_added() -> list[Record]:
    selectors = [{"readWriteType": "All", "includeManagementEvents": True, "excludeManagementEventSources": [],
                  "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3:::payroll-exports/"]}]}]
    return [_s("benign-trail-data-events").call("PutEventSelectors", "cloudtrail",
                                                {"trailName": "org-audit-trail", "eventSelectors": selectors},
                                                {"eventSelectors": selectors})]


def _portal_opens_console() -> list[Record]:
    s = _s("benign-portal-console", agent="Go-http-client/2.0", region="us-east-1")
    return [s.call("GetSigninToken", "signin", None, {"GetSigninToken": "Success"})]


def _user_locked_out() -> list[Record]:
    deny_all = policy_text([{"Sid": "Offboarded", "Effect": "Deny", "Action": ["*"], "Resource": ["*"]}])
    return [_s("benign-user-locked-out").call("PutUserPolicy", "iam", {
        "userName": "contractor-7", "policyName": "offboarded", "policyDocument": deny_all})]


def _guardrail_tuned() -> list[Record]:
    s = _s("benign-guardrail-tuned")
    return [s.call("UpdateGuardrail", "bedrock", {"guardrailIdentifier": "gr-7k2m9q4x1w3e", "name": "HIDDEN_DUE_TO_SECURITY_REASONS"},
                   {"guardrailId": "gr-7k2m9q4x1w3e", "version": "DRAFT"})]


def _database_restored_private() -> list[Record]:
    # A DBA restores last night's snapshot into the private subnet group to check a migration.
    return [_s("benign-database-restored-private").call("RestoreDBInstanceFromDBSnapshot", "rds", {
        "dBInstanceIdentifier": "orders-check", "dBSnapshotIdentifier": "rds:orders-2026-12-04", "dBSubnetGroupName": "private-db"},
        {"dBInstanceIdentifier": "orders-check", "dBInstanceStatus": "creating", "publiclyAccessible": False})]

def _imdsv2_enforced() -> list[Record]:
    return [_s("benign-imdsv2-enforced").call("ModifyInstanceMetadataOptions", "ec2", {
        "ModifyInstanceMetadataOptionsRequest": {"InstanceId": "i-0c1d2e3f4a5b6c7d8", "HttpTokens": "required"}}, {
        "ModifyInstanceMetadataOptionsResponse": {"instanceId": "i-0c1d2e3f4a5b6c7d8",
                                                  "instanceMetadataOptions": {"state": "pending", "httpTokens": "required"}}})]


def _backup_vault_guarded() -> list[Record]:
    deny = policy_text([{"Effect": "Deny", "Principal": "*", "Resource": "*",
                         "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"]}])
    s = _s("benign-backup-vault-guarded")
    return [s.call("PutBackupVaultAccessPolicy", "backup", {"backupVaultName": "prod-vault", "policy": deny}),
            s.call("PutBackupVaultLockConfiguration", "backup", {"backupVaultName": "prod-vault", "minRetentionDays": 35})]


def _log_retention_set() -> list[Record]:
    return [_s("benign-log-retention").call("PutRetentionPolicy", "logs", {"logGroupName": "/aws/lambda/invoice-export",
                                                                         "retentionInDays": 30})]


BENIGN: list[Benign] = [
    Benign("deploy-role-updates-lambda", "The GitHub deploy role publishes new code and a layer of this account.",
           tuple(_deploy_updates_lambda())),
    Benign("person-reads-one-secret", "A developer reads one secret.", tuple(_one_secret())),
    Benign("app-reads-one-parameter", "An instance reads its database password, decrypted, via a VPC endpoint.",
           tuple(_one_parameter())),
    Benign("describe-instances", "An administrator lists instances.", tuple(_describe_instances()), "info"),
    Benign("user-changes-own-password", "Bob changes his own console password.", tuple(_own_password())),
    Benign("user-creates-own-key-and-mfa", "Bob creates his first access key and enables his own MFA device.",
           tuple(_own_first_key_and_mfa())),
    Benign("org-only-bucket-policy", 'A bucket readable by "*" only within the organization (aws:PrincipalOrgID).',
           tuple(_org_bucket_policy())),
    Benign("https-open-refused", "Bob tries to open 443 to the world and is refused: an attempt, not an exposure.",
           tuple(_https_open_denied())),
    Benign("lambda-permission-for-s3", "S3 of this account may invoke a function (SourceAccount condition).",
           tuple(_lambda_permission_for_s3())),
    Benign("queue-policy-for-topic", "An SNS topic of this account may send to a queue (SourceArn condition).",
           tuple(_queue_policy_for_topic())),
    Benign("patch-baseline-command", "An administrator runs the patch baseline on one instance.", tuple(_patch_command())),
    Benign("console-login-with-mfa", "Bob signs in to the console with MFA.", tuple(_console_login_with_mfa()), "info"),
    Benign("small-instance-launched", "The deploy role launches one t3.small.", tuple(_small_instance_launch())),
    Benign("instance-type-changed", "An administrator resizes an instance (no user data).", tuple(_instance_type_changed())),
    Benign("app-deletes-one-object", "An application deletes one uploaded file.", tuple(_one_object_deleted())),
    Benign("app-invokes-model", "An application invokes a model via a VPC endpoint, as it does every day.",
           tuple(_app_invokes_model())),
    Benign("reporting-job", "The reporting service's key, from the office, as every day.", tuple(_reporting_job())),
    Benign("caller-identity", "An administrator checks which identity the CLI uses.", tuple(_caller_identity()), "info"),
    Benign("deploy-prunes-site", "The deploy role's `aws s3 sync --delete`: one DeleteObjects for the removed files.",
           tuple(_deploy_prunes_site())),
    Benign("app-cleans-processed-uploads", "An application deletes the eight uploads it processed.",
           tuple(_app_cleans_processed_uploads())),
    Benign("app-boot-reads", "An instance reads its identity, tags, parameters, secret and bucket through its NAT gateway.",
           tuple(_app_reads_its_config())),
    Benign("shell-command-one-instance", "An engineer runs a shell script on one instance.",
           tuple(_engineer_runs_script_on_one_instance())),
    Benign("user-added-to-team-group", "An administrator adds a new analyst to the team's group.",
           tuple(_onboarding_group())),
    Benign("deploy-replaces-event-rule", "A stack update deletes a scheduled EventBridge rule and creates its successor.",
           tuple(_deploy_replaces_event_rule())),
    Benign("password-policy-tightened", "An administrator makes the account password policy stricter.",
           tuple(_password_policy_tightened()), "info"),
    Benign("replication-within-account", "A bucket replicates to a disaster-recovery bucket of the same account.",
           tuple(_replication_within_account()), "info"),
    Benign("database-restored-private", "A DBA restores a snapshot into the private subnet group; the response says it is not public.",
           tuple(_database_restored_private()), "low"),
    Benign("identity-center-plants-its-provider", "IAM Identity Center creates its own SAML provider in an account it manages.",
           tuple(_identity_center_plants_its_provider()), "info"),
    Benign("trail-data-events-added", "An administrator adds S3 data events to the trail; every management event stays.",
           tuple(_trail_data_events_added()), "info"),
    Benign("portal-opens-console", "Alice opens the console from the AWS access portal (her Identity Center session).",
           tuple(_portal_opens_console()), "info"),
    Benign("guardrail-tuned", "The AI team adds a denied topic to the support bot's guardrail.", tuple(_guardrail_tuned())),
    Benign("user-locked-out", "An administrator locks an offboarded contractor out with a Deny-everything policy.",
           tuple(_user_locked_out()), "info"),
    Benign("imdsv2-enforced", "An engineer makes an instance's metadata service require session tokens (IMDSv2).",
           tuple(_imdsv2_enforced()), "info"),
    Benign("backup-vault-guarded", "An administrator puts a deny-delete policy and a Vault Lock on the production backup vault.",
           tuple(_backup_vault_guarded()), "info"),
    Benign("log-retention-set", "A team sets a month's retention on a Lambda function's log group to save cost.",
           tuple(_log_retention_set()), "info"),
]


def history() -> list[Record]:
    """The day before: the ordinary calls of the principals above, so that `new_value` checks
    (region-first-use, a first Bedrock call…) have a baseline and see only the attacks as new."""
    day_before = START - timedelta(days=1)
    records = []
    for number, benign in enumerate(BENIGN):
        for record in benign.records:
            records.append({**record, "eventID": f"history-{number:02d}-{record['eventID']}",
                            "eventTime": (day_before + timedelta(minutes=number)).isoformat() + "Z"})
    return records
