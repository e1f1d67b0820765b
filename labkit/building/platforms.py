"""Multi-platform images: an image's architecture, variants per platform, a manifest list.

Taught in: 01-building-images (docker inspect, docker manifest create/push/inspect,
pulling with --platform). Everything happens in the lesson's registry on 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labkit.base.engine import client
from labkit.base.errors import LabkitError, friendly
from labkit.base.host import host
from labkit.base.i18n import _
from labkit.base.refs import Ref
from labkit.base.show import docker
from labkit.images import catalog as images
from labkit.images import rootfs
from labkit.lab.session import Lab
from labkit.lessons.registry import LocalRegistry

MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"

# ELF e_machine values (the architecture a binary was compiled for).
ELF_MACHINES = {3: "386", 40: "arm", 62: "amd64", 183: "arm64", 243: "riscv64", 22: "s390x",
                21: "ppc64le", 8: "mips64le"}

VARIANT_DOCKERFILE = """\
FROM scratch
COPY busybox /bin/busybox
CMD ["/bin/busybox", "uname", "-m"]
"""


def platform_string(os_name: str, arch: str, variant: str | None = None) -> str:
    """'linux/arm64', or 'linux/arm/v7' when there is a variant."""
    return "/".join(x for x in (os_name, arch, variant) if x)


def image_platform(ref: str) -> str:
    """The platform an image's config names (`docker inspect`: Os, Architecture, Variant)."""
    with friendly():
        attrs = client().images.get(ref).attrs
    return platform_string(attrs.get("Os", ""), attrs.get("Architecture", ""),
                           attrs.get("Variant"))


def elf_arch(path: str | Path) -> str:
    """The architecture a static binary was compiled for, read from its ELF header.

    Raises:
        LabkitError: the file is not an ELF binary.
    """
    head = Path(path).read_bytes()[:20]
    if head[:4] != b"\x7fELF":
        raise LabkitError(_("{path} is not an ELF binary.").format(path=path),
                          _("give the path of a program"))
    order = "little" if head[5] == 1 else "big"
    machine = int.from_bytes(head[18:20], order)
    return ELF_MACHINES.get(machine, f"machine {machine}")


def architectures() -> tuple[str, str]:
    """This machine's architecture and the other common one (amd64 and arm64)."""
    return rootfs.host_arch(), images.foreign_arch()


@dataclass(frozen=True)
class Variant:
    """One platform's image of a multi-platform image.

    Attributes:
        platform: the platform it was built for, e.g. "linux/arm64".
        ref: its name in the lesson's registry, e.g. "127.0.0.1:5000/tinybox:arm64".
        image_id: the image's ID.
        binary_arch: what the busybox inside was compiled for (from its ELF header).
    """

    platform: str
    ref: str
    image_id: str
    binary_arch: str


def build_variant(lab: Lab, registry: LocalRegistry, arch: str,
                  name: str = "tinybox") -> Variant:
    """Build a FROM-scratch image holding Debian's static busybox for ARCH, for that platform.

    Nothing runs during the build (no RUN), so a foreign architecture needs no emulator.
    """
    folder = lab.workdir(f"{name}-{arch}")
    shutil.copy2(rootfs.busybox_binary(arch), folder / "busybox")
    (folder / "Dockerfile").write_text(VARIANT_DOCKERFILE)
    platform = f"linux/{arch}"
    result = lab.build(folder, registry.ref(f"{name}:{arch}"), platform=platform)
    return Variant(platform, result.tag, result.image_id, elf_arch(folder / "busybox"))


def try_run(lab: Lab, ref: str) -> str:
    """Run an image's default command once; its output, or the error that stopped it."""
    done = lab.run_once(ref, flags=["--network", "none"], quiet=True)
    if done.ok:
        return done.stdout.strip()
    text = done.stderr.strip().splitlines()
    return f"failed (exit {done.returncode}): {text[-1] if text else 'no message'}"


PUSHED_DIGEST = re.compile(r"\bdigest: (sha256:[0-9a-f]{64})\b")


