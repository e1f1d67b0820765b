"""What this machine needs for the dev container test, read from its own files at run time.

No registry answers here: the dev container's base image is derived from the course's own
`labkit/debian:bookworm` with this machine's apt configuration, and the container gets this
machine's on-disk pip index and pip configuration, read-only. Nothing here names a mirror or an
address; everything comes from /etc/apt, `pip config list` and PIP_* when the test runs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

APT = Path("/etc/apt")
# The labels every image this test builds carries (labkit's own, so nothing else is touched).
LABELS = {"io.labkit.built-locally": "true", "io.labkit.purpose": "tests/devcontainer"}


def _enabled_sources() -> list[Path]:
    """sources.list and the sources.list.d files apt reads (.list, .sources; not .disabled)."""
    found = [APT / "sources.list"] if (APT / "sources.list").is_file() else []
    folder = APT / "sources.list.d"
    if folder.is_dir():
        found += sorted(p for p in folder.iterdir()
                        if p.is_file() and p.suffix in (".list", ".sources"))
    return found


def _keyrings(sources: list[Path]) -> list[Path]:
    """The keyrings the sources name (Signed-By / signed-by=) that exist here."""
    named: set[Path] = set()
    for source in sources:
        for path in re.findall(r"(?:Signed-By:\s*|signed-by=)(/[^\s\]]+)", source.read_text()):
            if Path(path).is_file():
                named.add(Path(path))
    return sorted(named)


def _access_snippets() -> list[Path]:
    """apt.conf.d snippets on how apt reaches its archive (Acquire::, e.g. Check-Valid-Until)."""
    folder = APT / "apt.conf.d"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and "Acquire" in p.read_text(errors="replace"))


def base_context(folder: Path, source_image: str) -> Path:
    """A build context: `source_image` with this machine's apt sources, keyrings and access
    settings in place of its own. Returns the folder."""
    sources = _enabled_sources()
    if not sources:
        raise RuntimeError("this machine has no enabled apt sources (/etc/apt/sources.list*)")
    files = folder / "files"
    copies: list[Path] = [*sources, *_keyrings(sources), *_access_snippets()]
    for src in copies:
        dst = files / src.relative_to("/")
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    (folder / "Dockerfile").write_text(
        f"FROM {source_image}\n"
        "RUN rm -rf /etc/apt/sources.list /etc/apt/sources.list.d \\\n"
        " && mkdir -p /etc/apt/sources.list.d\n"
        "COPY files/ /\n")
    return folder


# -- pip ---------------------------------------------------------------------------------------

# Options whose values are where pip finds packages (index folders, wheels, constraints).
_LOCATION_KEYS = ("index-url", "extra-index-url", "find-links", "constraint")
_CONFIG_FILES = (Path("/etc/pip.conf"), Path("/etc/xdg/pip"), Path.home() / ".config" / "pip",
                 Path.home() / ".pip")


def pip_settings() -> dict[str, str]:
    """pip's configuration as it applies here: `pip config list` (files and PIP_* env)."""
    done = subprocess.run([sys.executable, "-m", "pip", "config", "list"],
                          capture_output=True, text=True, check=True, timeout=120)
    settings: dict[str, str] = {}
    for line in done.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            settings[key.strip()] = value.strip().strip("'\"")
    return settings


def _local_folder(value: str) -> Path | None:
    """The folder on this disk a pip location stands for (an index's parent: its files sit
    beside `simple/`), or None for a remote one."""
    path = value[len("file://"):] if value.startswith("file://") else value
    if not path.startswith("/"):
        return None
    found = Path(path)
    if found.name == "simple":
        found = found.parent
    if found.is_file():
        found = found.parent
    return found if found.exists() else None


def pip_mounts() -> list[Path]:
    """What to bind read-only into the container: pip's configuration files and every local
    index, wheel folder and constraints file its settings name (same path inside)."""
    values: list[str] = []
    for key, value in pip_settings().items():
        if key.rsplit(".", 1)[-1] in _LOCATION_KEYS:
            values += value.split()
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONSTRAINT"):
        values += os.environ.get(name, "").split()
    found = {p for p in map(_local_folder, values) if p is not None}
    found |= {p for p in _CONFIG_FILES if p.exists()}
    if os.environ.get("PIP_CONFIG_FILE"):
        found.add(Path(os.environ["PIP_CONFIG_FILE"]))
    # A folder inside another is mounted with it.
    return sorted(p for p in found if not any(o != p and o in p.parents for o in found))


