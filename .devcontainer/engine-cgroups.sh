#!/bin/sh
# Lets the Docker Engine inside the dev container start containers on a cgroup v2 host
# (Codespaces, Docker Desktop, most Linux machines). The container's own cgroup is the root of
# its cgroup namespace; runc can give a container a cgroup with controllers only when no process
# sits in the cgroup above it. So every process moves into a child cgroup, `init`, and the
# controllers are then handed down to the children (what Docker's own docker:dind image does
# when it starts). On cgroup v1 there is nothing to do.
# Run as root by devcontainer.json (postCreateCommand, postStartCommand); safe to run again.
# LABKIT_CGROUP_ROOT and LABKIT_SELF_CGROUP are for tests/unit/test_devcontainer.py only.
set -eu
root=${LABKIT_CGROUP_ROOT:-/sys/fs/cgroup}
self=${LABKIT_SELF_CGROUP:-/proc/self/cgroup}

if [ ! -f "$root/cgroup.controllers" ]; then
  echo "engine-cgroups: cgroup v1, nothing to do"
  exit 0
fi
if [ -n "$(cat "$root/cgroup.subtree_control")" ]; then
  echo "engine-cgroups: the controllers are handed down already ($(cat "$root/cgroup.subtree_control"))"
  exit 0
fi
if [ "$(cat "$self")" != "0::/" ]; then
  # Not the root of a cgroup namespace of our own: these could be the host's cgroups.
  echo "engine-cgroups: this container has no cgroup namespace of its own; start it with" \
       "--cgroupns=private (devcontainer.json's runArgs do)" >&2
  exit 1
fi
mkdir -p "$root/init"
# cgroup.procs takes one PID per write; a process that ended in between is no loss.
xargs -rn1 < "$root/cgroup.procs" > "$root/init/cgroup.procs" || :
if ! sed -e 's/ / +/g' -e 's/^/+/' < "$root/cgroup.controllers" \
     > "$root/cgroup.subtree_control"; then
  echo "engine-cgroups: could not hand the controllers ($(cat "$root/cgroup.controllers")) down;" \
       "the engine inside will fail to start containers" >&2
  exit 1
fi
echo "engine-cgroups: handed down $(cat "$root/cgroup.subtree_control") (processes moved to init)"