def push(ref: str, *, show: bool = True) -> str:
    """`docker push REF` to the lesson's registry, shown with what the CLI prints (unless not
    SHOW: an exercise's pushes would give its answer away); returns the pushed manifest's digest
    (the CLI's last line: `TAG: digest: sha256:... size: N`).

    Raises:
        LabkitError: the push did not go to 127.0.0.1, or the registry refused it.
    """
    _lesson_registry_only(ref)
    done = docker(["push", ref], show=show)
    said = PUSHED_DIGEST.search(done.stdout)
    if not said:
        raise LabkitError(_("The push of {ref} reported no digest.").format(ref=ref),
                          _("push it again; `docker push` prints the digest on its last line"))
    return said.group(1)


def _lesson_registry_only(ref: str) -> None:
    if not Ref.parse(ref).registry.startswith(("127.", "localhost")):
        raise LabkitError(_("{ref} is not in the lesson's registry.").format(ref=ref),
                          _("use only the lesson's registry on 127.0.0.1 (the course never "
                            "uses a public registry)"))


def manifest_argv(config_dir: str | Path, *args: str) -> list[str]:
    """A `docker manifest` command whose local state lives in CONFIG_DIR, not ~/.docker.

    `docker manifest create` keeps the list it builds under the CLI's config folder; pointing
    --config at a lesson folder means cleanup removes it.
    """
    return ["docker", "--config", str(config_dir), "manifest", *args]


def inspect_manifest(config_dir: str | Path, ref: str) -> dict[str, Any]:
    """`docker manifest inspect --insecure REF`, shown as it runs; its JSON, parsed (the table
    that follows is the view, so the JSON itself is not printed)."""
    argv = manifest_argv(config_dir, "inspect", "--insecure", ref)
    return json.loads(docker(argv[1:], quiet=True).stdout)


def platforms_of(doc: dict[str, Any]) -> list[str]:
    """The platforms a manifest list offers, e.g. ['linux/amd64', 'linux/arm64']."""
    out = []
    for entry in doc.get("manifests", []):
        p = entry.get("platform", {})
        out.append(platform_string(p.get("os", ""), p.get("architecture", ""), p.get("variant")))
    return out


def pull(lab: Lab, ref: str, platform: str | None = None) -> dict[str, str]:
    """`docker pull [--platform P] REF` from the lesson's registry, shown with what the CLI
    prints, recorded for cleanup.

    Returns:
        What the pull asked for and what it got: platform asked, platform and ID of the image.
    """
    _lesson_registry_only(ref)
    docker(["pull", *(["--platform", platform] if platform else []), ref])
    lab.record_pulled(ref)
    named = Ref.parse(ref).or_latest()
    with friendly():
        image = client().images.get(ref)
    digests = [d.partition("@")[2] for d in image.attrs.get("RepoDigests") or []
               if d.partition("@")[0] == named.name]
    return {"asked": platform or "(none: this machine's)", "image": ref,
            "got": image_platform(ref), "image ID": image.id,
            "list digest": digests[0] if digests else ""}


# -- running a foreign image: binfmt_misc ------------------------------------------------------
BINFMT = "/proc/sys/fs/binfmt_misc"
# Debian architecture -> the name qemu-user-binfmt (and Docker Desktop's binfmt) registers.
QEMU_NAMES = {"arm64": "qemu-aarch64", "amd64": "qemu-x86_64", "arm": "qemu-arm",
              "riscv64": "qemu-riscv64", "s390x": "qemu-s390x", "ppc64le": "qemu-ppc64le",
              "386": "qemu-i386"}
UNAME_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}


@dataclass(frozen=True)
class Emulation:
    """Whether the engine's host can run programs built for one architecture in a container.

    Attributes:
        arch: the architecture asked about ("arm64").
        runs: True when a container runs them (its own CPU, or an emulator registered with
            the F flag), False when it cannot, None when labkit cannot tell (binfmt_misc is
            not mounted where it looks).
        reason: one sentence saying why, read from /proc/sys/fs/binfmt_misc.
    """

    arch: str
    runs: bool | None
    reason: str


