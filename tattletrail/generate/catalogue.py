"""The background API calls: which principals make them, how often, and what their parameters look like.

Shapes follow what CloudTrail really logs, including EC2's `{"items": [...]}` nesting and empty
sets (`"filterSet": {}`). Nothing here may produce an incident's pattern: routes deleted are private
ones, ingress opened is to private ranges, and no call here creates users or keys, stops a trail or
uses the root user — so tests (and detection rules) can count incidents exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import Any, Callable

from tattletrail.generate.assets import Assets
from tattletrail.generate.identities import AWS, CI, FEDERATED, HUMAN, OIDC, SERVICE, WORKLOAD, Account, Ids, Session
from tattletrail.generate.records import GLOBAL_SERVICES


@dataclass(slots=True)
class Context:
    """What a parameter builder may draw on; one per account and region, reused for every call."""

    ids: Ids
    rng: Random
    account: Account
    assets: Assets
    region: str
    session: Session | None = None
    role: tuple[str, str] = ("", "")  # (role, session name) chosen by the current AssumeRole call


Builder = Callable[[Context], Any]


@dataclass(frozen=True, slots=True)
class ApiCall:
    service: str
    name: str
    read_only: bool
    weight: float
    callers: tuple[str, ...]
    parameters: Builder | None
    response: Builder | None = None
    resources: Builder | None = None
    not_found: tuple[str, str] | None = None  # the error a call on a missing resource gets

    @property
    def is_global(self) -> bool:
        return self.service in GLOBAL_SERVICES


def _pick(values: tuple[str, ...], rng: Random) -> str:
    return values[int(rng.random() * len(values))]


def _items(**values: Any) -> dict[str, Any]:
    return {"items": [values]}


def _filter(name: str, value: str) -> dict[str, Any]:
    return {"items": [{"name": name, "valueSet": {"items": [{"value": value}]}}]}


INSTANCE_FILTERS: dict[str, Any] = {"instancesSet": {}, "filterSet": {}}


def describe_instances(c: Context) -> dict[str, Any]:
    if c.rng.random() < 0.5:
        return INSTANCE_FILTERS
    return {"instancesSet": _items(instanceId=_pick(c.account.instances, c.rng)), "filterSet": {}}


def describe_route_tables(c: Context) -> dict[str, Any]:
    return {"routeTableIdSet": {}, "filterSet": _filter("vpc-id", c.assets.vpc)}


def describe_security_groups(c: Context) -> dict[str, Any]:
    if c.rng.random() < 0.5:
        return {"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": _filter("vpc-id", c.assets.vpc)}
    return {"securityGroupSet": {}, "securityGroupIdSet": _items(groupId=_pick(c.assets.security_groups, c.rng)),
            "filterSet": {}}


def private_ingress(c: Context) -> dict[str, Any]:
    cidr = _pick(("10.0.0.0/8", "10.20.0.0/16", "172.16.0.0/12", "10.40.12.0/24"), c.rng)
    port = _pick(("443", "5432", "6379", "8080"), c.rng)
    return {"groupId": _pick(c.assets.security_groups, c.rng), "ipPermissions": {"items": [{
        "ipProtocol": "tcp", "fromPort": int(port), "toPort": int(port), "groups": {},
        "ipRanges": {"items": [{"cidrIp": cidr, "description": "internal"}]}, "ipv6Ranges": {},
        "prefixListIds": {}}]}}


def ec2_return(c: Context) -> dict[str, Any]:
    """EC2's answer to a successful write; the caller fills in `requestId` with the record's requestID."""
    return {"requestId": "", "_return": True}


def private_route(c: Context) -> dict[str, Any]:
    return {"routeTableId": _pick(c.assets.route_tables, c.rng),
            "destinationCidrBlock": f"10.{c.rng.randrange(64, 128)}.0.0/16"}


def create_tags(c: Context) -> dict[str, Any]:
    return {"resourcesSet": _items(resourceId=_pick(c.assets.volumes + c.account.instances, c.rng)),
            "tagSet": _items(key="CostCenter", value=_pick(("platform", "payments", "data"), c.rng))}


def instance_state(c: Context) -> dict[str, Any]:
    return {"instancesSet": _items(instanceId=_pick(c.account.instances, c.rng))}


def create_snapshot(c: Context) -> dict[str, Any]:
    return {"volumeId": _pick(c.assets.volumes, c.rng), "description": "nightly backup"}


def bucket(c: Context) -> dict[str, Any]:
    name = _pick(c.assets.buckets, c.rng)
    return {"bucketName": name, "Host": f"{name}.s3.{c.region}.amazonaws.com", "location": ""}


def bucket_policy(c: Context) -> dict[str, Any]:
    name = _pick(c.assets.buckets, c.rng)
    return {"bucketName": name, "Host": f"{name}.s3.{c.region}.amazonaws.com", "policy": ""}


def list_buckets(c: Context) -> dict[str, Any]:
    return {"Host": "s3.amazonaws.com"}


def kms_key_resources(c: Context) -> list[dict[str, str]]:
    return [{"accountId": c.account.account_id, "type": "AWS::KMS::Key",
             "ARN": f"arn:aws:kms:{c.region}:{c.account.account_id}:key/{_pick(c.assets.kms_keys, c.rng)}"}]


def kms_decrypt(c: Context) -> dict[str, Any]:
    """The encryption context names what the data belongs to: a function, a secret, an object, a trail."""
    caller = c.session.actor if c.session else ""
    account = c.account.account_id
    if caller.startswith("orders-api") or caller == "lambda.amazonaws.com":
        context = {"aws:lambda:FunctionArn": f"arn:aws:lambda:{c.region}:{account}:function:"
                                             f"{_pick(c.account.functions, c.rng)}"}
    elif caller == "cloudtrail.amazonaws.com":
        context = {"aws:cloudtrail:arn": f"arn:aws:cloudtrail:us-east-1:{account}:trail/org-trail"}
    elif c.rng.random() < 0.5:
        context = {"SecretARN": f"arn:aws:secretsmanager:{c.region}:{account}:secret:{_pick(c.assets.secrets, c.rng)}",
                   "SecretVersionId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"}
    else:
        context = {"aws:s3:arn": f"arn:aws:s3:::{_pick(c.assets.buckets, c.rng)}/reports/2026/11/"}
    return {"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": context}


def kms_data_key(c: Context) -> dict[str, Any]:
    return {"keyId": f"arn:aws:kms:{c.region}:{c.account.account_id}:key/{c.assets.kms_keys[0]}",
            "keySpec": "AES_256",
            "encryptionContext": {"aws:s3:arn": f"arn:aws:s3:::{_pick(c.assets.buckets, c.rng)}"}}


def role_name(c: Context) -> dict[str, Any]:
    return {"roleName": _pick(c.assets.roles, c.rng)}


def user_name(c: Context) -> dict[str, Any]:
    return {"userName": _pick(c.assets.users, c.rng)}


def policy_arn(c: Context) -> dict[str, Any]:
    return {"policyArn": f"arn:aws:iam::{c.account.account_id}:policy/{_pick(c.assets.policies, c.rng)}"}


# Which role a service principal assumes, and the session name it gives.
SERVICE_ROLES = {"lambda.amazonaws.com": ("orders-api-role", "orders-api"),
                 "ecs-tasks.amazonaws.com": ("payments-task-role", "ecs-task"),
                 "ec2.amazonaws.com": ("app-server-role", "i-instance"),
                 "autoscaling.amazonaws.com": ("terraform-apply", "AutoScaling")}


def assume_role(c: Context) -> dict[str, Any]:
    caller = c.session.actor if c.session else ""
    if caller in SERVICE_ROLES:
        role, session = SERVICE_ROLES[caller]
        if session == "i-instance":
            session = _pick(c.account.instances, c.rng)
    elif c.session is not None and c.session.kind == "ci":
        role, session = "terraform-apply", "terraform"
    else:
        role, session = "OrganizationAccountAccessRole", caller.rsplit("/", 1)[-1].split("@")[0] or "admin"
    c.role = (role, session)
    return {"roleArn": f"arn:aws:iam::{c.account.account_id}:role/{role}", "roleSessionName": session,
            "durationSeconds": 3600}


def assume_role_response(c: Context) -> dict[str, Any]:
    role, session = c.role
    return {"credentials": {"accessKeyId": c.ids.key("ASIA"), "sessionToken": _pick(c.assets.session_tokens, c.rng),
                            "expiration": "Nov 23, 2026, 11:59:59 PM"},
            "assumedRoleUser": {"assumedRoleId": f"{c.account.roles[role]}:{session}",
                                "arn": f"arn:aws:sts::{c.account.account_id}:assumed-role/{role}/{session}"}}


def assume_role_resources(c: Context) -> list[dict[str, str]]:
    return [{"accountId": c.account.account_id, "type": "AWS::IAM::Role",
             "ARN": f"arn:aws:iam::{c.account.account_id}:role/{c.role[0]}"}]


def web_identity_role(c: Context) -> dict[str, Any]:
    c.role = ("github-actions-deploy", "GitHubActions")
    return {"roleArn": f"arn:aws:iam::{c.account.account_id}:role/github-actions-deploy",
            "roleSessionName": "GitHubActions", "durationSeconds": 3600}


def web_identity_response(c: Context) -> dict[str, Any]:
    return {**assume_role_response(c), "subjectFromWebIdentityToken": "repo:acme/app:ref:refs/heads/main",
            "provider": f"arn:aws:iam::{c.account.account_id}:oidc-provider/token.actions.githubusercontent.com",
            "audience": "sts.amazonaws.com"}


def parameter(c: Context) -> dict[str, Any]:
    return {"name": _pick(c.assets.parameters, c.rng), "withDecryption": True}


def parameters(c: Context) -> dict[str, Any]:
    return {"names": list(c.assets.parameters[:3]), "withDecryption": True}


def instance_information(c: Context) -> dict[str, Any]:
    return {"instanceId": _pick(c.account.instances, c.rng), "agentVersion": "3.3.1142.0",
            "agentStatus": "Active", "platformType": "Linux", "platformName": "Amazon Linux",
            "platformVersion": "2023", "iPAddress": f"10.20.{c.rng.randrange(1, 60)}.{c.rng.randrange(2, 250)}",
            "computerName": f"ip-10-20-{c.rng.randrange(1, 60)}-{c.rng.randrange(2, 250)}.ec2.internal",
            "agentName": "amazon-ssm-agent", "availabilityZone": f"{c.region}a"}


def secret(c: Context) -> dict[str, Any]:
    return {"secretId": f"arn:aws:secretsmanager:{c.region}:{c.account.account_id}:secret:"
                        f"{_pick(c.assets.secrets, c.rng)}"}


def function(c: Context) -> dict[str, Any]:
    return {"functionName": _pick(c.account.functions, c.rng)}


def db_instance(c: Context) -> dict[str, Any]:
    return {"dBInstanceIdentifier": _pick(c.assets.db_instances, c.rng)}


def table(c: Context) -> dict[str, Any]:
    return {"tableName": _pick(c.assets.tables, c.rng)}


def log_group(c: Context) -> dict[str, Any]:
    return {"logGroupName": _pick(c.assets.log_groups, c.rng)}


def log_stream(c: Context) -> dict[str, Any]:
    return {"logGroupName": _pick(c.assets.log_groups, c.rng),
            "logStreamName": f"2026/11/23/[$LATEST]{c.ids.hex(32)}"}


def metric_data(c: Context) -> dict[str, Any]:
    return {"metricDataQueries": [{"id": "m1", "metricStat": {"metric": {
        "namespace": "AWS/EC2", "metricName": "CPUUtilization",
        "dimensions": [{"name": "InstanceId", "value": _pick(c.account.instances, c.rng)}]},
        "period": 300, "stat": "Average"}, "returnData": True}],
        "startTime": "Nov 23, 2026, 12:00:00 AM", "endTime": "Nov 23, 2026, 3:00:00 AM"}


def asg(c: Context) -> dict[str, Any]:
    return {"autoScalingGroupNames": [_pick(c.assets.auto_scaling_groups, c.rng)]}


def desired_capacity(c: Context) -> dict[str, Any]:
    return {"autoScalingGroupName": _pick(c.assets.auto_scaling_groups, c.rng),
            "desiredCapacity": c.rng.randrange(2, 8), "honorCooldown": False}


def load_balancers(c: Context) -> dict[str, Any]:
    return {"names": [_pick(c.assets.load_balancers, c.rng)]}


def trail_name(c: Context) -> dict[str, Any]:
    return {"name": "org-trail"}


def distribution(c: Context) -> dict[str, Any]:
    return {"id": _pick(c.assets.distributions, c.rng)}


def ecr_images(c: Context) -> dict[str, Any]:
    return {"repositoryName": "payments", "imageIds": [{"imageTag": "latest"}],
            "acceptedMediaTypes": ["application/vnd.docker.distribution.manifest.v2+json"]}


H, C, W, S, A, F, O = HUMAN, CI, WORKLOAD, SERVICE, AWS, FEDERATED, OIDC
INSTANCE_NOT_FOUND = ("Client.InvalidInstanceID.NotFound", "The instance ID '{}' does not exist")


def _call(service: str, name: str, weight: float, callers: tuple[str, ...], parameters: Builder | None = None,
          response: Builder | None = None, resources: Builder | None = None, read_only: bool | None = None,
          not_found: tuple[str, str] | None = None) -> ApiCall:
    if read_only is None:
        read_only = name.startswith(("Describe", "List", "Get", "Lookup", "BatchGet", "Decrypt", "Generate"))
    return ApiCall(service, name, read_only, weight, callers, parameters, response, resources, not_found)


CATALOGUE: tuple[ApiCall, ...] = (
    # EC2: by far the noisiest service in most accounts
    _call("ec2", "DescribeInstances", 9, (H, C, S, W), describe_instances),
    _call("ec2", "DescribeInstanceStatus", 4, (H, S, W), lambda c: {"instancesSet": {}, "filterSet": {},
                                                                    "includeAllInstances": False}),
    _call("ec2", "DescribeSecurityGroups", 5, (H, C, S), describe_security_groups),
    _call("ec2", "DescribeRouteTables", 3, (H, C, S), describe_route_tables),
    _call("ec2", "DescribeVpcs", 3, (H, C, S), lambda c: {"vpcSet": {}, "filterSet": {}}),
    _call("ec2", "DescribeSubnets", 3, (H, C, S), lambda c: {"subnetSet": {}, "filterSet": _filter("vpc-id", c.assets.vpc)}),
    _call("ec2", "DescribeVolumes", 2, (H, C, S), lambda c: {"volumeSet": {}, "filterSet": {}}),
    _call("ec2", "DescribeSnapshots", 1, (H, S), lambda c: {"snapshotSet": {}, "ownersSet": _items(owner="self"),
                                                             "filterSet": {}}),
    _call("ec2", "DescribeImages", 1.5, (H, C), lambda c: {"executableBySet": {}, "imagesSet": _items(
        imageId=_pick(c.assets.images, c.rng)), "ownersSet": {}, "filterSet": {}}),
    _call("ec2", "DescribeNetworkInterfaces", 2, (S, C), lambda c: {"networkInterfaceIdSet": {}, "filterSet": {}}),
    _call("ec2", "DescribeRegions", 1, (H, C, W), lambda c: {"regionSet": {}, "allRegions": False}),
    _call("ec2", "DescribeAvailabilityZones", 1, (C, W), lambda c: {"availabilityZoneSet": {}, "filterSet": {}}),
    _call("ec2", "DescribeTags", 1.5, (W, H), lambda c: {"filterSet": _filter(
        "resource-id", _pick(c.account.instances, c.rng))}),
    _call("ec2", "DescribeLaunchTemplates", 0.5, (C, S), lambda c: {"DescribeLaunchTemplatesRequest": {}}),
    _call("ec2", "CreateTags", 0.6, (C, S), create_tags, ec2_return),
    _call("ec2", "StartInstances", 0.1, (H,), instance_state, not_found=INSTANCE_NOT_FOUND),
    _call("ec2", "StopInstances", 0.1, (H,), instance_state, not_found=INSTANCE_NOT_FOUND),
    _call("ec2", "CreateSnapshot", 0.2, (S, C), create_snapshot),
    _call("ec2", "AuthorizeSecurityGroupIngress", 0.08, (C, H), private_ingress, ec2_return),
    _call("ec2", "RevokeSecurityGroupIngress", 0.05, (C, H), private_ingress, ec2_return),
    _call("ec2", "CreateRoute", 0.03, (C,), private_route, ec2_return),
    _call("ec2", "DeleteRoute", 0.03, (C, H), private_route, ec2_return),
    # S3 bucket-level management calls
    _call("s3", "GetBucketLocation", 4, (H, C, W, S), bucket),
    _call("s3", "GetBucketAcl", 2, (S, H), lambda c: {**bucket(c), "acl": ""}),
    _call("s3", "GetBucketPolicy", 1.5, (S, H, C), bucket_policy,
          not_found=("NoSuchBucketPolicy", "The bucket policy does not exist")),
    _call("s3", "GetBucketVersioning", 1, (S, C), lambda c: {**bucket(c), "versioning": ""}),
    _call("s3", "GetBucketEncryption", 1, (S, C), lambda c: {**bucket(c), "encryption": ""}),
    _call("s3", "ListBuckets", 1.5, (H, C, F), list_buckets),
    _call("s3", "PutBucketTagging", 0.05, (C,), lambda c: {**bucket(c), "tagging": ""}),
    # IAM and STS: global, logged in us-east-1
    _call("iam", "ListRoles", 1.5, (H, C, S), lambda c: {"maxItems": 100}),
    _call("iam", "GetRole", 2, (H, C, S), role_name, not_found=("NoSuchEntity", "The role with name {} cannot be found.")),
    _call("iam", "ListAttachedRolePolicies", 1.5, (C, S), role_name),
    _call("iam", "GetPolicy", 1, (C, S), policy_arn),
    _call("iam", "GetPolicyVersion", 1, (C, S), lambda c: {**policy_arn(c), "versionId": "v3"}),
    _call("iam", "ListUsers", 0.6, (H, S), lambda c: {"maxItems": 100}),
    _call("iam", "GetUser", 0.5, (H, S), user_name, not_found=("NoSuchEntity", "The user with name {} cannot be found.")),
    _call("iam", "ListAccessKeys", 0.5, (S, H), user_name),
    _call("iam", "GetAccountSummary", 0.2, (S,), None),
    _call("iam", "TagRole", 0.05, (C,), lambda c: {**role_name(c), "tags": [{"key": "team", "value": "platform"}]}),
    _call("iam", "AttachRolePolicy", 0.03, (C,), lambda c: {**role_name(c), **policy_arn(c)}),
    _call("sts", "GetCallerIdentity", 4, (H, C, W, F), None),
    _call("sts", "AssumeRole", 5, (C, A, H), assume_role, assume_role_response, assume_role_resources),
    _call("sts", "AssumeRoleWithWebIdentity", 1, (O,), web_identity_role, web_identity_response,
          assume_role_resources, read_only=True),
    _call("cloudfront", "ListDistributions", 0.3, (H, C), lambda c: {}),
    _call("cloudfront", "GetDistribution", 0.3, (C,), distribution),
    _call("organizations", "DescribeOrganization", 0.1, (H, S), None),
    # KMS, parameters and secrets: what workloads do all day
    _call("kms", "Decrypt", 10, (W, A), kms_decrypt, None, kms_key_resources),
    _call("kms", "GenerateDataKey", 5, (W, A), kms_data_key, None, kms_key_resources),
    _call("kms", "DescribeKey", 0.6, (H, C, S), lambda c: {"keyId": "alias/" + c.account.name}),
    _call("kms", "ListAliases", 0.3, (H, C), lambda c: {}),
    _call("ssm", "GetParameter", 4, (W, C), parameter, not_found=("ParameterNotFound", "Parameter {} not found.")),
    _call("ssm", "GetParameters", 2, (W, C), parameters),
    _call("ssm", "UpdateInstanceInformation", 5, (W,), instance_information),
    _call("ssm", "DescribeInstanceInformation", 0.8, (H, S), lambda c: {"maxResults": 50}),
    _call("ssm", "PutParameter", 0.05, (C,), lambda c: {"name": _pick(c.assets.parameters, c.rng), "type": "String",
                                                        "overwrite": True}),
    _call("secretsmanager", "GetSecretValue", 3, (W,), secret),
    _call("secretsmanager", "DescribeSecret", 0.3, (C, H), secret),
    # Compute, data and monitoring
    _call("lambda", "ListFunctions20150331", 1, (H, C, S), lambda c: {}),
    _call("lambda", "GetFunction20150331v2", 1, (C, H), function),
    _call("lambda", "UpdateFunctionCode20150331v2", 0.08, (C,), lambda c: {
        **function(c), "publish": True, "s3Bucket": c.assets.buckets[5], "s3Key": f"lambda/{c.ids.hex(12)}.zip"}),
    _call("rds", "DescribeDBInstances", 1.2, (H, C, S), db_instance),
    _call("rds", "DescribeDBClusters", 0.6, (H, S), lambda c: {"includeShared": False}),
    _call("rds", "DescribeDBSnapshots", 0.4, (S,), db_instance),
    _call("dynamodb", "DescribeTable", 3, (W, C), table),
    _call("dynamodb", "ListTables", 0.5, (H, C), lambda c: {}),
    _call("monitoring", "DescribeAlarms", 2, (H, C, S), lambda c: {"maxRecords": 100}),
    _call("monitoring", "GetMetricData", 3, (H, S), metric_data),
    _call("monitoring", "ListMetrics", 0.8, (H, S), lambda c: {"namespace": "AWS/EC2"}),
    _call("logs", "DescribeLogGroups", 1.5, (H, C, S), lambda c: {"limit": 50}),
    _call("logs", "DescribeLogStreams", 1, (H,), log_group),
    _call("logs", "FilterLogEvents", 0.6, (H,), log_group),
    _call("logs", "CreateLogStream", 2.5, (W,), log_stream),
    _call("logs", "PutRetentionPolicy", 0.03, (C,), lambda c: {**log_group(c), "retentionInDays": 30}),
    _call("elasticloadbalancing", "DescribeLoadBalancers", 1.2, (H, C, S), load_balancers),
    _call("elasticloadbalancing", "DescribeTargetHealth", 1.5, (S, C), lambda c: {
        "targetGroupArn": f"arn:aws:elasticloadbalancing:{c.region}:{c.account.account_id}:targetgroup/app/"
                          f"{c.assets.vpc[-16:]}"}),
    _call("autoscaling", "DescribeAutoScalingGroups", 2, (S, C, H), asg),
    _call("autoscaling", "SetDesiredCapacity", 0.1, (C, H), desired_capacity),
    _call("ecr", "GetAuthorizationToken", 1.5, (W, C), lambda c: {}),
    _call("ecr", "BatchGetImage", 1, (W, S), ecr_images),
    _call("cloudtrail", "DescribeTrails", 0.5, (S, H), lambda c: {"includeShadowTrails": True}),
    _call("cloudtrail", "GetTrailStatus", 0.4, (S,), trail_name),
    _call("cloudtrail", "LookupEvents", 0.3, (H,), lambda c: {"maxResults": 50}),
)
