"""Exercise checks of chapter 02: whiteouts, layers that hold a file, diff_ids, copy-up.

Taught in: 02-overlayfs-and-image-storage (exercises). Each check returns a CheckResult;
a wrong answer gets a hint that points at the idea, not at the answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from labkit.base.engine import client
from labkit.base.errors import friendly
from labkit.base.fmt import short_digest
from labkit.base.procfs import mounted
from labkit.lab.exercises import CheckResult, failed, passed
from labkit.storage import graphdriver
from labkit.storage.imagesave import SavedImage
from labkit.storage.overlay import OverlayDirs, kind

WHITEOUT = "02.1 predict, then produce a whiteout"
LAYER = "02.2 which layer gives a container its file"
DIFF_ID = "02.3 compute a layer's diff_id"
COPY_UP = "02.4 the cost of copy-up"

EXPECTED_AFTER_DELETE = {"merged": "missing", "upperdir": "whiteout", "lowerdir": "file"}
PREDICTION_HINTS = {
    "merged": "after the delete, what does a program looking at the union see?",
    "upperdir": "the file still exists in lowerdir, so the deletion has to be written down "
                "somewhere writable, as a special kind of entry",
    "lowerdir": "overlay never writes to lowerdir: an image's layers stay exactly as built",
}
HEX = re.compile(r"^[0-9a-f]+$")


def check_whiteout(dirs: OverlayDirs, name: str, prediction: Mapping[str, str]) -> CheckResult:
    """02.1: the prediction (kind of NAME in merged, upperdir, lowerdir after deleting it
    through merged: "file", "missing" or "whiteout"), then the folders themselves."""
    keys = set(EXPECTED_AFTER_DELETE)
    if set(prediction) != keys:
        return failed(WHITEOUT, f"the prediction needs exactly the keys {sorted(keys)}",
                      'e.g. prediction = {"merged": "...", "upperdir": "...", "lowerdir": "..."}')
    wrong = sorted(k for k, v in prediction.items() if str(v).strip().lower() !=
                   EXPECTED_AFTER_DELETE[k])
    if wrong:
        return failed(WHITEOUT, f"your prediction for {', '.join(wrong)} is not what happens",
                      PREDICTION_HINTS[wrong[0]])
    if dirs.upper is None or not mounted(str(dirs.merged)):
        return failed(WHITEOUT, "the exercise overlay is not mounted",
                      "run the cell with overlay.make_exercise(lab) again")
    lower = kind(dirs.lowers[0] / name)
    upper = kind(dirs.upper / name)
    merged = kind(dirs.merged / name)
    if lower != "file":
        return failed(WHITEOUT, f"lowerdir/{name} is {lower}: it was changed from below",
                      "delete through merged only; run make_exercise again to start over")
    if merged != "missing":
        return failed(WHITEOUT, f"merged still shows {name}",
                      f"delete it through the union: os.remove(ex.merged / {name!r})")
    if upper != "whiteout":
        return failed(WHITEOUT, f"upperdir holds {upper} for {name}, not a whiteout",
                      "delete it through merged rather than making files in upperdir by hand")
    return passed(WHITEOUT, f"{name}: gone from merged, a whiteout (c 0,0) in upperdir, "
                            "untouched in lowerdir, as you predicted")


def _normalize(answer: str) -> str:
    return str(answer).strip().lower().removeprefix("sha256:")


def check_layer_holding(ref: str, path: str, answer: str) -> CheckResult:
    """02.2: ANSWER is the diff_id (or its first 12+ hex digits) of the layer of REF whose
    copy of PATH a container sees."""
    given = _normalize(answer)
    if len(given) < 12 or not HEX.match(given):
        return failed(LAYER, f"{answer!r} is not a diff_id",
                      "answer with the layer's diff_id (at least its first 12 hex digits)")
    layers = graphdriver.image_layers(ref)
    root = graphdriver.docker_root()
    kinds = [kind(layer.diff(root) / path.lstrip("/")) for layer in layers]
    top = max((i for i, k in enumerate(kinds) if k != "missing"), default=None)
    chosen = next((i for i, layer in enumerate(layers)
                   if short_digest(layer.diff_id, 64).startswith(given)), None)
    if chosen is None:
        if any(layer.dir_id.startswith(given) for layer in layers):
            return failed(LAYER, "that is the name of an overlay2 folder (a cache-id)",
                          "folder names are random; the layer's identity is its diff_id")
        if any(short_digest(layer.chain_id, 64).startswith(given) for layer in layers):
            return failed(LAYER, "that is a chain ID (the layer plus all below it)",
                          "answer with the diff_id: RootFS.Layers in docker inspect")
        return failed(LAYER, f"no layer of {ref} has that diff_id",
                      f"list them: graphdriver.image_layers({ref!r})")
    if top is not None and chosen == top:
        return passed(LAYER, f"{layers[chosen].role} holds the {path} containers see")
    if kinds[chosen] != "missing":
        return failed(LAYER, f"{layers[chosen].role} holds a {path}, but a layer above "
                             "has its own copy",
                      "several layers hold this path: the container sees the topmost copy")
    return failed(LAYER, f"{layers[chosen].role} has no {path}",
                  "look for the path in each layer's diff/ folder (find_in_layers)")


def check_diff_id(ref: str, answer: str, saved: SavedImage | None = None) -> CheckResult:
    """02.3: ANSWER ("sha256:<64 hex>") is the diff_id of REF's top layer, computed by
    hashing its tar from `docker save`."""
    text = str(answer).strip().lower()
    given = text.removeprefix("sha256:")
    if saved is not None and len(given) == 64 and any(
            layer.path.startswith(given) for layer in saved.layers):
        return failed(DIFF_ID, "that is the name of the layer's folder in the archive",
                      "hash the bytes of the layer.tar inside that folder")
    if saved is not None and any(layer.compressed and layer.path.endswith("/" + given)
                                 for layer in saved.layers):
        return failed(DIFF_ID, "that is the digest of the layer's gzip-compressed blob",
                      "decompress it (gzip.decompress) and hash the tar inside")
    if len(given) != 64 or not HEX.match(given):
        return failed(DIFF_ID, f"{answer!r} is not a sha256 digest",
                      'hashlib.sha256(data).hexdigest() gives 64 hex digits; add "sha256:"')
    if not text.startswith("sha256:"):
        return failed(DIFF_ID, "the digest has no algorithm in front",
                      'diff_ids are written "sha256:<hex>"')
    with friendly():
        image = client().images.get(ref)
    diff_ids = image.attrs["RootFS"]["Layers"]
    if text == diff_ids[-1]:
        return passed(DIFF_ID, "sha256 of the top layer's tar is its diff_id")
    if text in diff_ids:
        return failed(DIFF_ID, f"that is the diff_id of layer {diff_ids.index(text) + 1}",
                      "the top layer is the last entry of Layers in manifest.json")
    if text == image.id:
        return failed(DIFF_ID, "that is the image ID: the sha256 of the config file",
                      "hash the layer's tar, not the config")
    return failed(DIFF_ID, "no layer of the image has that diff_id",
                  "hash the top layer's whole tar, uncompressed")


def check_copy_up(dirs: OverlayDirs, name: str, predicted_bytes: int) -> CheckResult:
    """02.4: PREDICTED_BYTES is how many bytes upperdir holds for NAME after one line was
    appended to it through merged."""
    if dirs.upper is None:
        return failed(COPY_UP, "this overlay has no upperdir",
                      "use the exercise overlay: overlay.make_exercise(lab)")
    upper, lower = dirs.upper / name, dirs.lowers[0] / name
    if kind(upper) != "file":
        return failed(COPY_UP, f"upperdir has no {name} yet",
                      f"append a line through the union: open(ex.merged / {name!r}, 'a')")
    actual, below = upper.stat().st_size, lower.stat().st_size
    if actual <= below:
        return failed(COPY_UP, f"upperdir's {name} is not longer than lowerdir's",
                      "append to the file (mode 'a'), do not replace it")
    if int(predicted_bytes) != actual:
        return failed(COPY_UP, f"you predicted {int(predicted_bytes):,} bytes; upperdir holds "
                               f"{actual:,}",
                      "before the first write, overlay copies the whole file up; then your "
                      "line is added to that copy")
    return passed(COPY_UP, f"upperdir holds the whole file: {below:,} bytes copied up plus "
                           f"{actual - below} appended")
