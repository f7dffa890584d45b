"""CloudTrail records for the pack's behaviour checks (secret harvesting, SSM across instances,
user data reads, a long-term key from a new address): what each query must select, and the
look-alikes it must not. Shapes follow the AWS documentation's CloudTrail examples for Secrets
Manager, Systems Manager, EC2 and STS: SendCommand's parameters are hidden, StartSession names
one `target`, BatchGetSecretValue lists `secretIdList`, GetParameters lists `names`.

`behaviour_record` builds one more of a kind with another id, actor, resource or time, for the
window scenarios of tests/test_check_pack_windows.py.
"""

from __future__ import annotations

from typing import Any

from tests.check_pack_events import ACCOUNT, ALICE_SSO, DOE1, Record, api_call

REGION = "eu-west-1"
MALLORY = {"type": "IAMUser", "principalId": "AIDAQ3EGQKJ5MALLORYX", "arn": f"arn:aws:iam::{ACCOUNT}:user/mallory",
           "accountId": ACCOUNT, "accessKeyId": "AKIAQ3EGQKJ5MALLORYX", "userName": "mallory"}


def role_session(role: str, session: str) -> dict[str, Any]:
    """An assumed-role identity (an instance profile, a task role, a pipeline)."""
    return {"type": "AssumedRole", "principalId": f"AROAQ3EGQKJ5{role.upper()[:8]}:{session}",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}", "accountId": ACCOUNT,
            "accessKeyId": "ASIAQ3EGQKJ5" + session.upper().replace("-", "")[:8],
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": f"AROAQ3EGQKJ5{role.upper()[:8]}",
                                                 "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}", "accountId": ACCOUNT,
                                                 "userName": role},
                               "attributes": {"creationDate": "2025-03-11T15:58:01Z", "mfaAuthenticated": "false"}}}


def secret_arn(name: str) -> str:
    return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-a1B2c3"


def get_secret_value(event_id: str, identity: dict[str, Any], name: str, *, denied: bool = False) -> Record:
    error = ("AccessDeniedException", f"User: {identity['arn']} is not authorized to perform: "
             f"secretsmanager:GetSecretValue on resource: {name}") if denied else None
    return api_call(event_id, "GetSecretValue", "secretsmanager", identity, {"secretId": secret_arn(name)},
                    error=error, read_only=True)


def batch_get_secret_value(event_id: str, identity: dict[str, Any], names: list[str]) -> Record:
    return api_call(event_id, "BatchGetSecretValue", "secretsmanager", identity,
                    {"secretIdList": [secret_arn(name) for name in names]}, read_only=True)


def get_parameter(event_id: str, identity: dict[str, Any], name: str, decrypt: bool | None = True) -> Record:
    parameters: dict[str, Any] = {"name": name}
    if decrypt is not None:
        parameters["withDecryption"] = decrypt
    return api_call(event_id, "GetParameter", "ssm", identity, parameters, read_only=True)


def get_parameters(event_id: str, identity: dict[str, Any], names: list[str], decrypt: bool = True) -> Record:
    return api_call(event_id, "GetParameters", "ssm", identity, {"names": names, "withDecryption": decrypt},
                    read_only=True)


def send_command(event_id: str, identity: dict[str, Any], instances: list[str], *, denied: bool = False) -> Record:
    parameters = {"instanceIds": instances, "documentName": "AWS-RunShellScript",
                  "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS", "interactive": False}
    error = ("AccessDeniedException", f"User: {identity['arn']} is not authorized to perform: ssm:SendCommand "
             "on resource: arn:aws:ec2:eu-west-1:111122223333:instance/*") if denied else None
    response = {"command": {"commandId": f"{event_id}-cmd", "documentName": "AWS-RunShellScript",
                            "instanceIds": instances, "status": "Pending"}}
    return api_call(event_id, "SendCommand", "ssm", identity, parameters, response=response, error=error)


def start_session(event_id: str, identity: dict[str, Any], instance: str) -> Record:
    return api_call(event_id, "StartSession", "ssm", identity, {"target": instance},
                    response={"sessionId": f"{identity.get('userName', 'session')}-0a1b2c3d4e5f67890",
                              "tokenValue": "Value hidden due to security reasons.",
                              "streamUrl": f"wss://ssmmessages.{REGION}.amazonaws.com/v1/data-channel/x"})


