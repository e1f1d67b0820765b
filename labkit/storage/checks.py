"""Exercise checks of chapter 02: whiteouts, layers that hold a file, diff_ids, copy-up, and
the `.wh.` entries of a layer tar.

Taught in: 02-overlayfs-and-image-storage (exercises 02.1, 02.2, 02.4) and
02b-image-anatomy-and-the-wire (exercises 02.3, 02.5). Each check returns a CheckResult: the
placeholder `...` is "not answered yet"; a wrong answer gets a hint that points at the idea,
not at the answer, and from the second wrong try a more specific one (`more`). Each check
looks at what the learner's own answer made: their overlay, their image's saved tar.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from labkit.base.engine import client
from labkit.base.errors import LabkitError, friendly
from labkit.base.fmt import short_digest
from labkit.base.procfs import mounted
from labkit.lab.exercises import CheckResult, failed, is_unanswered, passed, unanswered
from labkit.lab.session import Lab
from labkit.storage import imagesave, layertar, overlay, store
from labkit.storage.imagesave import SavedImage
from labkit.storage.overlay import OverlayDirs, kind

WHITEOUT = "02.1 predict, then produce a whiteout"
LAYER = "02.2 which layer gives a container its file"
DIFF_ID = "02.3 compute a layer's diff_id"
COPY_UP = "02.4 the cost of copy-up"
TAR_WHITEOUTS = "02.5 the .wh. entries of a layer tar"

EXPECTED_AFTER_DELETE = {"merged": "missing", "upperdir": "whiteout", "lowerdir": "file"}
PREDICTION_HINTS = {
    "merged": "after the delete, what does a program looking at the union see?",
    "upperdir": "the file still exists in lowerdir, so the deletion has to be written down "
                "somewhere writable, as a special kind of entry",
    "lowerdir": "overlay never writes to lowerdir: an image's layers stay exactly as built",
}
PREDICTION_MORE = {
    "merged": 'the union no longer shows a deleted name: "missing"',
    "upperdir": 'overlay records a deletion as a character device 0,0 in upperdir: "whiteout"',
    "lowerdir": 'lowerdir keeps its copy of the file, unchanged: "file"',
}
HEX = re.compile(r"^[0-9a-f]+$")


def _unanswered_prediction(prediction: object) -> bool:
    """A prediction still holding the placeholder: `...` itself, or `...` for any folder."""
    if isinstance(prediction, Mapping):
        return not prediction or any(is_unanswered(v) for v in prediction.values())
    return is_unanswered(prediction)


def check_whiteout(dirs: OverlayDirs, name: str, prediction: Mapping[str, str]) -> CheckResult:
    """02.1: the prediction (kind of NAME in merged, upperdir, lowerdir after deleting it
    through merged: "file", "missing" or "whiteout") against what the learner's own overlay
    shows once they deleted it there."""
    if _unanswered_prediction(prediction):
        return unanswered(WHITEOUT, 'your prediction for each folder ("file", "missing" or '
                                    '"whiteout"), and delete the file through merged')
    keys = set(EXPECTED_AFTER_DELETE)
    if not isinstance(prediction, Mapping) or set(prediction) != keys:
        return failed(WHITEOUT, f"the prediction needs exactly the keys {sorted(keys)}",
                      'e.g. prediction = {"merged": "...", "upperdir": "...", "lowerdir": "..."}',
                      more='each value is one of "file", "missing", "whiteout"')
    if dirs.upper is None or not mounted(str(dirs.merged)):
        return failed(WHITEOUT, "the exercise overlay is not mounted",
                      "run the cell with overlay.make_exercise(lab) again")
    seen = {"lowerdir": kind(dirs.lowers[0] / name), "upperdir": kind(dirs.upper / name),
            "merged": kind(dirs.merged / name)}
    if seen["lowerdir"] != "file":
        return failed(WHITEOUT, f"lowerdir/{name} is {seen['lowerdir']}: it was changed from "
                                "below", "delete through merged only; run make_exercise again "
                                "to start over")
    if seen["merged"] != "missing":
        return failed(WHITEOUT, f"merged still shows {name}: it has not been deleted yet",
                      "after your prediction, delete the file through the union (merged), "
                      "as a program in a container would",
                      more=f"(ex.merged / {name!r}).unlink(missing_ok=True)")
    if seen["upperdir"] != "whiteout":
        return failed(WHITEOUT, f"upperdir holds {seen['upperdir']} for {name}, not a whiteout",
                      "delete it through merged rather than making files in upperdir by hand")
    wrong = sorted(k for k, v in prediction.items() if str(v).strip().lower() != seen[k])
    if wrong:
        return failed(WHITEOUT, f"your prediction for {', '.join(wrong)} is not what the "
                                "folders show now", PREDICTION_HINTS[wrong[0]],
                      more=PREDICTION_MORE[wrong[0]])
    return passed(WHITEOUT, f"{name}: gone from merged, a whiteout (c 0,0) in upperdir, "
                            "untouched in lowerdir, as you predicted")


def _normalize(answer: str) -> str:
    return str(answer).strip().lower().removeprefix("sha256:")


def check_layer_holding(ref: str, path: str, answer: str) -> CheckResult:
    """02.2: ANSWER is the diff_id (or its first 12+ hex digits) of the layer of REF whose
    copy of PATH a container sees."""
    if is_unanswered(answer):
        return unanswered(LAYER, f"the diff_id of the layer whose {path} a container sees")
    given = _normalize(answer)
    if len(given) < 12 or not HEX.match(given):
        return failed(LAYER, f"{answer!r} is not a diff_id",
                      "answer with the layer's diff_id (at least its first 12 hex digits)",
                      more="each LayerDir of store.image_layers(...) has a .diff_id")
    layers = store.image_layers(ref)
    kinds = [kind(layer.path / path.lstrip("/")) for layer in layers]
    top = max((i for i, k in enumerate(kinds) if k != "missing"), default=None)
    chosen = next((i for i, layer in enumerate(layers)
                   if short_digest(layer.diff_id, 64).startswith(given)), None)
    look = (f"keep the layers of store.image_layers({ref!r}) (bottom first) whose "
            f"layer.path / {path.lstrip('/')!r} exists; the last one is on top")
    if chosen is None:
        if any(layer.short_name and layer.dir_id.startswith(given) for layer in layers):
            return failed(LAYER, "that is the name of an overlay2 folder (a cache-id)",
                          "folder names are random; the layer's identity is its diff_id",
                          more="the layer's diff_id is LayerDir.diff_id, not LayerDir.dir_id")
        if any(short_digest(layer.chain_id, 64).startswith(given) for layer in layers):
            return failed(LAYER, "that is a chain ID (the layer plus all below it)",
                          "answer with the diff_id: RootFS.Layers in docker inspect",
                          more="the layer's diff_id is LayerDir.diff_id, not .chain_id")
        return failed(LAYER, f"no layer of {ref} has that diff_id",
                      f"list them: store.image_layers({ref!r})", more=look)
    if top is not None and chosen == top:
        return passed(LAYER, f"{layers[chosen].role} holds the {path} containers see")
    if kinds[chosen] != "missing":
        return failed(LAYER, f"{layers[chosen].role} holds a {path}, but a layer above "
                             "has its own copy",
                      "several layers hold this path: the container sees the topmost copy",
                      more=look)
    return failed(LAYER, f"{layers[chosen].role} has no {path}",
                  "look for the path in each layer's diff/ folder", more=look)


def check_diff_id(ref: str, answer: str, saved: SavedImage | None = None) -> CheckResult:
    """02.3: ANSWER ("sha256:<64 hex>") is the diff_id of REF's top layer, computed by
    hashing its tar from `docker save`."""
    if is_unanswered(answer):
        return unanswered(DIFF_ID, '"sha256:" + the hex digest of the top layer\'s tar')
    text = str(answer).strip().lower()
    given = text.removeprefix("sha256:")
    read_tar = ("data = (saved_b.folder / saved_b.manifest[0]['Layers'][-1]).read_bytes(); "
                "gunzip it if it starts with b'\\x1f\\x8b'; then hashlib.sha256(data)")
    if saved is not None and len(given) == 64 and any(
            layer.path.startswith(given) for layer in saved.layers):
        return failed(DIFF_ID, "that is the name of the layer's folder in the archive",
                      "hash the bytes of the layer.tar inside that folder", more=read_tar)
    if saved is not None and any(layer.compressed and layer.path.endswith("/" + given)
                                 for layer in saved.layers):
        return failed(DIFF_ID, "that is the digest of the layer's gzip-compressed blob",
                      "decompress it (gzip.decompress) and hash the tar inside", more=read_tar)
    if len(given) != 64 or not HEX.match(given):
        return failed(DIFF_ID, f"{answer!r} is not a sha256 digest",
                      'hashlib.sha256(data).hexdigest() gives 64 hex digits; add "sha256:"',
                      more=read_tar)
    if not text.startswith("sha256:"):
        return failed(DIFF_ID, "the digest has no algorithm in front",
                      'diff_ids are written "sha256:<hex>"',
                      more='answer = "sha256:" + hashlib.sha256(data).hexdigest()')
    with friendly():
        image = client().images.get(ref)
    diff_ids = image.attrs["RootFS"]["Layers"]
    if text == diff_ids[-1]:
        return passed(DIFF_ID, "sha256 of the top layer's tar is its diff_id")
    if text in diff_ids:
        return failed(DIFF_ID, f"that is the diff_id of layer {diff_ids.index(text) + 1}",
                      "the top layer is the last entry of Layers in manifest.json",
                      more="manifest[0]['Layers'][-1] is the top layer's file")
    if text == image.id:
        return failed(DIFF_ID, "that is the image ID: the sha256 of the config file",
                      "hash the layer's tar, not the config", more=read_tar)
    return failed(DIFF_ID, "no layer of the image has that diff_id",
                  "hash the top layer's whole tar, uncompressed", more=read_tar)


def check_copy_up(dirs: OverlayDirs, name: str, predicted_bytes: int,
                  line: str = "x\n") -> CheckResult:
    """02.4: PREDICTED_BYTES is how many bytes upperdir holds for NAME after LINE is appended
    to it through merged. The check appends LINE itself, once (the shell command it runs is shown),
    then reads the size in upperdir; run again, it only reads."""
    if is_unanswered(predicted_bytes):
        return unanswered(COPY_UP, f"the number of bytes upperdir will hold for {name}")
    if dirs.upper is None:
        return failed(COPY_UP, "this overlay has no upperdir",
                      "use the exercise overlay: overlay.make_exercise(lab)")
    try:
        predicted = int(predicted_bytes)
    except (TypeError, ValueError):
        return failed(COPY_UP, f"{predicted_bytes!r} is not a number of bytes",
                      "answer with an int, e.g. 1_000 + 2",
                      more=f"the size of {name} in upperdir, in bytes, once the line is added")
    upper, lower = dirs.upper / name, dirs.lowers[0] / name
    if kind(upper) == "missing" and kind(lower) == "file":
        overlay.echo(dirs.merged / name, line.rstrip("\n"), append=True)
    if kind(upper) != "file":
        return failed(COPY_UP, f"upperdir has no {name}",
                      "run overlay.make_exercise(lab) again for a fresh overlay")
    actual, below = upper.stat().st_size, lower.stat().st_size
    if actual <= below:
        return failed(COPY_UP, f"upperdir's {name} is not longer than lowerdir's",
                      "run overlay.make_exercise(lab) again for a fresh overlay")
    if predicted != actual:
        return failed(COPY_UP, f"you predicted {predicted:,} bytes; upperdir holds "
                               f"{'more' if actual > predicted else 'fewer'}",
                      "does overlay copy up only the bytes you wrote, or the whole file? "
                      "lowerdir cannot change, so the changed file must be complete in upperdir",
                      more=f"the whole {below:,}-byte file is copied up before the first write; "
                           f"then the {len(line.encode())} bytes of {line!r} are added")
    return passed(COPY_UP, f"upperdir holds the whole file: {below:,} bytes copied up plus "
                           f"{actual - below} appended")


def _entry(name: str) -> str:
    """A tar entry name as the tar stores it: no leading "/" or "./"."""
    return str(name).strip().removeprefix("./").lstrip("/")


def check_tar_whiteouts(lab: Lab, image: str | None, predicted: object) -> CheckResult:
    """02.5: PREDICTED is the set of `.wh.` entries in the top layer tar of the learner's IMAGE
    (built by layertar.build_step). The check saves IMAGE (`docker save`) and reads that tar."""
    if is_unanswered(image):
        return unanswered(TAR_WHITEOUTS, "a RUN step of your own (my_step), built first")
    if is_unanswered(predicted) or (isinstance(predicted, str) and "..." in predicted):
        return unanswered(TAR_WHITEOUTS, "the set of .wh. entry names you expect")
    names = {predicted} if isinstance(predicted, str) else predicted
    try:
        wanted = {_entry(n) for n in names}  # type: ignore[union-attr]
    except TypeError:
        return failed(TAR_WHITEOUTS, "the prediction is not a set of entry names",
                      'e.g. {"some/folder/.wh.name"}',
                      more="a set of strings, one per .wh. entry")
    wanted.discard("")
    try:
        found = set(layertar.whiteout_entries(imagesave.save(lab, image)))
    except LabkitError as exc:
        return failed(TAR_WHITEOUTS, f"could not read {image}'s top layer: {exc.message}",
                      exc.hint or "build your image again with layertar.build_step")
    if not found:
        return failed(TAR_WHITEOUTS, f"the top layer of {image} deletes nothing",
                      "your RUN step must remove something that the base image has (rm, rm -r)",
                      more='e.g. my_step = "rm /etc/<a file that exists there>"')
    if layertar.only_the_lessons(found):
        return failed(TAR_WHITEOUTS, "your step deletes only what the lesson's deleter did",
                      "choose a file or folder of your own to delete",
                      more="anything but /etc/motd and /usr/share/doc, say a file under /etc")
    if wanted == found:
        return passed(TAR_WHITEOUTS, f"the top layer of {image} holds exactly your "
                                     f"{len(found)} .wh. entr{'y' if len(found) == 1 else 'ies'}")
    missing, extra = sorted(found - wanted), sorted(wanted - found)
    parts = []
    if missing:
        parts.append(f"{len(missing)} .wh. entr{'y' if len(missing) == 1 else 'ies'} of the "
                     "tar you did not predict")
    if extra:
        parts.append(f"{len(extra)} predicted name(s) not in the tar")
    return failed(TAR_WHITEOUTS, "; ".join(parts),
                  "a tar cannot hold 'nothing': each deleted name becomes an empty entry beside "
                  "where it was, its name prefixed with .wh., the path relative to / without "
                  "the leading slash; a folder removed and made again gets .wh..wh..opq inside",
                  more="deleting /a/b/c gives the entry a/b/.wh.c (a removed folder is one "
                       "entry: nothing is listed for what was inside it); "
                       "layertar.tar_entries(imagesave.save(lab, mine)) lists the tar")
