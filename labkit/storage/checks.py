"""Exercise checks of chapters 02 and 02b: a rename in an overlay, the layer whose copy of a
file a container sees, the cost of copy-up, a layer's diff_id, the `.wh.` entries of a layer tar.

Taught in: 02-overlayfs-and-image-storage (exercises 02.1, 02.2, 02.3) and
02b-image-anatomy-and-the-wire (exercises 02b.1, 02b.2). Each answer is what a learner types
or reads (`ls -l`, `stat`, `docker history`, `docker image inspect`, `tar`); each check reads
the live system: the learner's overlay, or an image that the exercise builds fresh (with
random content or size where that helps), so no earlier cell's output answers it. The
placeholder `...` is "not answered yet"; a wrong answer gets a hint that points at the idea,
and from the second wrong try a narrower one (`more`).
"""

from __future__ import annotations

import random
import re
import secrets
import shlex
from collections.abc import Mapping
from pathlib import Path

from labkit.base.engine import client
from labkit.base.errors import LabkitError, friendly
from labkit.base.i18n import N_, _, ngettext
from labkit.base.procfs import mounted
from labkit.base.show import sh
from labkit.lab.exercises import CheckResult, failed, is_unanswered, passed, unanswered
from labkit.lab.session import Lab
from labkit.storage import imagesave, layertar, overlay
from labkit.storage.overlay import OverlayDirs, kind

RENAME = "02.1 what a rename leaves in upperdir"
LAYER = "02.2 which layer gives a container its file"
COPY_UP = "02.3 the cost of copy-up"
DIFF_ID = "02b.1 compute a layer's diff_id"
TAR_WHITEOUTS = "02b.2 the .wh. entries of a layer tar"

KINDS = ("file", "whiteout", "missing")
HEX = re.compile(r"^[0-9a-f]+$")


# -- 02.1 a rename through merged ----------------------------------------------------------------
RENAME_HINTS = {
    "old": (N_("the old name still exists in lowerdir, which overlay never changes: how does the "
               "union stop showing a name that a lower layer has?"),
            N_("section 2.3 shows what upperdir holds for a name deleted through merged")),
    "new": (N_("lowerdir cannot change, so the file under its new name must live somewhere "
               "writable: with which bytes?"),
            N_("section 2.4 shows what upperdir holds once something of lowerdir is changed")),
}


def _unanswered_prediction(prediction: object) -> bool:
    """A prediction still holding the placeholder: `...` itself, or `...` for any name."""
    if isinstance(prediction, Mapping):
        return not prediction or any(is_unanswered(v) for v in prediction.values())
    return is_unanswered(prediction)


def check_rename(dirs: OverlayDirs, old: str, new: str,
                 prediction: Mapping[str, str]) -> CheckResult:
    """02.1: PREDICTION says what `ls -l upper` shows for OLD and NEW ("file", "whiteout" or
    "missing") once the learner ran `mv merged/OLD merged/NEW`; compared with this overlay."""
    if _unanswered_prediction(prediction):
        return unanswered(
            RENAME,
            _(
                'your prediction for {old} and {new} in upperdir ("file", '
                '"whiteout" or "missing"), and the mv through merged'
            ).format(old=old, new=new),
        )
    keys = {old, new}
    if not isinstance(prediction, Mapping) or set(prediction) != keys:
        return failed(
            RENAME,
            _("the prediction needs exactly the keys {keys}").format(keys=sorted(keys)),
            _('e.g. prediction = {{"{old}": "...", "{new}": "..."}}').format(old=old, new=new),
            more=_("each value is one of {kinds}").format(kinds=", ".join(map(repr, KINDS))),
        )
    if dirs.upper is None or not mounted(str(dirs.merged)):
        return failed(RENAME, _("the exercise overlay is not mounted"),
                      _("run the cell with overlay.make_exercise(lab) again"))
    if kind(dirs.lowers[0] / old) != "file":
        return failed(RENAME, _("lowerdir/{old} was changed from below").format(old=old),
                      _("rename through merged only; run make_exercise again to start over"))
    if kind(dirs.merged / new) != "file" or kind(dirs.merged / old) != "missing":
        return failed(
            RENAME,
            _("merged does not show {old} renamed to {new} yet").format(old=old, new=new),
            _(
                "after your prediction, rename the file in the same cell with mv, "
                "through the union, as a program in a container would"
            ),
            more=_("both names are paths under merged"),
        )
    seen = {name: kind(dirs.upper / name) for name in (old, new)}
    wrong = [name for name in (old, new) if str(prediction[name]).strip().lower() != seen[name]]
    if wrong:
        hint, more = RENAME_HINTS["old" if wrong[0] == old else "new"]
        return failed(
            RENAME,
            _("your prediction for {wrong} is not what upperdir shows now").format(
                wrong=", ".join(wrong)
            ),
            _(hint),
            more=_(more),
        )
    return passed(
        RENAME,
        _(
            "upperdir: {old} is {seen}, {new} is {seen2}; lowerdir still has "
            "{old}, as you predicted"
        ).format(old=old, seen=seen[old], new=new, seen2=seen[new]),
    )


