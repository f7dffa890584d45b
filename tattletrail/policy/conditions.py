"""The condition keys `--conditions` can add, and where each value comes from in a record.

A global key (aws:RequestedRegion, aws:SourceIp) applies to every action; a service key
(ec2:InstanceType) only where the catalogue lists it for the action — and where it is listed for
some of the action's resource types only, the condition is `…IfExists`, since IAM evaluates a
call once per resource and the other resources don't carry the key (RunInstances is checked on
the image, the subnet… as well as the instance; a plain StringEquals on ec2:InstanceType would
deny it).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Callable

from tattletrail.errors import TattletrailError


@dataclass(frozen=True, slots=True)
class ConditionKind:
    name: str  # as given to --conditions
    key: str
    operator: str  # StringEquals, IpAddress
    value_of: Callable[[dict[str, Any]], str | None]
    global_key: bool
    reads: tuple[str, ...] = ()  # the record fields value_of reads (what a store's group_events must keep)

    def operator_for(self, on_every_resource: bool) -> str:
        return self.operator if on_every_resource or self.global_key else f"{self.operator}IfExists"


def _region(record: dict[str, Any]) -> str | None:
    region = record.get("awsRegion")
    return region if isinstance(region, str) and region else None


def _source_ip(record: dict[str, Any]) -> str | None:
    if record.get("vpcEndpointId"):
        return None  # through a VPC endpoint IAM has aws:VpcSourceIp, not aws:SourceIp
    try:
        address = ipaddress.ip_address(str(record.get("sourceIPAddress")))
    except ValueError:
        return None  # a service name ("ec2.amazonaws.com"): no aws:SourceIp to match
    return f"{address}/{address.max_prefixlen}"


def _parameter(name: str) -> Callable[[dict[str, Any]], str | None]:
    def value_of(record: dict[str, Any]) -> str | None:
        parameters = record.get("requestParameters")
        value = parameters.get(name) if isinstance(parameters, dict) else None
        return value if isinstance(value, str) and value else None
    return value_of


CONDITION_KINDS: dict[str, ConditionKind] = {kind.name: kind for kind in (
    ConditionKind("region", "aws:RequestedRegion", "StringEquals", _region, True, ("awsRegion",)),
    ConditionKind("source-ip", "aws:SourceIp", "IpAddress", _source_ip, True, ("vpcEndpointId", "sourceIPAddress")),
    ConditionKind("instance-type", "ec2:InstanceType", "StringEquals", _parameter("instanceType"), False,
                  ("requestParameters.instanceType",)),
    ConditionKind("volume-type", "ec2:VolumeType", "StringEquals", _parameter("volumeType"), False,
                  ("requestParameters.volumeType",)),
)}


class UnknownCondition(TattletrailError, ValueError):
    pass


def condition_kinds(names: list[str]) -> list[ConditionKind]:
    """--conditions region,instance-type → the kinds, or an error listing the known names."""
    unknown = [name for name in names if name not in CONDITION_KINDS]
    if unknown:
        raise UnknownCondition(f"unknown condition {', '.join(map(repr, unknown))}: use some of "
                               f"{', '.join(CONDITION_KINDS)}")
    return [CONDITION_KINDS[name] for name in names]
