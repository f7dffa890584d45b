"""The ARNs an event touched, from `resources[]` and the request parameters.

CloudTrail fills `resources[]` for a few services only (KMS, STS, S3 data events…); for the rest
the ARN is built from the request parameters by the table below, in the ARN format of the
Service Authorization Reference. Which of these ARNs an action may be narrowed to is decided in
build.py against the action's resource types in the catalogue.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

# request parameter → ARN built from its value, the event's region and account.
ArnBuilder = Callable[[str, str, str], str]
PARAMETER_ARNS: dict[str, ArnBuilder] = {
    "instanceId": lambda v, r, a: f"arn:aws:ec2:{r}:{a}:instance/{v}",
    "groupId": lambda v, r, a: f"arn:aws:ec2:{r}:{a}:security-group/{v}",
    "routeTableId": lambda v, r, a: f"arn:aws:ec2:{r}:{a}:route-table/{v}",
    "networkAclId": lambda v, r, a: f"arn:aws:ec2:{r}:{a}:network-acl/{v}",
    "vpcId": lambda v, r, a: f"arn:aws:ec2:{r}:{a}:vpc/{v}",
    "subnetId": lambda v, r, a: f"arn:aws:ec2:{r}:{a}:subnet/{v}",
    "volumeId": lambda v, r, a: f"arn:aws:ec2:{r}:{a}:volume/{v}",
    "snapshotId": lambda v, r, a: f"arn:aws:ec2:{r}::snapshot/{v}",
    "imageId": lambda v, r, a: f"arn:aws:ec2:{r}::image/{v}",
    "keyName": lambda v, r, a: f"arn:aws:ec2:{r}:{a}:key-pair/{v}",
    "launchTemplateId": lambda v, r, a: f"arn:aws:ec2:{r}:{a}:launch-template/{v}",
    "bucketName": lambda v, r, a: f"arn:aws:s3:::{v}",
    "roleName": lambda v, r, a: f"arn:aws:iam::{a}:role/{v}",
    "userName": lambda v, r, a: f"arn:aws:iam::{a}:user/{v}",
    "policyArn": lambda v, r, a: v,
    "roleArn": lambda v, r, a: v,
    "functionName": lambda v, r, a: v if v.startswith("arn:") else f"arn:aws:lambda:{r}:{a}:function:{v}",
    "tableName": lambda v, r, a: f"arn:aws:dynamodb:{r}:{a}:table/{v}",
    "logGroupName": lambda v, r, a: f"arn:aws:logs:{r}:{a}:log-group:{v}",
    "dBInstanceIdentifier": lambda v, r, a: f"arn:aws:rds:{r}:{a}:db:{v}",
    "trailName": lambda v, r, a: v if v.startswith("arn:") else f"arn:aws:cloudtrail:{r}:{a}:trail/{v}",
    "targetGroupArn": lambda v, r, a: v,
    "autoScalingGroupName": lambda v, r, a: f"arn:aws:autoscaling:{r}:{a}:autoScalingGroup:*:autoScalingGroupName/{v}",
    "repositoryName": lambda v, r, a: f"arn:aws:ecr:{r}:{a}:repository/{v}",
    "secretId": lambda v, r, a: v if v.startswith("arn:") else f"arn:aws:secretsmanager:{r}:{a}:secret:{v}-??????",
    "keyId": lambda v, r, a: v if v.startswith("arn:") else (
        f"arn:aws:kms:{r}:{a}:{v}" if v.startswith("alias/") else f"arn:aws:kms:{r}:{a}:key/{v}"),
    "topicArn": lambda v, r, a: v,
}


def touched_arns(record: dict[str, Any], account: str) -> list[str]:
    """Every ARN the event names, deduplicated, in the order found."""
    region = str(record.get("awsRegion") or "*")
    found: dict[str, None] = {}
    for entry in record.get("resources") or ():
        if isinstance(entry, dict) and isinstance(entry.get("ARN") or entry.get("arn"), str):
            found[str(entry.get("ARN") or entry.get("arn"))] = None
    parameters = record.get("requestParameters")
    if isinstance(parameters, dict):
        for name, value in _parameter_values(parameters):
            if name in PARAMETER_ARNS:
                found[PARAMETER_ARNS[name](value, region, account)] = None
            elif name == "resourceId" and (arn := ec2_arn(value, region, account)):  # CreateTags, DeleteTags
                found[arn] = None
        found.update(dict.fromkeys(_s3_object_arns(parameters)))
        found.update(dict.fromkeys(_ssm_parameter_arns(parameters, record, region, account)))
        stream = parameters.get("logStreamName")
        if isinstance(parameters.get("logGroupName"), str) and isinstance(stream, str):
            found[f"arn:aws:logs:{region}:{account}:log-group:{parameters['logGroupName']}:log-stream:{stream}"] = None
    found.update(dict.fromkeys(_created_instances(record, region, account)))
    return [arn for arn in found if well_formed(arn)]


def well_formed(arn: str) -> bool:
    """An ARN IAM would accept: six parts, and an account that is empty, 12 digits or "aws" (AWS
    managed policies). Sanitized samples carry accounts like "123456789"; an ARN built from one
    would be refused, so it is dropped and the action keeps Resource * with a note."""
    parts = arn.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and (
        parts[4] in ("", "aws", "*") or (len(parts[4]) == 12 and parts[4].isdigit()))


def _parameter_values(parameters: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(name, value) of top-level string parameters and of EC2's `…Set.items[]` lists."""
    for name, value in parameters.items():
        if isinstance(value, str) and value:
            yield name, value
        elif isinstance(value, dict) and isinstance(value.get("items"), list):
            for item in value["items"]:
                if isinstance(item, dict):
                    yield from ((key, text) for key, text in item.items() if isinstance(text, str) and text)