# -- 02.2 the layer whose copy a container sees ----------------------------------------------
# On labkit/busybox (a few MB): the check's `docker save` and its reading of every layer's tar
# take a tenth of what they take on Debian's 50 MB layer, and the base adds nothing to find.
PUZZLE_BASE = "labkit/busybox"
PUZZLE_FILE = "/srv/app/app.conf"
PUZZLE_STEPS = (
    "mkdir -p /srv/app && echo 'port=8080' > /srv/app/app.conf",
    "echo 'debug=false' >> /srv/app/app.conf",
    "echo '<h1>hello</h1>' > /srv/app/index.html",
    "chmod 600 /srv/app/app.conf",
    "echo '<h1>hello again</h1>' > /srv/app/index.html",
)
_holders: dict[str, list[bool]] = {}


def _build(lab: Lab, tag: str, dockerfile: str, files: Mapping[str, str] | None = None,
           builder: str = "classic") -> str:
    """`docker build` of DOCKERFILE (and FILES in its context); prints the Dockerfile."""
    context = lab.workdir("ctx-" + tag.replace("/", "_").replace(":", "_"))
    (context / "Dockerfile").write_text(dockerfile)
    for name, text in (files or {}).items():
        (context / name).write_text(text)
    result = lab.build(context, tag, builder=builder)
    print(f"# {result.tag}\n{dockerfile}", end="")
    return result.tag


def build_layer_puzzle(lab: Lab, tag: str = "layer-puzzle:v1") -> str:
    """Exercise 02.2: build an image whose RUN steps write, change and chmod /srv/app/app.conf.

    Prints the `docker build` line and the Dockerfile; returns the image's name. BuildKit
    (the classic builder where `docker build` is not BuildKit) runs the five RUN steps in
    about a third of the classic builder's time; each still makes one layer.
    """
    steps = "".join(f"RUN {step}\n" for step in PUZZLE_STEPS)
    return _build(lab, tag, f"FROM {PUZZLE_BASE}\n{steps}", builder="buildkit")


def _layers_holding(lab: Lab, ref: str, image_id: str, path: str) -> list[bool]:
    """For each layer of REF, bottom first: does its tar (from `docker save`) hold PATH?"""
    key = f"{image_id} {path}"
    if key not in _holders:
        saved = imagesave.save(lab, ref)
        entry = path.strip("/")
        _holders[key] = [entry in {n.rstrip("/") for n in layertar._names(saved, i)}
                         for i in range(len(saved.layers))]
    return _holders[key]


