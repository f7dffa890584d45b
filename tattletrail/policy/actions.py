"""Which IAM action(s) authorize a CloudTrail event — not simply `prefix:eventName`.

The eventSource's host is usually the IAM prefix, but not always (monitoring → cloudwatch); many
API calls are authorized by an action of another name (S3 ListObjects → s3:ListBucket), by more
than one action (CopyObject reads one object and writes another; RunInstances with an instance
profile passes a role), or by no IAM action at all (console sign-in, GetCallerIdentity, calls AWS
makes for itself). Each rule here that is not `prefix:eventName` is in docs/policy.md with its
source, and tests/test_policy_actions.py checks every one against the catalogue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tattletrail.policy import catalogue

SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/"
S3_PERMISSIONS = ("https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html "
                  "(Required permissions for Amazon S3 API operations: {}); " + SAR + "list_amazons3.html")

# eventSource host → IAM prefix, where they differ (Service Authorization Reference, "service prefix").
SOURCE_PREFIXES = {
    "monitoring": ("cloudwatch", SAR + "list_amazoncloudwatch.html"),
    "email": ("ses", SAR + "list_amazonsimpleemailservicev2.html"),
    "tagging": ("tag", SAR + "list_amazonresourcegrouptaggingapi.html"),
    "runtime.sagemaker": ("sagemaker", SAR + "list_amazonsagemaker.html"),
    "models.lex": ("lex", SAR + "list_amazonlexv2.html"),
    "runtime.lex": ("lex", SAR + "list_amazonlexv2.html"),
    "metering-marketplace": ("aws-marketplace", SAR + "list_awsmarketplacemeteringservice.html"),
    "data.iot": ("iot", SAR + "list_awsiot.html"),
}


@dataclass(frozen=True, slots=True)
class Rule:
    """An event whose actions are not `prefix:eventName`. `when` names a request parameter that
    must be present for the rule to apply (an extra action needed only then)."""

    event_source: str
    event_name: str
    actions: tuple[str, ...]
    source: str
    when: str | None = None
    replaces: bool = True  # False: the actions are needed besides prefix:eventName


def _s3(name: str, *actions: str) -> Rule:
    return Rule("s3.amazonaws.com", name, actions, S3_PERMISSIONS.format(name))


RULES: tuple[Rule, ...] = (
    _s3("ListBuckets", "s3:ListAllMyBuckets"),
    _s3("ListObjects", "s3:ListBucket"),
    _s3("ListObjectsV2", "s3:ListBucket"),
    _s3("ListObjectVersions", "s3:ListBucketVersions"),
    _s3("HeadBucket", "s3:ListBucket"),
    _s3("HeadObject", "s3:GetObject"),
    _s3("CopyObject", "s3:GetObject", "s3:PutObject"),
    _s3("UploadPartCopy", "s3:GetObject", "s3:PutObject"),
    _s3("CreateMultipartUpload", "s3:PutObject"),
    _s3("UploadPart", "s3:PutObject"),
    _s3("CompleteMultipartUpload", "s3:PutObject"),
    _s3("DeleteObjects", "s3:DeleteObject"),
    _s3("ListMultipartUploads", "s3:ListBucketMultipartUploads"),
    _s3("ListParts", "s3:ListMultipartUploadParts"),
    _s3("GetBucketEncryption", "s3:GetEncryptionConfiguration"),
    _s3("PutBucketEncryption", "s3:PutEncryptionConfiguration"),
    _s3("DeleteBucketEncryption", "s3:PutEncryptionConfiguration"),
    _s3("GetBucketLifecycle", "s3:GetLifecycleConfiguration"),
    _s3("GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration"),
    _s3("PutBucketLifecycle", "s3:PutLifecycleConfiguration"),
    _s3("PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration"),
    _s3("DeleteBucketLifecycle", "s3:PutLifecycleConfiguration"),
    _s3("GetBucketReplication", "s3:GetReplicationConfiguration"),
    _s3("PutBucketReplication", "s3:PutReplicationConfiguration"),
    _s3("DeleteBucketReplication", "s3:PutReplicationConfiguration"),
    _s3("DeleteBucketCors", "s3:PutBucketCORS"),
    _s3("DeleteBucketTagging", "s3:PutBucketTagging"),
    _s3("GetBucketNotificationConfiguration", "s3:GetBucketNotification"),
    _s3("PutBucketNotificationConfiguration", "s3:PutBucketNotification"),
    _s3("GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration"),
    _s3("PutObjectLockConfiguration", "s3:PutBucketObjectLockConfiguration"),
    _s3("GetBucketAccelerateConfiguration", "s3:GetAccelerateConfiguration"),
    _s3("PutBucketAccelerateConfiguration", "s3:PutAccelerateConfiguration"),
    _s3("GetBucketAnalyticsConfiguration", "s3:GetAnalyticsConfiguration"),
    _s3("GetBucketInventoryConfiguration", "s3:GetInventoryConfiguration"),
    _s3("GetBucketMetricsConfiguration", "s3:GetMetricsConfiguration"),
    _s3("GetBucketIntelligentTieringConfiguration", "s3:GetIntelligentTieringConfiguration"),
    _s3("DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
    _s3("GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
    _s3("PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
    Rule("ec2.amazonaws.com", "RunInstances", ("iam:PassRole",), SAR + "list_amazonec2.html (RunInstances: "
         "dependent action iam:PassRole for an instance profile)", when="iamInstanceProfile", replaces=False),
    Rule("ec2.amazonaws.com", "RunInstances", ("ec2:CreateTags",), "https://docs.aws.amazon.com/AWSEC2/latest/"
         "UserGuide/supported-iam-actions-tagging.html (tag on create)", when="tagSpecificationSet", replaces=False),
    Rule("ec2.amazonaws.com", "CreateVolume", ("ec2:CreateTags",), "https://docs.aws.amazon.com/AWSEC2/latest/"
         "UserGuide/supported-iam-actions-tagging.html (tag on create)", when="tagSpecificationSet", replaces=False),
    Rule("lambda.amazonaws.com", "CreateFunction20150331", ("lambda:CreateFunction", "iam:PassRole"),
         SAR + "list_awslambda.html (CreateFunction: dependent action iam:PassRole)"),
    Rule("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", ("lambda:UpdateFunctionConfiguration",
         "iam:PassRole"), SAR + "list_awslambda.html (UpdateFunctionConfiguration: iam:PassRole to change the "
         "role)", when="role"),
    Rule("cloudformation.amazonaws.com", "CreateStack", ("iam:PassRole",), SAR + "list_awscloudformation.html "
         "(a service role is passed)", when="roleARN", replaces=False),
    Rule("cloudformation.amazonaws.com", "UpdateStack", ("iam:PassRole",), SAR + "list_awscloudformation.html "
         "(a service role is passed)", when="roleARN", replaces=False),
    Rule("ec2.amazonaws.com", "AssociateIamInstanceProfile", ("iam:PassRole",), SAR + "list_amazonec2.html "
         "(AssociateIamInstanceProfile: dependent action iam:PassRole)", replaces=False),
    Rule("ec2.amazonaws.com", "ReplaceIamInstanceProfileAssociation", ("iam:PassRole",), SAR + "list_amazonec2.html "
         "(ReplaceIamInstanceProfileAssociation: dependent action iam:PassRole)", replaces=False),
    Rule("lambda.amazonaws.com", "Invoke", ("lambda:InvokeFunction",), "https://docs.aws.amazon.com/lambda/latest/"
         "dg/logging-using-cloudtrail.html (data event Invoke); " + SAR + "list_awslambda.html"),
    Rule("kms.amazonaws.com", "ReEncrypt", ("kms:ReEncryptFrom", "kms:ReEncryptTo"), "https://docs.aws.amazon.com/"
         "kms/latest/APIReference/API_ReEncrypt.html (Required permissions)"),
)

# Calls no identity policy authorizes: left out of the policy, with the reason.
NOT_AUTHORIZED = {
    ("sts.amazonaws.com", "GetCallerIdentity"): "no permission is required (STS API Reference, "
                                                 "GetCallerIdentity)",
    ("sts.amazonaws.com", "AssumeRoleWithWebIdentity"): "made with a web identity token, not AWS credentials; "
                                                         "the role's trust policy decides",
    ("sts.amazonaws.com", "AssumeRoleWithSAML"): "made with a SAML assertion, not AWS credentials; the role's "
                                                  "trust policy decides",
    ("signin.amazonaws.com", "ConsoleLogin"): "console sign-in is not an IAM action",
}
NOT_AUTHORIZED_TYPES = {
    "AwsConsoleSignIn": "console sign-in is not an IAM action",
    "AwsServiceEvent": "an event AWS records for itself, not a call by the principal",
    "AwsCloudTrailInsight": "a CloudTrail Insights event, not a call",
    "AwsVpceEvent": "a VPC endpoint event about another account's call",
}
VERSION_SUFFIX = re.compile(r"(\d{8}(v\d+)?|\d{4}_\d{2}_\d{2})$")  # Lambda's GetFunction20150331v2, CloudFront's …2020_05_31
_RULES_BY_EVENT: dict[tuple[str, str], list[Rule]] = {}
for _rule in RULES:
    _RULES_BY_EVENT.setdefault((_rule.event_source, _rule.event_name), []).append(_rule)


@dataclass(frozen=True, slots=True)
class Mapping:
    """The actions that authorize one event, or why none does (`left_out`)."""

    actions: tuple[str, ...] = ()
    left_out: str | None = None


def service_prefix(event_source: str) -> str:
    host = event_source.removesuffix(".amazonaws.com")
    return SOURCE_PREFIXES[host][0] if host in SOURCE_PREFIXES else host


def map_event(record: dict[str, Any]) -> Mapping:
    """The IAM actions that authorized this record's call, by the rules above and the catalogue.
    Only these few fields decide it, so the answer is memoized on them (an actor's calls repeat)."""
    identity: dict[str, Any] = record["userIdentity"] if isinstance(record.get("userIdentity"), dict) else {}
    if identity.get("accountId") == "ANONYMOUS_PRINCIPAL":
        return Mapping(left_out="an anonymous request: no identity policy applies (only resource policies)")
    invoked_by = identity.get("invokedBy")
    source, name = str(record.get("eventSource") or ""), str(record.get("eventName") or "")
    rules = _RULES_BY_EVENT.get((source, name), ())
    present: tuple[bool, ...] = ()
    if rules:
        parameters: dict[str, Any] = record["requestParameters"] if isinstance(record.get("requestParameters"), dict) else {}
        present = tuple(bool(rule.when is None or parameters.get(rule.when)) for rule in rules)
    event_type = record.get("eventType")
    return _mapping(event_type if isinstance(event_type, str) else None,
                    invoked_by if isinstance(invoked_by, str) else None, source, name, present)


@lru_cache(maxsize=65_536)
def _mapping(event_type: Any, invoked_by: Any, source: str, name: str, rules_applying: tuple[bool, ...]) -> Mapping:
    if event_type in NOT_AUTHORIZED_TYPES:
        return Mapping(left_out=NOT_AUTHORIZED_TYPES[event_type])
    if invoked_by:
        return Mapping(left_out="AWS-internal call" if invoked_by == "AWS Internal" else
                       f"made by {invoked_by} on the principal's behalf, authorized for that service")
    if (source, name) in NOT_AUTHORIZED:
        return Mapping(left_out=NOT_AUTHORIZED[(source, name)])
    actions = _direct_actions(source, name)
    for rule, applies in zip(_RULES_BY_EVENT.get((source, name), ()), rules_applying):
        if applies:
            actions = rule.actions if rule.replaces else (*actions, *rule.actions)
    actions = tuple(dict.fromkeys(action for action in actions if catalogue.known(action)))
    if not actions:
        return Mapping(left_out=f"the catalogue has no IAM action {service_prefix(source)}:{name}")
    return Mapping(actions=tuple(catalogue.known_action(action).iam_name for action in actions))


def _direct_actions(source: str, name: str) -> tuple[str, ...]:
    """prefix:eventName if the catalogue knows it, else without an API version suffix."""
    prefix = service_prefix(source)
    if catalogue.known(f"{prefix}:{name}"):
        return (f"{prefix}:{name}",)
    bare = VERSION_SUFFIX.sub("", name)
    if bare != name and catalogue.known(f"{prefix}:{bare}"):
        return (f"{prefix}:{bare}",)
    return ()
