"""Pick subnets for lesson networks that collide with nothing on this machine.

Taught in: 03-networking (`docker network create --subnet`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from labkit.base import iproute
from labkit.base.engine import client

# The course's own pool: private, and outside Docker's default address pools.
COURSE_POOL = ipaddress.ip_network("10.213.0.0/16")


def used_networks() -> list[ipaddress.IPv4Network]:
    """Subnets already in use: Docker networks' IPAM subnets and the host's routes."""
    used: list[ipaddress.IPv4Network] = []
    for net in client().networks.list():
        for cfg in (net.attrs.get("IPAM") or {}).get("Config") or []:
            subnet = cfg.get("Subnet", "")
            if subnet and ":" not in subnet:
                used.append(ipaddress.ip_network(subnet, strict=False))
    for route in iproute.routes("table", "all", ipv4=True):
        net = route.network
        if isinstance(net, ipaddress.IPv4Network) and net.prefixlen > 0:
            used.append(net)
    return used


def free_subnet(prefix: int = 24, pool: ipaddress.IPv4Network = COURSE_POOL,
                avoid: Iterable[ipaddress.IPv4Network] = ()) -> ipaddress.IPv4Network:
    """The first subnet of the course pool that overlaps nothing in use.

    Args:
        prefix: its prefix length (24 gives 254 addresses).
        pool: where to look.
        avoid: further subnets to stay clear of.
    """
    taken = [*used_networks(), *avoid]
    for candidate in pool.subnets(new_prefix=prefix):
        if not any(candidate.overlaps(t) for t in taken):
            return candidate
    raise RuntimeError(f"no free /{prefix} left in {pool}")
