"""History split into base and own steps; which step added a layer (no engine)."""

from __future__ import annotations

from collections.abc import Callable

from labkit.building import buildhistory as bh

from .fakes.client import FakeClient, FakeImage
from .fakes.seam import Fakes

OWN = [  # newest first, as the API returns it
    {"Id": "<missing>", "CreatedBy": '/bin/sh -c #(nop)  CMD ["nginx" "-g" "daemon off;"]',
     "Size": 0},
    {"Id": "<missing>", "CreatedBy": "/bin/sh -c #(nop) COPY file:" + "ab" * 32
     + " in /etc/nginx/nginx.conf ", "Size": 1167},
    {"Id": "<missing>", "CreatedBy": "/bin/sh -c #(nop) COPY dir:" + "cd" * 32
     + " in /usr/local/web/ ", "Size": 1329},
]
BASE = [{"Id": "<missing>", "CreatedBy": "/bin/sh -c #(nop) ADD file:x in / ", "Size": 9}]


def test_instruction_shortens_the_content_hash() -> None:
    assert bh.instruction(OWN[2]["CreatedBy"]) == "COPY dir:cdcdcdcdcdcd… in /usr/local/web/"
    assert bh.instruction("/bin/sh -c useradd nginx") == "RUN useradd nginx"


def test_without_step_images_sizes_decide() -> None:
    assert bh.new_layers(OWN, 6) == (False, True, True)


def test_step_images_decide_when_they_exist(fakes: Callable[..., Fakes]) -> None:
    # An empty RUN: size 0 and no new layer; a RUN that wrote files: a new layer.
    entries = [{"Id": "sha256:3", "CreatedBy": "/bin/sh -c true", "Size": 0},
               {"Id": "sha256:2", "CreatedBy": "/bin/sh -c touch /x", "Size": 0}]
    seven = {"RootFS": {"Layers": [f"sha256:{n}" for n in range(7)]}}
    fakes(client=FakeClient(images={"sha256:2": FakeImage("sha256:2", seven),
                                    "sha256:3": FakeImage("sha256:3", seven)}))
    assert bh.new_layers(entries, 6) == (False, True)
    # A step image that is gone: its size decides.
    entries.append({"Id": "sha256:1", "CreatedBy": "/bin/sh -c touch /y", "Size": 5})
    assert bh.new_layers(entries, 5) == (False, True, True)


def test_table_is_newest_first_with_sizes_like_docker() -> None:
    hist = bh.History("front-app:v1", "nginx:1.22.1", tuple(OWN), tuple(BASE), 2, 6,
                      (False, True, True))
    frame = hist.to_frame()
    assert list(frame["step"]) == [3, 2, 1]  # as `docker history`: newest first
    assert list(frame["size"]) == ["0B", "1.17kB", "1.33kB"]
    assert list(frame["new layer"]) == [False, True, True]
    assert frame["instruction"][0].startswith("CMD")
    assert hist.summary().startswith("front-app:v1: 8 layers = 6 from nginx:1.22.1 + 2 from")
    fig = hist.plot()
    assert len(fig.axes[0].patches) == len(OWN) + len(BASE)
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_course_labels_fold_into_one_row_and_buildkit_marks_go() -> None:
    label = "/bin/sh -c #(nop)  LABEL io.labkit.{}=x"
    base = [{"CreatedBy": label.format(k), "Size": 0} for k in ("recipe", "source")]
    base += [{"CreatedBy": '/bin/sh -c #(nop)  CMD ["nginx"]', "Size": 0},
             {"CreatedBy": label.format("built-locally"), "Size": 0}, *BASE]
    assert bh.folded(base) == [("LABEL io.labkit.* (2 course labels, folded)", 0),
                               ('CMD ["nginx"]', 0),
                               ("LABEL io.labkit.* (1 course label, folded)", 0),
                               ("ADD file:x in /", 9)]
    assert bh.instruction("COPY dist/ /usr/local/web/ # buildkit") == (
        "COPY dist/ /usr/local/web/")
    hist = bh.History("front-app:v1", "nginx:1.22.1", tuple(OWN), tuple(base), 2, 6,
                      (False, True, True))
    fig = hist.plot()
    assert len(fig.axes[0].patches) == len(OWN) + 4
    import matplotlib.pyplot as plt

    plt.close(fig)