def describe_instance_attribute(event_id: str, identity: dict[str, Any], instance: str, attribute: str = "userData",
                                *, denied: bool = False) -> Record:
    error = ("Client.UnauthorizedOperation", "You are not authorized to perform this operation. User: "
             f"{identity['arn']} is not authorized to perform: ec2:DescribeInstanceAttribute") if denied else None
    return api_call(event_id, "DescribeInstanceAttribute", "ec2", identity,
                    {"instanceId": instance, "attribute": attribute}, error=error, read_only=True)


def get_caller_identity(event_id: str, identity: dict[str, Any], ip: str) -> Record:
    response = {"userId": identity.get("principalId"), "account": ACCOUNT, "arn": identity.get("arn")}
    record = api_call(event_id, "GetCallerIdentity", "sts", identity, None, response=response, read_only=True,
                      ip=ip, region="us-east-1")
    return record



def instance_session(role: str, instance: str, delivery: str = "2.0") -> dict[str, Any]:
    """An instance profile's session: named after the instance, with ec2RoleDelivery (the IMDS version)."""
    identity = role_session(role, instance)
    identity["sessionContext"]["ec2RoleDelivery"] = delivery
    return identity


def shell_command(event_id: str, identity: dict[str, Any], instances: list[str] | None = None, *,
                  targets: list[dict[str, Any]] | None = None, document: str = "AWS-RunShellScript",
                  denied: bool = False) -> Record:
    """SendCommand by instance ids (`instanceIds`) or by `targets` (Key=InstanceIds or a tag)."""
    record = send_command(event_id, identity, instances or [], denied=denied)
    parameters = {key: value for key, value in record["requestParameters"].items() if key != "instanceIds"}
    parameters = {"instanceIds": instances, **parameters} if instances else {"targets": targets, **parameters}
    parameters["documentName"] = document
    record["requestParameters"] = parameters
    if record["responseElements"]:
        record["responseElements"]["command"].update({"documentName": document, "instanceIds": instances or [],
                                                      "targets": targets or []})
    return record


