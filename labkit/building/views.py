"""Chapter 01's tables and sentences: what a cell shows after the command it ran.

Taught in: 01-building-images. Each view reads what a lesson made (the app's pages, a build
context, a rule set, a manifest list, the pulls) and lays it out; the lessons themselves live
in `frontapp`, `buildctx`, `dockerignore` and `platforms`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from labkit.base.errors import LabkitError
from labkit.base.fmt import short_digest
from labkit.base.i18n import _
from labkit.base.show import sh
from labkit.building.buildctx import CASES, GENERATED, measure
from labkit.building.dockerignore import (
    SDK_RULES,
    deciding_rule,
    files_under,
    find_argv,
    listed_files,
)
from labkit.building.frontapp import fetch
from labkit.building.platforms import (
    MANIFEST_LIST,
    OCI_INDEX,
    Variant,
    image_platform,
    platform_string,
)
from labkit.images.build import read_dockerignore
from labkit.images.buildlog import rounded_size
from labkit.lab import imagebuild
from labkit.lab.session import Lab

# -- 01 section 1: the front-end app ---------------------------------------------------------


def fetch_table(port: int, paths: list[str]) -> pd.DataFrame:
    """Fetch each path and tabulate status, Content-Type, size and whether it is index.html."""
    index = fetch(port, "/index.html")
    rows = []
    for path in paths:
        got = fetch(port, path)
        row = {k: v for k, v in asdict(got).items() if k != "body"}
        row["same body as index.html"] = got.body == index.body
        rows.append(row)
    return pd.DataFrame(rows)


# -- 01 section 2: the build context ---------------------------------------------------------


def cases_frame(cases: dict[str, Path]) -> pd.DataFrame:
    """What each case's folder holds, and what the SDK would send of it."""
    rows = []
    for case, folder in cases.items():
        on_disk = [p for p in folder.rglob("*") if p.is_file()]
        sent = measure(folder)
        rows.append({"case": case, "what": CASES.get(case, ""), "files on disk": len(on_disk),
                     "files sent": sent.files, "bytes sent": sent.bytes})
    return pd.DataFrame(rows)


def builders_frame(lab: Lab, cases: dict[str, Path], tag: str = "front-app:ctx"
                   ) -> pd.DataFrame:
    """Each case built by each builder this engine has: the build context each one sent.

    The classic builder sends the whole folder (minus .dockerignore); BuildKit asks the client
    only for what the Dockerfile's COPY steps name. Sizes are the builders' own reports
    ("Sending build context", "transferring context"), rounded: they vary by a few bytes.
    Taught in: 01-building-images.

    Returns:
        Columns case, classic builder, BuildKit ("not what `docker build` runs here" where
        labkit builds with the classic builder only).
    """
    buildkit = imagebuild.builder_for("buildkit") == "buildkit"
    rows = []
    for i, (case, folder) in enumerate(cases.items()):
        row = {"case": case}
        for title, builder in (("classic builder", "classic"), ("BuildKit", "buildkit")):
            if builder == "buildkit" and not buildkit:
                row[title] = "not what `docker build` runs here"
                continue
            # Each builder its own name: the classic image stays the classic builder's cache.
            suffix = "" if builder == "classic" else "-buildkit"
            done = lab.build(folder, f"{tag}{i}{suffix}", builder=builder)
            sent = done.context_bytes
            row[title] = "?" if sent is None else rounded_size(sent)
        rows.append(row)
    return pd.DataFrame(rows)


def sent_frame(context: str | Path, dockerfile: str | None = None) -> pd.DataFrame:
    """The files of the context tar, with a note on those the client added itself.

    With `-f` pointing outside the context, the client puts that Dockerfile into the tar under
    a generated name, and lists the name in the tar's .dockerignore so the daemon drops it
    once it has read it.
    """
    size = measure(context, dockerfile)
    generated = any(n.startswith(GENERATED) for n in size.members)
    rows = []
    for name in size.members:
        note = ""
        if name.startswith(GENERATED):
            name = GENERATED + "<generated>"
            note = f"{Path(str(dockerfile)).name} (the -f file), added by the client"
        elif name == ".dockerignore" and generated:
            note = "written by the client: names the generated file, so the daemon drops it"
        elif name == "Dockerfile" and generated:
            note = "the context's own Dockerfile: sent like any file, not used"
        rows.append({"path": name, "note": note})
    return pd.DataFrame(rows)