def check_layer_holding(lab: Lab, ref: str, path: str, answer: str) -> CheckResult:
    """02.2: ANSWER is the diff_id (`docker image inspect`, RootFS.Layers; at least its first
    12 hex digits) of the layer of REF whose copy of PATH a container sees. The check reads the
    image's layer tars (`docker save`)."""
    if is_unanswered(answer):
        return unanswered(
            LAYER, _("the diff_id of the layer whose {path} a container sees").format(path=path)
        )
    given = str(answer).strip().lower().removeprefix("sha256:")
    if len(given) < 12 or not HEX.match(given):
        return failed(LAYER, _("{answer!r} is not a diff_id").format(answer=answer),
                      _("answer with the layer's diff_id (at least its first 12 hex digits)"),
                      more=_("`docker image inspect` lists an image's diff_ids under RootFS"))
    with friendly():
        image = client().images.get(ref)
    diff_ids = [d.removeprefix("sha256:") for d in image.attrs["RootFS"]["Layers"]]
    chosen = next((i for i, d in enumerate(diff_ids) if d.startswith(given)), None)
    order = (_("`docker history` lists the steps top first; RootFS.Layers lists the layers "
               "bottom first, one per step that changed files"))
    if chosen is None:
        if image.id.removeprefix("sha256:").startswith(given):
            return failed(LAYER, _("that is the image ID, not a layer's"),
                          _("a layer's identity is its diff_id: RootFS.Layers"), more=order)
        return failed(LAYER, _("no layer of {ref} has that diff_id").format(ref=ref),
                      _("list them: docker image inspect {ref}").format(ref=ref), more=order)
    holds = _layers_holding(lab, ref, image.id, path)
    top = max((i for i, h in enumerate(holds) if h), default=None)
    where = _("layer {n} of {total} (bottom first)").format(n=chosen + 1, total=len(diff_ids))
    if chosen == top:
        return passed(
            LAYER, _("{where} holds the {path} a container sees").format(where=where, path=path)
        )
    if holds[chosen]:
        return failed(
            LAYER,
            _("{where} holds a {path}, but a layer above has its own copy").format(
                where=where, path=path
            ),
            _("several layers hold this path: a container sees the topmost copy"),
            more=_(
                "a layer stores whole files: any change to a file in a step, even "
                "to its metadata, puts the whole file in that step's layer"
            ),
        )
    return failed(LAYER, _("{where} has no {path}").format(where=where, path=path),
                  _("which steps of the Dockerfile change that file?"), more=order)


# -- 02.3 the cost of copy-up ------------------------------------------------------------------
COPY_UP_FILE = "data.bin"
COPY_UP_WRITE = "EDIT"


def copy_up_overlay(lab: Lab) -> str:
    """Exercise 02.3: mount a fresh overlay whose lowerdir holds data.bin of a random size.

    Shows `ls -l` of data.bin in lowerdir and merged, and of upperdir; returns the overlay's
    folder (lower/, upper/, merged/ inside).
    """
    root = lab.workdir("copy-up")
    for sub in ("lower", "upper", "work", "merged"):
        (root / sub).mkdir()
    size = random.randint(100_000, 900_000)
    (root / "lower" / COPY_UP_FILE).write_bytes(b"x" * (size - 1) + b"\n")
    dirs = _copy_up_dirs(root)
    overlay.mount(lab, dirs)
    listing = shlex.join(["ls", "-l", "--time-style=+", f"lower/{COPY_UP_FILE}",
                          f"merged/{COPY_UP_FILE}", "upper"])
    sh(["sh", "-c", f"cd {shlex.quote(str(root))} && {listing}"])
    return str(root)


def _copy_up_dirs(root: Path) -> OverlayDirs:
    return OverlayDirs(root, (root / "lower",), root / "upper", root / "work", root / "merged")