def _s3_object_arns(parameters: dict[str, Any]) -> Iterator[str]:
    bucket, key = parameters.get("bucketName"), parameters.get("key")
    if isinstance(bucket, str) and isinstance(key, str):
        yield f"arn:aws:s3:::{bucket}/{key}"


def _ssm_parameter_arns(parameters: dict[str, Any], record: dict[str, Any], region: str,
                        account: str) -> Iterator[str]:
    if record.get("eventSource") != "ssm.amazonaws.com":
        return
    names: list[Any] = parameters["names"] if isinstance(parameters.get("names"), list) else [parameters.get("name")]
    for name in names:
        if isinstance(name, str) and name:
            yield name if name.startswith("arn:") else f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def _created_instances(record: dict[str, Any], region: str, account: str) -> Iterator[str]:
    """RunInstances creates instances whose ids AWS assigns: a policy for the next run must allow
    any new instance (instance/*), not the ids it got last time."""
    if record.get("eventName") == "RunInstances":
        yield f"arn:aws:ec2:{region}:{account}:instance/*"


# EC2 resource ids name their type by prefix (used where a parameter holds any resource's id).
EC2_ID_TYPES = {"i": "instance", "vol": "volume", "sg": "security-group", "subnet": "subnet", "vpc": "vpc",
                "rtb": "route-table", "eni": "network-interface", "igw": "internet-gateway", "acl": "network-acl",
                "nat": "natgateway", "lt": "launch-template"}
EC2_ACCOUNTLESS = {"ami": "image", "snap": "snapshot"}


def ec2_arn(resource_id: str, region: str, account: str) -> str | None:
    prefix = resource_id.split("-", 1)[0]
    if prefix in EC2_ID_TYPES:
        return f"arn:aws:ec2:{region}:{account}:{EC2_ID_TYPES[prefix]}/{resource_id}"
    if prefix in EC2_ACCOUNTLESS:
        return f"arn:aws:ec2:{region}::{EC2_ACCOUNTLESS[prefix]}/{resource_id}"
    return None