# -- 01 section 3: .dockerignore ---------------------------------------------------------------


def rules_frame(context: str | Path, *, show: bool = False) -> pd.DataFrame:
    """For every file of a context: is it sent (the SDK's own tar), and which rule decided.

    Args:
        context: the build context folder.
        show: list its files with `find` on the host, the line and its output printed (the
            table's rows are then what find printed); without, read the folder from Python.

    Returns:
        Columns path, sent, decided by.
    """
    patterns = read_dockerignore(context)
    sent = set(measure(context).members)
    files = listed_files(sh(find_argv(context)).stdout) if show else files_under(context)
    rows = []
    for path in files:
        rule = deciding_rule(path, patterns)
        note = " (added by the SDK)" if rule in SDK_RULES else ""
        rows.append({"path": path, "sent": path in sent,
                     "decided by": f"{rule}{note}" if rule else "(no rule: sent)"})
    return pd.DataFrame(rows)


def agreement_summary(frame: pd.DataFrame) -> str:
    """One sentence on an `agreement_frame`: the image holds what was sent, nothing else.

    Raises:
        LabkitError: a file is in the image but was not sent, or the other way round.
    """
    wrong = frame[~frame["agree"]]
    if not wrong.empty:
        raise LabkitError(
            _("The image and the rules disagree on {paths}.").format(
                paths=", ".join(wrong["path"])),
            _("did the Dockerfile or the .dockerignore change after the build? build again"),
        )
    sent = int(frame["sent"].sum())
    return (f"The image holds exactly the {sent} files the rules send, and none of the "
            f"other {len(frame) - sent}.")


# -- 01 section 4: multi-platform images -------------------------------------------------------


def variants_frame(variants: Sequence[Variant]) -> pd.DataFrame:
    """Each variant: the platform asked for, what its config says, what its binary is."""
    return pd.DataFrame([{
        "image": v.ref, "built with --platform": v.platform,
        "config says": image_platform(v.ref), "busybox compiled for": v.binary_arch,
    } for v in variants])


def manifest_frame(doc: dict[str, Any], variants: Sequence[Variant] = (),
                   pushed: dict[str, str] | None = None) -> pd.DataFrame:
    """The platforms of a manifest list, one row each (what `docker manifest inspect` shows).

    Args:
        doc: the manifest list, as JSON.
        variants: the lesson's builds, to say which one each entry is.
        pushed: {ref: digest} from the pushes, to match entries to builds.

    Raises:
        LabkitError: the document is a single image's manifest, not a list.
    """
    if doc.get("mediaType") not in {MANIFEST_LIST, OCI_INDEX} and "manifests" not in doc:
        raise LabkitError(_("This is one image's manifest, not a manifest list."),
                          _("inspect the list's name (the one given to `docker manifest "
                            "create`)"))
    by_digest = {digest: ref for ref, digest in (pushed or {}).items()}
    rows = []
    for entry in doc.get("manifests", []):
        p = entry.get("platform", {})
        rows.append({
            "platform": platform_string(p.get("os", ""), p.get("architecture", ""),
                                        p.get("variant")),
            "digest": short_digest(entry.get("digest", ""), algorithm=True),
            "mediaType": entry.get("mediaType", ""),
            "pushed as": by_digest.get(entry.get("digest", ""), ""),
        })
    frame = pd.DataFrame(rows)
    if not variants:
        frame = frame.drop(columns=["pushed as"])
    return frame


def pulls_frame(pulls: Sequence[dict[str, str]], variants: Sequence[Variant]) -> pd.DataFrame:
    """The pulls, each matched to the lesson's build it brought back (by image ID).

    On the containerd image store the image ID is the digest of the list itself: one image
    that holds every platform pulled, which the last column then says.
    """
    by_id = {v.image_id: v.ref for v in variants}

    def same(p: dict[str, str]) -> str:
        if p["image ID"] == p.get("list digest"):
            return "the list itself: one image, every platform pulled"
        return by_id.get(p["image ID"], "(none)")

    return pd.DataFrame([{**{k: v for k, v in p.items() if k not in ("image ID", "list digest")},
                          "same image as": same(p)} for p in pulls])