def s3_call(event_id: str, name: str, identity: dict[str, Any], bucket: str, key: str | None = None, *,
            version: str | None = None, denied: bool = False, read_only: bool = False) -> Record:
    """An S3 data event: DeleteObject names its key (and versionId); DeleteObjects logs `delete: ""`
    and no key at all, one event per request of up to 1,000 objects."""
    parameters: dict[str, Any] = {"bucketName": bucket, "Host": f"{bucket}.s3.{REGION}.amazonaws.com"}
    resources = [{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}]
    if key is not None:
        parameters["key"] = key
        resources.insert(0, {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"})
    if version is not None:
        parameters["versionId"] = version
    if name == "DeleteObjects":
        parameters["delete"] = ""
    error = ("AccessDenied", "Access Denied") if denied else None
    return api_call(event_id, name, "s3", identity, parameters, error=error, read_only=read_only, data_event=True,
                    additional={"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
                                "bytesTransferredIn": 0, "AuthenticationMethod": "AuthHeader",
                                "x-amz-id-2": "Zm9vYmFyYmF6", "bytesTransferredOut": 0}, resources=resources)

DEPLOY = role_session("github-actions-deploy", "GitHubActions")
APP = role_session("orders-api", "i-0a1b2c3d4e5f60001")

# secret-harvesting
GET_SECRET_VALUE = get_secret_value("secret-read", MALLORY, "prod/db-password")
GET_SECRET_VALUE_DENIED = get_secret_value("secret-read-denied", MALLORY, "prod/stripe-api-key", denied=True)
BATCH_GET_SECRET_VALUE = batch_get_secret_value("secret-batch-read", MALLORY, ["prod/a", "prod/b"])
GET_PARAMETER_DECRYPTED = get_parameter("parameter-decrypted", MALLORY, "/prod/db/password")
GET_PARAMETERS_DECRYPTED = get_parameters("parameters-decrypted", MALLORY, ["/prod/a", "/prod/b"])
GET_PARAMETER_PLAIN = get_parameter("parameter-plain", MALLORY, "/prod/ami-id", decrypt=False)
GET_PARAMETER_NO_FLAG = get_parameter("parameter-no-flag", APP, "/prod/feature-flags", decrypt=None)
GET_PARAMETERS_PLAIN = get_parameters("parameters-plain", APP, ["/prod/a", "/prod/b"], decrypt=False)
DESCRIBE_SECRET = api_call("secret-describe", "DescribeSecret", "secretsmanager", MALLORY,
                           {"secretId": secret_arn("prod/db-password")}, read_only=True)
LIST_SECRETS = api_call("secrets-list", "ListSecrets", "secretsmanager", MALLORY, {"maxResults": 100}, read_only=True)
PUT_SECURE_PARAMETER = api_call("parameter-put", "PutParameter", "ssm", DEPLOY,
                                {"name": "/prod/db/password", "type": "SecureString", "overwrite": True,
                                 "value": "HIDDEN_DUE_TO_SECURITY_REASONS"}, response={"version": 4, "tier": "Standard"})

# ssm-commands-across-instances
SEND_COMMAND = send_command("ssm-send-command", DOE1, ["i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"])
START_SESSION = start_session("ssm-start-session", DOE1, "i-0a1b2c3d4e5f60003")
SEND_COMMAND_DENIED = send_command("ssm-send-command-denied", MALLORY, ["i-0a1b2c3d4e5f60001"], denied=True)
GET_COMMAND_INVOCATION = api_call("ssm-get-command-invocation", "GetCommandInvocation", "ssm", DOE1,
                                  {"commandId": "ssm-send-command-cmd", "instanceId": "i-0a1b2c3d4e5f60001"},
                                  read_only=True)
TERMINATE_SESSION = api_call("ssm-terminate-session", "TerminateSession", "ssm", DOE1,
                             {"sessionId": "DOE1-0a1b2c3d4e5f67890"}, response={"sessionId": "DOE1-0a1b2c3d4e5f67890"})
DESCRIBE_INSTANCE_INFORMATION = api_call("ssm-describe-instance-information", "DescribeInstanceInformation", "ssm",
                                         DOE1, {"maxResults": 50}, read_only=True)

# ec2-user-data-read
READ_USER_DATA = describe_instance_attribute("user-data-read", MALLORY, "i-0a1b2c3d4e5f60001")
READ_USER_DATA_DENIED = describe_instance_attribute("user-data-read-denied", MALLORY, "i-0a1b2c3d4e5f60002",
                                                    denied=True)
READ_INSTANCE_TYPE = describe_instance_attribute("instance-type-read", MALLORY, "i-0a1b2c3d4e5f60001", "instanceType")
MODIFY_USER_DATA = api_call("user-data-modified", "ModifyInstanceAttribute", "ec2", DOE1,
                            {"instanceId": "i-0a1b2c3d4e5f60001", "userData": "<sensitiveDataRemoved>"},
                            response={"_return": True})
DESCRIBE_INSTANCES = api_call("instances-described", "DescribeInstances", "ec2", MALLORY,
                              {"instancesSet": {}, "filterSet": {}}, read_only=True)

# long-term-key-new-address
CALLER_IDENTITY_LONG_TERM_KEY = get_caller_identity("caller-identity-akia", DOE1, "203.0.113.50")
CALLER_IDENTITY_SSO = get_caller_identity("caller-identity-sso", ALICE_SSO, "203.0.113.51")
CALLER_IDENTITY_ROLE = get_caller_identity("caller-identity-role", DEPLOY, "203.0.113.52")
GET_SESSION_TOKEN = api_call("session-token", "GetSessionToken", "sts", DOE1, {"durationSeconds": 3600},
                             response={"credentials": {"accessKeyId": "ASIAQ3EGQKJ5DOE1TEMP"}}, region="us-east-1")

# ses-sending-probed (SES v1 `ses` and v2 `email` endpoints; read-only questions about sending)
SES_SEND_QUOTA = api_call("ses-send-quota", "GetSendQuota", "ses", MALLORY, None, read_only=True,
                          region="us-east-1")
SES_V2_ACCOUNT = api_call("ses-v2-account", "GetAccount", "email", MALLORY, None, read_only=True, region="us-east-1")
SES_SEND_EMAIL = api_call("ses-send-email", "SendEmail", "ses", MALLORY,
                          {"source": "billing@example.com", "destination": {"toAddresses": ["a@example.net"]}},
                          region="us-east-1")
SES_VERIFY_IDENTITY = api_call("ses-verify-identity", "VerifyEmailIdentity", "ses", MALLORY,
                               {"emailAddress": "billing@example.com"}, region="us-east-1")

# ssm-shell-commands-across-instances
SHELL_COMMAND = shell_command("ssm-shell-command", DOE1, ["i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"])
SHELL_COMMAND_TARGETS = shell_command("ssm-shell-command-targets", DOE1, targets=[
    {"key": "InstanceIds", "values": ["i-0a1b2c3d4e5f60003", "i-0a1b2c3d4e5f60004"]}])
POWERSHELL_COMMAND = shell_command("ssm-powershell-command", DOE1, ["i-0a1b2c3d4e5f60005"],
                                   document="AWS-RunPowerShellScript")
SHELL_COMMAND_DENIED = shell_command("ssm-shell-command-denied", MALLORY, ["i-0a1b2c3d4e5f60001"], denied=True)
PATCH_COMMAND = shell_command("ssm-patch-command", DOE1, ["i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"],
                              document="AWS-RunPatchBaseline")

# discovery-burst-from-instance
WEB_INSTANCE = instance_session("web-app-instance", "i-0a1b2c3d4e5f60001")
INSTANCE_LIST_ROLES = api_call("instance-list-roles", "ListRoles", "iam", WEB_INSTANCE, {"maxItems": 100},
                               read_only=True, ip="52.17.201.44", region="us-east-1")
INSTANCE_DESCRIBE_DENIED = api_call("instance-describe-snapshots-denied", "DescribeSnapshots", "ec2", WEB_INSTANCE,
                                    {"snapshotSet": {}, "ownersSet": {"items": [{"owner": "self"}]}}, read_only=True,
                                    ip="52.17.201.44", error=("Client.UnauthorizedOperation",
                                                              "You are not authorized to perform this operation."))
INSTANCE_GET_CALLER = get_caller_identity("instance-caller-identity", WEB_INSTANCE, "52.17.201.44")
INSTANCE_PUT_LOG = api_call("instance-put-logs", "CreateLogStream", "logs", WEB_INSTANCE,
                            {"logGroupName": "/app/web", "logStreamName": "i-0a1b2c3d4e5f60001"}, ip="52.17.201.44")
PERSON_LIST_ROLES = api_call("person-list-roles", "ListRoles", "iam", ALICE_SSO, {"maxItems": 100}, read_only=True,
                             region="us-east-1")
TASK_LIST_BUCKETS = api_call("task-list-buckets", "ListBuckets", "s3", APP, None, read_only=True)

# s3-mass-deletion and s3-batch-deletion
DELETE_OBJECT = s3_call("s3-delete-object", "DeleteObject", MALLORY, "acme-finance-archive", "ledger/0001.parquet")
DELETE_OBJECT_VERSION = s3_call("s3-delete-object-version", "DeleteObject", MALLORY, "acme-finance-archive",
                                "ledger/0002.parquet", version="3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY")
DELETE_OBJECT_DENIED = s3_call("s3-delete-object-denied", "DeleteObject", MALLORY, "acme-finance-archive",
                               "ledger/0003.parquet", denied=True)
DELETE_OBJECTS = s3_call("s3-delete-objects", "DeleteObjects", MALLORY, "acme-finance-archive")
DELETE_OBJECTS_DENIED = s3_call("s3-delete-objects-denied", "DeleteObjects", MALLORY, "acme-finance-archive",
                                denied=True)
GET_OBJECT = s3_call("s3-get-object", "GetObject", MALLORY, "acme-finance-archive", "ledger/0001.parquet",
                     read_only=True)
LIST_OBJECT_VERSIONS = s3_call("s3-list-object-versions", "ListObjectVersions", MALLORY, "acme-finance-archive",
                               read_only=True)
DELETE_BUCKET = s3_call("s3-delete-bucket", "DeleteBucket", MALLORY, "acme-finance-archive")

BEHAVIOUR_CASES: dict[str, tuple[list[Record], list[Record]]] = {
    "secret-harvesting": (
        [GET_SECRET_VALUE, GET_SECRET_VALUE_DENIED, BATCH_GET_SECRET_VALUE, GET_PARAMETER_DECRYPTED,
         GET_PARAMETERS_DECRYPTED],
        [GET_PARAMETER_PLAIN, GET_PARAMETER_NO_FLAG, GET_PARAMETERS_PLAIN, DESCRIBE_SECRET, LIST_SECRETS,
         PUT_SECURE_PARAMETER]),
    "ssm-commands-across-instances": (
        [SEND_COMMAND, START_SESSION],
        [SEND_COMMAND_DENIED, GET_COMMAND_INVOCATION, TERMINATE_SESSION, DESCRIBE_INSTANCE_INFORMATION]),
    "ec2-user-data-read": (
        [READ_USER_DATA, READ_USER_DATA_DENIED],
        [READ_INSTANCE_TYPE, MODIFY_USER_DATA, DESCRIBE_INSTANCES]),
    "long-term-key-new-address": (
        [CALLER_IDENTITY_LONG_TERM_KEY],
        [CALLER_IDENTITY_SSO, CALLER_IDENTITY_ROLE, GET_SESSION_TOKEN]),
    "ssm-shell-commands-across-instances": (
        [SHELL_COMMAND, SHELL_COMMAND_TARGETS, POWERSHELL_COMMAND],
        [SHELL_COMMAND_DENIED, PATCH_COMMAND, START_SESSION, GET_COMMAND_INVOCATION]),
    "discovery-burst-from-instance": (
        [INSTANCE_LIST_ROLES, INSTANCE_DESCRIBE_DENIED, INSTANCE_GET_CALLER],
        [INSTANCE_PUT_LOG, PERSON_LIST_ROLES, TASK_LIST_BUCKETS]),
    "s3-mass-deletion": (
        [DELETE_OBJECT, DELETE_OBJECT_VERSION],
        [DELETE_OBJECT_DENIED, DELETE_OBJECTS, GET_OBJECT, DELETE_BUCKET]),
    "s3-batch-deletion": (
        [DELETE_OBJECTS],
        [DELETE_OBJECTS_DENIED, DELETE_OBJECT, LIST_OBJECT_VERSIONS, DELETE_BUCKET]),
    "ses-sending-probed": (
        [SES_SEND_QUOTA, SES_V2_ACCOUNT],
        [SES_SEND_EMAIL, SES_VERIFY_IDENTITY]),
}


def denied_copy(record: Record, event_id: str) -> Record:
    """The same call refused: another caller, the service's own AccessDenied shape, no response."""
    from tests.check_pack_events import LEGACY_REPORTS, _denied

    service = record["eventSource"].split(".")[0]
    code, message = _denied(service, record["eventName"], LEGACY_REPORTS["arn"])
    copy = {key: value for key, value in record.items() if key not in ("errorCode", "errorMessage")}
    copy.update({"userIdentity": LEGACY_REPORTS, "eventID": event_id, "requestID": f"req-{event_id}",
                 "responseElements": None})
    ordered: Record = {}
    for key, value in copy.items():  # errorCode and errorMessage sit before requestParameters
        if key == "requestParameters":
            ordered["errorCode"], ordered["errorMessage"] = code, message
        ordered[key] = value
    return ordered


def _failed_attempts() -> dict[str, list[Record]]:
    from tests import check_pack_events as pack

    attempts = {"iam-policy-changes": pack.ATTACH_ROLE_POLICY, "cloudtrail-config-changes": pack.STOP_LOGGING,
                "s3-bucket-policy-changes": pack.PUT_BUCKET_POLICY,
                "aws-config-changes": pack.STOP_CONFIGURATION_RECORDER,
                "nacl-changes": pack.CREATE_NETWORK_ACL_ENTRY, "network-gateway-changes": pack.ATTACH_INTERNET_GATEWAY,
                "vpc-changes": pack.CREATE_VPC, "organizations-changes": pack.ORG_LEAVE_ORGANIZATION}
    return {name: [denied_copy(record, f"{record['eventID']}-denied")] for name, record in attempts.items()}


# The CIS metric filters count attempts (docs/check-pack.md): a refused change fires them too.
CIS_FAILED_ATTEMPTS = _failed_attempts()
