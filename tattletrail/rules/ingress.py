"""Security group rules opened to the whole internet, in every shape CloudTrail records them.

`AuthorizeSecurityGroupIngress` comes in two forms: the `ipPermissions` list (each permission with
its protocol, ports, IPv4 and IPv6 ranges and prefix lists) and the older top-level form
(`cidrIp`, `ipProtocol`, `fromPort`, `toPort`). `ModifySecurityGroupRules` carries one rule or a
list of them under `ModifySecurityGroupRulesRequest.SecurityGroupRule`. Each permission is read on
its own, so "port 443 from 0.0.0.0/0 and port 22 from 10.0.0.0/8" is a web port opened to the
world, not SSH.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

# Ports whose exposure hands the machine to anyone who guesses a password or finds a bug: remote
# administration (SSH, RDP, telnet, VNC, SMB, the Docker API) and databases and caches.
ADMIN_PORTS = frozenset((22, 23, 445, 2375, 3389, 5900, 1433, 1521, 3306, 5432, 5984, 6379, 9200, 11211, 27017))
WEB_PORTS = frozenset((80, 443))
CLASSES = ("web", "other", "admin")  # from least to most exposed


@dataclass(frozen=True, slots=True)
class Opening:
    protocol: str  # "all", "tcp", "udp", "icmp" or a number
    from_port: int | None
    to_port: int | None
    source: str  # the CIDR

    @property
    def ports(self) -> str:
        if self.protocol == "all":
            return "all traffic"
        if self.from_port is None or self.from_port in (-1, 0) and self.to_port in (-1, 65535, None):
            return f"{self.protocol} all ports"
        if self.from_port == self.to_port or self.to_port is None:
            return f"{self.protocol} {self.from_port}"
        return f"{self.protocol} {self.from_port}-{self.to_port}"

    @property
    def exposure(self) -> str:
        """admin (all traffic, or a range reaching an admin or database port), web (80 or 443 only) or other."""
        if self.protocol in ("icmp", "icmpv6"):
            return "other"
        if self.protocol == "all" or self.from_port is None or self.from_port in (-1, 0) and self.to_port in (-1, 65535, None):
            return "admin"
        high = self.to_port if self.to_port is not None else self.from_port
        if any(self.from_port <= port <= high for port in ADMIN_PORTS):
            return "admin"
        if self.from_port == high and self.from_port in WEB_PORTS:
            return "web"
        return "other"


def world_openings(parameters: Any) -> list[Opening]:
    """Every permission of an ingress request that lets the whole internet in."""
    if not isinstance(parameters, dict):
        return []
    return [opening for opening in _openings(parameters) if _anywhere(opening.source)]


def _openings(parameters: dict[str, Any]) -> list[Opening]:
    found: list[Opening] = []
    for permission in _items(parameters.get("ipPermissions")):
        protocol, low, high = _protocol(permission.get("ipProtocol")), _port(permission.get("fromPort")), _port(
            permission.get("toPort"))
        for cidr in [*_items(permission.get("ipRanges")), *_items(permission.get("ipv6Ranges"))]:
            source = cidr.get("cidrIp") or cidr.get("cidrIpv6")
            if isinstance(source, str):
                found.append(Opening(protocol, low, high, source))
    if isinstance(parameters.get("cidrIp"), str):  # the older top-level form
        found.append(Opening(_protocol(parameters.get("ipProtocol")), _port(parameters.get("fromPort")),
                             _port(parameters.get("toPort")), parameters["cidrIp"]))
    request = parameters.get("ModifySecurityGroupRulesRequest")
    if isinstance(request, dict):
        for entry in _listed(request.get("SecurityGroupRule")):
            rule: dict[str, Any] = entry["SecurityGroupRule"] if isinstance(entry.get("SecurityGroupRule"), dict) else entry
            for key in ("CidrIpv4", "CidrIpv6"):
                if isinstance(rule.get(key), str):
                    found.append(Opening(_protocol(rule.get("IpProtocol")), _port(rule.get("FromPort")),
                                         _port(rule.get("ToPort")), rule[key]))
    return found


def group_of(parameters: Any) -> str:
    if not isinstance(parameters, dict):
        return "?"
    request = parameters.get("ModifySecurityGroupRulesRequest")
    group = parameters.get("groupId") or parameters.get("groupName") or (
        request.get("GroupId") if isinstance(request, dict) else None)
    return str(group) if group else "?"


def _items(value: Any) -> list[dict[str, Any]]:
    """CloudTrail's EC2 lists: `{"items": [...]}`; an empty `{}` is no list."""
    if isinstance(value, dict):
        value = value.get("items")
    return _listed(value)


def _listed(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def _protocol(value: Any) -> str:
    text = str(value).lower() if value is not None else "all"
    return {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}.get(text, text)


def _port(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _anywhere(cidr: str) -> bool:
    """0.0.0.0/0 or ::/0, or a split of them into halves (0.0.0.0/1 and 128.0.0.0/1) that does the same."""
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen <= 1
    except ValueError:
        return False
