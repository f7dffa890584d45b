"""Detonations, part two (defense evasion, credential access, discovery, lateral movement,
exfiltration, impact): what each technique of tests/attack_techniques.py does, as CloudTrail
records it."""

from __future__ import annotations

from tests.attack_records import (ACCOUNT, ATTACKER_IP, ATTACKER_ROLE, BOTO, EXTERNAL_ACCOUNT, GO_SDK, INSTANCE_ROLE,
                                  LEAKED_USER, Record, Session, instances, items)

CLI_ON_INSTANCE = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.84-99.169.amzn2023.x86_64 exe/x86_64.amzn.2023 prompt/off"
TRAIL = f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/org-audit-trail"


def session(slug: str, identity=LEAKED_USER, **options) -> Session:
    return Session(slug, identity, **options)


def cloudtrail_call(slug: str, name: str) -> list[Record]:
    return [session(slug).call(name, "cloudtrail", {"name": TRAIL})]


def event_selectors_off() -> list[Record]:
    selectors = [{"readWriteType": "ReadOnly", "includeManagementEvents": False, "excludeManagementEventSources": [],
                  "dataResources": [{"type": "AWS::S3::Object", "values": []}]}]
    return [session("cloudtrail-event-selectors").call(
        "PutEventSelectors", "cloudtrail", {"trailName": "org-audit-trail", "eventSelectors": selectors},
        {"trailARN": TRAIL, "eventSelectors": selectors})]


def trail_bucket_lifecycle() -> list[Record]:
    bucket = f"aws-cloudtrail-logs-{ACCOUNT}-3f9a2c1b"
    rule = {"ID": "cleanup", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}
    return [session("cloudtrail-lifecycle-rule").call("PutBucketLifecycle", "s3", {
        "bucketName": bucket, "Host": f"{bucket}.s3.eu-west-1.amazonaws.com", "lifecycle": "",
        "LifecycleConfiguration": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "Rule": rule}},
        additional={"SignatureVersion": "SigV4", "AuthenticationMethod": "AuthHeader"},
        resources=[{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}])]


def dns_query_logs_deleted() -> list[Record]:
    s = session("dns-delete-logs", ATTACKER_ROLE, agent=BOTO)
    config = "rqlc-4c1e2f3a5b6d7e8f"
    return [s.call("DisassociateResolverQueryLogConfig", "route53resolver",
                   {"resolverQueryLogConfigId": config, "resourceId": "vpc-0c0ffee1234567890"},
                   {"resolverQueryLogConfigAssociation": {"id": "rqlca-1a2b3c4d5e6f7a8b", "status": "DELETING"}}),
            s.call("DeleteResolverQueryLogConfig", "route53resolver", {"resolverQueryLogConfigId": config},
                   {"resolverQueryLogConfig": {"id": config, "status": "DELETING", "name": "vpc-dns-queries"}})]


def leave_organization() -> list[Record]:
    # An attempt: the organization's service control policy denies it. The attempt is the signal.
    return [session("organizations-leave", ATTACKER_ROLE).call("LeaveOrganization", "organizations", None,
                                                               denied=True)]


def flow_logs_deleted() -> list[Record]:
    return [session("vpc-remove-flow-logs").call(
        "DeleteFlowLogs", "ec2", {"DeleteFlowLogsRequest": {"FlowLogId": {"tag": 1, "content": "fl-0a1b2c3d4e5f60718"}}},
        {"DeleteFlowLogsResponse": {"xmlns": "http://ec2.amazonaws.com/doc/2016-11-15/", "unsuccessful": "",
                                    "requestId": "7f3c0e8e-1d2b-4a5c-9e8f-0a1b2c3d4e5f"}})]


def password_data_denied() -> list[Record]:
    s = session("ec2-get-password-data", ATTACKER_ROLE, agent=GO_SDK)
    return [s.call("GetPasswordData", "ec2", {"instanceId": instance}, denied=True, read_only=True)
            for instance in instances(12, seed=1)]