def pip_env() -> dict[str, str]:
    """The PIP_* variables of this environment (they are part of pip's configuration)."""
    return {k: v for k, v in os.environ.items() if k.startswith("PIP_")}


def pip_cert() -> Path | None:
    """The CA bundle pip trusts here (PIP_CERT or `cert`), if it is not the default one.

    It may hold a CA the container's own bundle lacks (a TLS-inspecting proxy's): it goes in
    beside the container's bundle (CERT_INSIDE), never over it, since apt's ca-certificates
    rewrites that one.
    """
    value = os.environ.get("PIP_CERT") or next(
        (v for k, v in pip_settings().items() if k.rsplit(".", 1)[-1] == "cert"), "")
    return Path(value) if value and Path(value).is_file() else None


CERT_INSIDE = "/usr/local/share/labkit-test/pip-cert.pem"


def for_this_machine(config: dict, base: str) -> dict:
    """devcontainer.json with what this machine needs: the local base image as build arg
    BASE, pip's local index and settings bound read-only, PIP_* in containerEnv."""
    config = dict(config)
    config["build"] = {**config["build"], "args": {**config["build"].get("args", {}),
                                                   "BASE": base}}
    config["mounts"] = [*config.get("mounts", []),
                        *(f"type=bind,source={p},target={p},readonly" for p in pip_mounts())]
    config["containerEnv"] = {**config.get("containerEnv", {}), **pip_env()}
    cert = pip_cert()
    if cert is not None:
        config["mounts"].append(f"type=bind,source={cert},target={CERT_INSIDE},readonly")
        config["containerEnv"]["PIP_CERT"] = CERT_INSIDE
    return config


# -- when --privileged cannot start a container here -------------------------------------------

# The kernel's capabilities by number (capability(7)); Docker 20.10 knows those up to AUDIT_READ.
CAPS = ("CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP "
        "LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER "
        "SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE "
        "SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP "
        "MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ").split()

# Inside: what --privileged would have given, made writable (sysfs and each cgroup v1 mount of
# the container's own cgroup namespace) before the engine starts.
REMOUNT = ("mount -o remount,rw /sys"
           " && for d in /sys/fs/cgroup/*/; do mount -o remount,bind,rw \"$d\"; done")


def missing_capabilities() -> list[str]:
    """Capabilities the kernel has but this machine's engine may not grant (its bounding set
    lacks them, as in some sandboxed VMs): Docker's --privileged asks for all and fails with
    "unable to apply caps: operation not permitted"."""
    status = Path("/proc/self/status").read_text()
    bounding = int(re.search(r"^CapBnd:\s*([0-9a-f]+)", status, re.MULTILINE).group(1), 16)
    return [name for bit, name in enumerate(CAPS) if not bounding & (1 << bit)]


def without_privileged(config: dict, missing: list[str]) -> dict:
    """devcontainer.json with `privileged` spelled out, less the capabilities this machine
    lacks: every other capability, no seccomp or AppArmor profile, /proc unmasked, every
    device allowed, and /sys and the cgroup mounts writable (onCreateCommand, first)."""
    config = {k: v for k, v in config.items() if k != "privileged"}
    config["runArgs"] = [*config.get("runArgs", []), "--cap-add=ALL",
                         *(f"--cap-drop={name}" for name in missing),
                         "--security-opt", "seccomp=unconfined",
                         "--security-opt", "apparmor=unconfined",
                         "--security-opt", "systempaths=unconfined",
                         "--device-cgroup-rule", "a *:* rwm"]
    assert "onCreateCommand" not in config
    config["onCreateCommand"] = REMOUNT
    config["postStartCommand"] = f"{REMOUNT} && {config['postStartCommand']}"
    return config