def check_copy_up(folder: str | Path, predicted_bytes: int) -> CheckResult:
    """02.3: PREDICTED_BYTES is what `ls -l upper/data.bin` shows once 4 bytes are written over
    the start of data.bin through merged. The check writes them itself, once (the shell command
    it runs is shown), then reads the size in upperdir; run again, it only reads."""
    name = COPY_UP_FILE
    if is_unanswered(predicted_bytes):
        return unanswered(
            COPY_UP, _("the number of bytes upperdir will hold for {name}").format(name=name)
        )
    try:
        predicted = int(predicted_bytes)
    except (TypeError, ValueError):
        return failed(
            COPY_UP,
            _("{predicted_bytes!r} is not a number of bytes").format(
                predicted_bytes=predicted_bytes
            ),
            _("answer with an int, the size `ls -l` would show"),
            more=_("the size of {name} in upperdir, in bytes, after the write").format(name=name),
        )
    dirs = _copy_up_dirs(Path(folder))
    upper, lower = dirs.upper / name, dirs.lowers[0] / name  # type: ignore[operator]
    if kind(lower) != "file" or not mounted(str(dirs.merged)):
        return failed(COPY_UP, _("the exercise overlay is not mounted"),
                      _("run the cell with checks.copy_up_overlay(lab) again"))
    if kind(upper) == "missing":
        target = shlex.quote(str(dirs.merged / name))
        sh(["sh", "-c", f"printf {COPY_UP_WRITE} | dd of={target} conv=notrunc status=none"])
    if kind(upper) != "file":
        return failed(COPY_UP, _("upperdir has no {name}").format(name=name),
                      _("run the cell with checks.copy_up_overlay(lab) again"))
    actual, below = upper.stat().st_size, lower.stat().st_size
    if predicted != actual:
        return failed(
            COPY_UP,
            _("you predicted {predicted:,} bytes; upperdir holds {value}").format(
                predicted=predicted, value="more" if actual > predicted else "fewer"
            ),
            _(
                "does overlay copy up only the bytes that were written, or the whole "
                "file? lowerdir cannot change, so upperdir's copy must be complete"
            ),
            more=_(
                "the write replaced {copy_up_write} bytes in place: it added none; "
                "how big is the file in lowerdir?"
            ).format(copy_up_write=len(COPY_UP_WRITE)),
        )
    return passed(
        COPY_UP,
        _(
            "upperdir holds the whole file, copied up for a write of "
            "{copy_up_write} bytes: all {below:,} bytes of {name}"
        ).format(copy_up_write=len(COPY_UP_WRITE), below=below, name=name),
    )


# -- 02b.1 a layer's diff_id -----------------------------------------------------------------
def build_fresh_image(lab: Lab, tag: str = "fresh-layer:v1") -> str:
    """Exercise 02b.1: build an image whose top layer holds a file of random content.

    Prints the `docker build` line and the Dockerfile; returns the image's name.
    """
    token = f"token {secrets.token_hex(16)}\n"
    return _build(lab, tag, "FROM labkit/busybox\nCOPY token.txt /srv/token.txt\n",
                  {"token.txt": token})


def _archive_names(folder: str | Path | None) -> set[str]:
    """The blob names and top-level folder names of an unpacked `docker save` archive."""
    if folder is None:
        return set()
    root = Path(folder)
    blobs = root / "blobs" / "sha256"
    names = {p.name for p in blobs.iterdir()} if blobs.is_dir() else set()
    return names | ({p.name for p in root.iterdir() if p.is_dir()} if root.is_dir() else set())


def check_diff_id(ref: str, answer: str, folder: str | Path | None = None) -> CheckResult:
    """02b.1: ANSWER ("sha256:<64 hex>") is the diff_id of REF's top layer, computed by hashing
    its tar from `docker save` (unpacked in FOLDER); compared with `docker image inspect`."""
    if is_unanswered(answer):
        return unanswered(DIFF_ID, _("\"sha256:\" + the hex digest of the top layer's tar"))
    text = str(answer).strip().lower()
    given = text.removeprefix("sha256:")
    if len(given) != 64 or not HEX.match(given):
        return failed(DIFF_ID, _("{answer!r} is not a sha256 digest").format(answer=answer),
                      _("a sha256 digest has 64 hex digits; diff_ids are written \"sha256:<hex>\""),
                      more=_("hashlib.sha256(data).hexdigest() gives the 64 digits"))
    if not text.startswith("sha256:"):
        return failed(DIFF_ID, _("the digest has no algorithm in front"),
                      _("diff_ids are written \"sha256:<hex>\""),
                      more=_("RootFS.Layers in `docker image inspect` shows the form"))
    with friendly():
        image = client().images.get(ref)
    diff_ids = image.attrs["RootFS"]["Layers"]
    if text == diff_ids[-1]:
        return passed(DIFF_ID, _("the sha256 of the top layer's tar is its diff_id"))
    if text in diff_ids:
        return failed(
            DIFF_ID,
            _("that is the diff_id of layer {index} of {total}").format(
                index=diff_ids.index(text) + 1, total=len(diff_ids)
            ),
            _("the top layer is the last one manifest.json lists"),
            more=_("manifest.json's Layers go bottom first"),
        )
    if text == image.id:
        return failed(
            DIFF_ID,
            _("that is the image ID"),
            _("hash the layer's tar, not the image's manifest or config"),
            more=_("manifest.json's Layers name the layer files"),
        )
    if given in _archive_names(folder):
        return failed(DIFF_ID, _("that is the name of a file or folder in the archive"),
                      _("a blob is named by the sha256 of its bytes as stored: compressed, they "
                        "are not the tar's bytes"),
                      more=_("look at the file's first two bytes: 1f 8b means gzip"))
    return failed(DIFF_ID, _("no layer of the image has that diff_id"),
                  _("hash the top layer's whole tar, uncompressed"),
                  more=_("look at the file's first two bytes: 1f 8b means gzip"))


