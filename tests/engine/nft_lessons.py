"""03's SNAT and DNAT lessons on Docker's nftables backend, run by test_throwaway.py inside a
throwaway Docker 29 (`"firewall-backend": "nftables"`) with DOCKER_HOST at its socket, so
that every engine from 29 tries the nftables paths of labkit.networking for real. Exits 0
when every step held; it prints what the cells would print."""

from __future__ import annotations

from labkit.base.facts import facts
from labkit.base.host import host
from labkit.lab.session import Lab
from labkit.lessons import outside
from labkit.lessons.registry import free_port
from labkit.networking import checks, firewall, nat, netinspect


def main() -> None:
    assert facts().firewall_engine == "nftables", facts().line
    lab = Lab("03")
    try:
        docker0 = netinspect.bridge("docker0")
        world = outside.outside_world(lab)
        c1 = lab.run("labkit/busybox", ["sleep", "300"], name="t3-nft-c1")
        ip = netinspect.addresses(c1)["bridge"]
        nat.show_masquerade(docker0.subnet)
        nat.ask_outside(c1, world)
        bare = nat.ask_without_masquerade(lab, c1, world, timeout=3)
        # The exemption worked (the server saw the private address), and Docker's
        # raw-PREROUTING dropped the reply that came back from outside the bridge.
        assert bare.seen == "" and bare.dropped_by, bare
        assert all(r.chain == "raw-PREROUTING" and r.mentions([ip]) for r in bare.dropped_by)
        bare.explain()
        listed = ["nft", "list", "table", "ip", firewall.EXEMPT_TABLE]
        assert not host().run(listed, check=False).ok, "the exemption table outlived its block"
        nat.ask_outside(c1, world)
        before = nat.snapshot()
        port = free_port(18080, 18099)
        front = nat.run_published(lab, "labkit/nginx:1.22.1", world, name="t3-nft-front",
                                  port=port)
        front_ip = netinspect.addresses(front)["bridge"]
        frame = nat.diff(before, nat.snapshot(show=True), mentions=[front_ip, port])
        assert sum(" dnat to " in r for r in frame["rule"]) == 2 and "filter" in set(
            frame["table"]), frame
        rules = nat.port_rules(port, front_ip, show=True)
        assert any(r.startswith("nat-PREROUTING") for r in rules), rules
        nat.show_dnat(port, front_ip)
        nat.guard_loopback(lab, port)
        target = checks.new_dnat_target(lab)
        rule = next(r for r in firewall.read(["nat"], show=True)
                    if "dnat" in r.spec.lower() and r.mentions([target.port]))
        answer = rule.spec.split("--to-destination ")[-1].split("dnat to ")[-1].split()[0]
        assert checks.check_dnat(target.name, target.port, answer).passed
        net = lab.network("t3-nft-net", subnet="auto")
        c4 = lab.run("labkit/busybox", ["sleep", "300"], name="t3-nft-c4",
                     flags=["--network", net.name])
        netinspect.resolver_rules(c4)  # the netns's `ip docker-dns` table; raises if empty
    finally:
        print(lab.cleanup())


if __name__ == "__main__":
    main()
