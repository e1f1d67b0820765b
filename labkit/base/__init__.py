"""The ground floor: what every other folder of labkit stands on. It imports nothing above it.

- settings, errors, labels: configuration, the one exception family, the lesson labels.
- engine, facts: the SDK client (and the machine seam the unit tests replace); one object of
  engine facts (version, builder, storage, firewall, cgroup, host mode) that chapters ask.
- daemon: dockerd's record, ending a process (installing host tools and starting dockerd is
  labkit.cli.provision's: only the CLI does it).
- host, show: running a command on the Docker host; showing it the way a terminal would.
- containers, procfs, iproute: container facts; one reader per format (/proc and mountinfo,
  `ip -j`).
- http, wait: the loopback-only HTTP client; the one wait/poll primitive.
- refs, fmt: image references; the Progress type, digests and sizes as learners see them.
"""