def user_data_reads_denied() -> list[Record]:
    s = session("ec2-download-user-data", ATTACKER_ROLE, agent=GO_SDK)
    return [s.call("DescribeInstanceAttribute", "ec2", {"instanceId": instance, "attribute": "userData"}, denied=True,
                   read_only=True) for instance in instances(15, seed=2)]


def stolen_instance_credentials() -> list[Record]:
    # The instance's own session (named after it, with ec2RoleDelivery) called from outside AWS.
    s = session("ec2-steal-instance-credentials", INSTANCE_ROLE, agent=BOTO, ip=ATTACKER_IP)
    return [s.call("GetCallerIdentity", "sts", None, None, read_only=True),
            s.call("DescribeInstances", "ec2", {"instancesSet": {}, "filterSet": {}}, None, read_only=True)]


def secrets_read_one_by_one() -> list[Record]:
    s = session("secretsmanager-retrieve-secrets", ATTACKER_ROLE, agent=BOTO)
    names = [f"prod/{service}/credentials" for service in ("billing", "crm", "payments", "search", "mailer", "reports",
                                                           "ledger", "auth", "sftp", "warehouse", "cdn", "erp")]
    return [s.call("ListSecrets", "secretsmanager", {"maxResults": 100}, None, read_only=True)] + [
        s.call("GetSecretValue", "secretsmanager", {"secretId": name}, None, read_only=True) for name in names]


def secrets_read_in_batches() -> list[Record]:
    # BatchGetSecretValue is logged once per call, and Secrets Manager also logs a GetSecretValue per secret.
    s = session("secretsmanager-batch-retrieve-secrets", ATTACKER_ROLE, agent=BOTO)
    records = []
    for page in range(2):
        records.append(s.call("BatchGetSecretValue", "secretsmanager",
                              {"filters": [{"key": "name", "values": ["prod/"]}], "maxResults": 20}, None,
                              read_only=True))
        records += [s.call("GetSecretValue", "secretsmanager", {"secretId": f"prod/batch-{page}-{index}/db"}, None,
                           read_only=True) for index in range(6)]
    return records


def securestring_parameters() -> list[Record]:
    s = session("ssm-retrieve-securestring-parameters", ATTACKER_ROLE, agent=BOTO)
    names = [f"/prod/app/credential-{index:02d}" for index in range(15)]
    return [s.call("DescribeParameters", "ssm", {"maxResults": 50}, None, read_only=True)] + [
        s.call("GetParameters", "ssm", {"names": names[start:start + 5], "withDecryption": True}, None, read_only=True)
        for start in range(0, 15, 5)]


