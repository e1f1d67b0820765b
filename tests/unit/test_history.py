from __future__ import annotations

from collections.abc import Callable

import pytest

from labkit.images import history

from .fakes.client import FakeClient
from .fakes.seam import Fakes


@pytest.mark.parametrize("created_by,expected", [
    ('/bin/sh -c #(nop)  CMD ["nginx" "-g" "daemon off;"]', 'CMD ["nginx" "-g" "daemon off;"]'),
    ("/bin/sh -c #(nop) ADD file:2e05 in / ", "ADD file:2e05 in /"),
    ("/bin/sh -c useradd nginx", "RUN useradd nginx"),
    ("|1 VERSION=2 /bin/sh -c make", "RUN make"),
    ("COPY dist /usr/local/web/ # buildkit", "COPY dist /usr/local/web/ # buildkit"),
])
def test_instruction(created_by: str, expected: str) -> None:
    assert history.instruction(created_by) == expected


def test_table_is_oldest_first_and_marks_layers(fakes: Callable[..., Fakes]) -> None:
    engine = fakes(client=FakeClient()).client
    engine.api.histories["busybox"] = [
        {"Id": "<missing>", "CreatedBy": '/bin/sh -c #(nop)  CMD ["sh"]', "Size": 0},
        {"Id": "<missing>", "CreatedBy": "/bin/sh -c #(nop) ADD file:abc in / ",
         "Size": 2_000_000},
    ]
    frame = history.table("busybox")
    assert list(frame["instruction"]) == ["ADD file:abc in /", 'CMD ["sh"]']
    assert list(frame["layer"]) == [True, False]
    assert list(frame["step"]) == [1, 2]
    assert list(frame["size"]) == ["2MB", "0B"]  # as `docker history` prints them