# -- 02b.2 the .wh. entries of a layer tar ---------------------------------------------------
def _entry(name: str) -> str:
    """A tar entry name as the tar stores it: no leading "/" or "./"."""
    return str(name).strip().removeprefix("./").lstrip("/")


def check_tar_whiteouts(lab: Lab, image: str | None, predicted: object) -> CheckResult:
    """02b.2: PREDICTED is the set of `.wh.` entries (as `tar -tf` lists them) in the top layer
    tar of the learner's IMAGE (built by layertar.build_step). The check saves IMAGE
    (`docker save`) and reads that tar."""
    if is_unanswered(image):
        return unanswered(TAR_WHITEOUTS, _("a RUN step of your own (my_step), built first"))
    if is_unanswered(predicted) or (isinstance(predicted, str) and "..." in predicted):
        return unanswered(TAR_WHITEOUTS, _("the set of .wh. entry names you expect"))
    names = {predicted} if isinstance(predicted, str) else predicted
    try:
        wanted = {_entry(n) for n in names}  # type: ignore[union-attr]
    except TypeError:
        return failed(TAR_WHITEOUTS, _("the prediction is not a set of entry names"),
                      _("e.g. {\"some/folder/.wh.name\"}"),
                      more=_("a set of strings, one per .wh. entry"))
    wanted.discard("")
    try:
        found = set(layertar.whiteout_entries(imagesave.save(lab, image)))
    except LabkitError as exc:
        return failed(
            TAR_WHITEOUTS,
            _("could not read {image}'s top layer: {message}").format(
                image=image, message=exc.message
            ),
            exc.hint or _("build your image again with layertar.build_step"),
        )
    if not found:
        return failed(
            TAR_WHITEOUTS,
            _("the top layer of {image} deletes nothing").format(image=image),
            _("your RUN step must remove something that the base image has (rm, rm -r)"),
            more=_(
                "a file or folder that `docker run --rm labkit/debian:bookworm ls` "
                "shows, under /etc say"
            ),
        )
    if layertar.only_the_lessons(found):
        return failed(TAR_WHITEOUTS, _("your step deletes only what the lesson's deleter did"),
                      _("choose a file or folder of your own to delete"),
                      more=_("anything but /etc/motd and /usr/share/doc"))
    if wanted == found:
        return passed(
            TAR_WHITEOUTS,
            ngettext("the top layer of {image} holds exactly your {found} .wh. entry",
                     "the top layer of {image} holds exactly your {found} .wh. entries",
                     len(found)).format(image=image, found=len(found)),
        )
    missing, extra = sorted(found - wanted), sorted(wanted - found)
    parts = []
    if missing:
        parts.append(ngettext("{n} .wh. entry of the tar you did not predict",
                              "{n} .wh. entries of the tar you did not predict",
                              len(missing)).format(n=len(missing)))
    if extra:
        parts.append(_("{n} predicted name(s) not in the tar").format(n=len(extra)))
    return failed(TAR_WHITEOUTS, _("; ").join(parts),
                  _("a tar cannot hold 'nothing': each deleted name becomes an empty entry of "
                    "its own, named after it with the prefix .wh.; entry names are paths "
                    "relative to /, with no leading slash"),
                  more=_("the entry sits in the folder that held the deleted name; a folder "
                         "removed whole is one name, and what was inside it is not listed"))