def _flags(lines: list[str]) -> str:
    return next((x.split(":", 1)[1].strip() for x in lines if x.startswith("flags:")), "")


def emulation(arch: str, native: str | None = None) -> Emulation:
    """Can an ARCH image run here? Reads /proc/sys/fs/binfmt_misc on the engine's host.

    The kernel runs machine code for its own CPU only, unless binfmt_misc hands a foreign ELF
    binary to an interpreter registered for it (qemu-user, Docker Desktop). Registrations
    belong to the kernel, not to the mount at /proc/sys/fs/binfmt_misc: where that is not
    mounted, labkit cannot tell. A container can use an interpreter only when it was
    registered with the F flag: the kernel opens the file at registration, so it need not be
    in the container's filesystem. Taught in: 01-building-images.

    Args:
        arch: a Debian architecture name ("arm64").
        native: the host's own architecture (default: the engine's, from `docker info`).
    """
    if native is None:
        from labkit.base.facts import facts

        found = facts().architecture
        native = UNAME_ARCH.get(found, found)
    if arch == native:
        return Emulation(arch, True, f"{arch} is this machine's own CPU architecture.")
    name = QEMU_NAMES.get(arch, f"qemu-{arch}")
    status = host().run(["cat", f"{BINFMT}/status"], check=False)
    if not status.ok:
        return Emulation(arch, None,
                         f"binfmt_misc is not mounted here ({BINFMT}/status is missing), so "
                         "labkit cannot read which emulators are registered (registrations "
                         f"belong to the kernel, not to the mount): the run below shows whether "
                         f"this kernel runs {arch} programs.")
    if status.stdout.strip() != "enabled":
        return Emulation(arch, False, f"binfmt_misc is disabled ({BINFMT}/status): the kernel "
                         f"refuses {arch} programs on this {native} machine.")
    entry = host().run(["cat", f"{BINFMT}/{name}"], check=False)
    if not entry.ok:
        return Emulation(arch, False,
                         f"{BINFMT} has no {name} entry: no emulator is registered for {arch}, "
                         f"so the kernel refuses its programs on this {native} machine (exec "
                         "format error). A static qemu registered with the F flag (Debian's "
                         "qemu-user-static) would run them.")
    lines = entry.stdout.splitlines()
    interpreter = next((x.split(None, 1)[1] for x in lines if x.startswith("interpreter ")), "?")
    if not (lines and lines[0].strip() == "enabled"):
        return Emulation(arch, False, f"{BINFMT}/{name} is registered but disabled: the "
                         f"kernel refuses {arch} programs on this {native} machine.")
    if "F" not in _flags(lines):
        return Emulation(arch, False,
                         f"{BINFMT}/{name} is enabled without the F flag: the kernel looks "
                         f"for {interpreter} in the container's own filesystem, where it is "
                         f"missing, so {arch} programs run on the host but not in a container.")
    return Emulation(arch, True,
                     f"{BINFMT}/{name} is enabled with the F flag: the kernel opened "
                     f"{interpreter} when it was registered and hands {arch} programs to it, "
                     "even in a container, so they run here (slowly) if it is statically "
                     "linked, as qemu-user-static is.")


def imagetools_inspect(ref: str) -> None:
    """`docker buildx imagetools inspect REF`: the same list as `docker manifest inspect`, read
    by buildx (which speaks plain HTTP to a registry on 127.0.0.1). Taught in: 01-building-images.

    Where the docker CLI has no buildx plugin, says so instead of running it.
    """
    from labkit.base.facts import facts

    _lesson_registry_only(ref)
    if not facts().buildx:
        print("docker buildx is not on this machine (Debian: docker-buildx), so "
              "`docker buildx imagetools inspect` is not shown; `docker manifest inspect` above "
              "reads the same list.")
        return
    docker(["buildx", "imagetools", "inspect", ref])