def discovery_from_instance() -> list[Record]:
    s = session("ec2-enumerate-from-instance", INSTANCE_ROLE, agent=CLI_ON_INSTANCE, ip="52.17.201.44")
    calls = [("GetCallerIdentity", "sts", None), ("ListRoles", "iam", {"maxItems": 100}),
             ("ListUsers", "iam", {"maxItems": 100}), ("ListBuckets", "s3", {"Host": "s3.eu-west-1.amazonaws.com"}),
             ("DescribeInstances", "ec2", {"instancesSet": {}, "filterSet": {}}),
             ("DescribeVpcs", "ec2", {"vpcSet": {}, "filterSet": {}}),
             ("DescribeSecurityGroups", "ec2", {"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}}),
             ("DescribeSnapshots", "ec2", {"snapshotSet": {}, "ownersSet": {"items": [{"owner": "self"}]}}),
             ("ListFunctions20150331", "lambda", None), ("DescribeDBInstances", "rds", None),
             ("ListSecrets", "secretsmanager", None), ("GetAccountAuthorizationDetails", "iam", None)]
    return [s.call(name, service, parameters, None, read_only=True) for name, service, parameters in calls]



def ses_enumeration() -> list[Record]:
    s = session("ses-enumerate")
    calls = ["GetAccountSendingEnabled", "GetSendQuota", "ListIdentities", "GetIdentityVerificationAttributes",
             "GetAccount"]
    return [s.call(name, "ses", {"identities": ["example.com"]} if name.startswith("GetIdentity") else None, None,
                   read_only=True) for name in calls]


def serial_console_key() -> list[Record]:
    s = session("ec2-serial-console-send-ssh-public-key", ATTACKER_ROLE, agent=BOTO)
    return [s.call("EnableSerialConsoleAccess", "ec2", {"EnableSerialConsoleAccessRequest": ""},
                   {"EnableSerialConsoleAccessResponse": {"serialConsoleAccessEnabled": True}}),
            s.call("SendSerialConsoleSSHPublicKey", "ec2-instance-connect",
                   {"instanceId": "i-0b7e1c2d3f4a5b6c7", "serialPort": 0,
                    "sSHPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKey attacker"},
                   {"requestId": "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b", "success": True})]


def instance_connect_keys() -> list[Record]:
    s = session("ec2-instance-connect", ATTACKER_ROLE, agent=BOTO)
    return [s.call("SendSSHPublicKey", "ec2-instance-connect",
                   {"instanceId": instance, "instanceOSUser": "ec2-user",
                    "sSHPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKey attacker"},
                   {"requestId": f"3c2b1a09-8f7e-4d6c-b5a4-93827160504{index}", "success": True})
            for index, instance in enumerate(instances(3, seed=7))]


def ssh_open_to_world() -> list[Record]:
    permission = {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "groups": {},
                  "ipRanges": items("cidrIp", ["0.0.0.0/0"]), "ipv6Ranges": {}, "prefixListIds": {}}
    return [session("ec2-security-group-open-port-22-ingress").call(
        "AuthorizeSecurityGroupIngress", "ec2", {"groupId": "sg-0a1b2c3d4e5f60718", "ipPermissions": {"items": [permission]}},
        {"requestId": "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9", "_return": True, "securityGroupRuleSet": {"items": [{
            "groupOwnerId": ACCOUNT, "groupId": "sg-0a1b2c3d4e5f60718", "securityGroupRuleId": "sgr-0a1b2c3d4e5f60718",
            "isEgress": False, "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0"}]}})]


def ami_shared(slug: str, grantee: dict[str, str]) -> list[Record]:
    return [session(slug, ATTACKER_ROLE).call(
        "ModifyImageAttribute", "ec2", {"imageId": "ami-0f1e2d3c4b5a69788", "attributeType": "launchPermission",
                                        "launchPermission": {"add": {"items": [grantee]}}},
        {"requestId": "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e", "_return": True})]


def snapshot_shared() -> list[Record]:
    return [session("ec2-share-ebs-snapshot", ATTACKER_ROLE).call(
        "ModifySnapshotAttribute", "ec2", {"snapshotId": "snap-0a1b2c3d4e5f60718", "attributeType": "CREATE_VOLUME_PERMISSION",
                                           "createVolumePermission": {"add": {"items": [{"userId": EXTERNAL_ACCOUNT}]}}},
        {"requestId": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", "_return": True})]


def rds_snapshot_shared() -> list[Record]:
    return [session("rds-share-snapshot", ATTACKER_ROLE).call(
        "ModifyDBSnapshotAttribute", "rds", {"dBSnapshotIdentifier": "customers-2026-12-02", "attributeName": "restore",
                                             "valuesToAdd": [EXTERNAL_ACCOUNT]},
        {"dBSnapshotIdentifier": "customers-2026-12-02", "dBSnapshotAttributes": [
            {"attributeName": "restore", "attributeValues": [EXTERNAL_ACCOUNT]}]})]


def bucket_policy_to_external_account() -> list[Record]:
    bucket = "acme-customer-exports"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{EXTERNAL_ACCOUNT}:root"},
        "Action": ["s3:GetObject", "s3:GetBucketLocation", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}
    return [session("s3-backdoor-bucket-policy", ATTACKER_ROLE).call(
        "PutBucketPolicy", "s3", {"bucketName": bucket, "Host": f"{bucket}.s3.eu-west-1.amazonaws.com", "policy": "",
                                  "bucketPolicy": policy},
        additional={"SignatureVersion": "SigV4", "AuthenticationMethod": "AuthHeader"},
        resources=[{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}])]


def bedrock_invocations() -> list[Record]:
    s = session("bedrock-invoke-model", LEAKED_USER, agent=BOTO)
    records = [s.call("ListFoundationModels", "bedrock", None, None, read_only=True)]
    for region in ("us-east-1", "us-west-2", "eu-central-1"):
        records.append(s.call("InvokeModel", "bedrock", {"modelId": "anthropic.claude-3-5-sonnet-20240620-v1:0"},
                              None, read_only=True, region=region))
    return records


def model_invocation_logging_deleted() -> list[Record]:
    return [session("bedrock-model-invocation-logging-delete", ATTACKER_ROLE, agent=BOTO).call(
        "DeleteModelInvocationLoggingConfiguration", "bedrock", None, None)]


BUCKET = "acme-finance-archive"


def batch_deletion() -> list[Record]:
    s = session("s3-ransomware-batch-deletion", ATTACKER_ROLE, agent=BOTO)
    records = [s.call("ListObjectVersions", "s3", {"bucketName": BUCKET, "versions": "", "Host": f"{BUCKET}.s3.eu-west-1.amazonaws.com"},
                      None, read_only=True, data_event=True)]
    for _ in range(4):
        records.append(s.call("DeleteObjects", "s3", {"bucketName": BUCKET, "delete": "",
                                                      "Host": f"{BUCKET}.s3.eu-west-1.amazonaws.com"},
                              None, data_event=True,
                              additional={"SignatureVersion": "SigV4", "AuthenticationMethod": "AuthHeader"},
                              resources=[{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{BUCKET}"}]))
    return records


def client_side_encryption() -> list[Record]:
    s = session("s3-ransomware-client-side-encryption", ATTACKER_ROLE, agent=BOTO)
    records = []
    for index in range(6):
        key = f"statements/2026/{index:04d}.pdf"
        records.append(s.s3_object("GetObject", BUCKET, key, read_only=True))
        records.append(s.s3_object("PutObject", BUCKET, key, sse="SSE_C", extra={
            "x-amz-server-side-encryption-customer-algorithm": "AES256"}))
    records.append(s.s3_object("PutObject", BUCKET, "FILES-ENCRYPTED.txt"))
    return records


def individual_deletion() -> list[Record]:
    s = session("s3-ransomware-individual-deletion", ATTACKER_ROLE, agent=BOTO)
    return [s.s3_object("DeleteObject", BUCKET, f"statements/2026/{index:04d}.pdf", extra={"versionId": f"v{index}"})
            for index in range(25)]


def guardrail_deleted() -> list[Record]:
    # The API is DeleteGuardrail; Stratus's page calls the event DeleteModelGuardrail. The pack reads both.
    return [session("bedrock-guardrail-delete", ATTACKER_ROLE, agent=GO_SDK).call(
        "DeleteGuardrail", "bedrock", {"guardrailIdentifier": "k3v9q2m7x1ab"}, None)]


def ami_deregistered() -> list[Record]:
    return [session("ec2-deregister-ami", ATTACKER_ROLE, agent=GO_SDK).call(
        "DeregisterImage", "ec2", {"imageId": "ami-0d4c3b2a19f8e7d6c", "deleteAssociatedSnapshots": False},
        {"requestId": "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "_return": True})]


def key_pair_after_looking_for_it() -> list[Record]:
    s = session("ec2-create-suspicious-keypair", LEAKED_USER, agent=GO_SDK)
    return [s.call("DescribeInstances", "ec2", {"instancesSet": {}, "filterSet": {"items": [
                {"name": "key-name", "valueSet": items("value", ["ops-tmp"])}]}}, None, read_only=True),
            s.call("CreateKeyPair", "ec2", {"keyName": "ops-tmp", "keyType": "rsa", "keyFormat": "pem"},
                   {"keyName": "ops-tmp", "keyFingerprint": "1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f",
                    "keyPairId": "key-0a1b2c3d4e5f60718", "keyMaterial": "<sensitiveDataRemoved>"})]
