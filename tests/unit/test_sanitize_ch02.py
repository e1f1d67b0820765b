"""Chapter 02's sanitize rules fold a findmnt PID and blob sizes, and nothing that teaches."""

from __future__ import annotations

from .test_sanitize import sanitize


def test_findmnt_pid_is_folded_but_not_its_options() -> None:
    assert sanitize("$ findmnt -N 48213 -n -o FS-OPTIONS /") == sanitize(
        "$ findmnt -N 907 -n -o FS-OPTIONS /")
    assert "FS-OPTIONS /" in sanitize("$ findmnt -N 48213 -n -o FS-OPTIONS /")
    assert sanitize("findmnt -n -o FS-OPTIONS /") == "findmnt -n -o FS-OPTIONS /"


def test_blob_sizes_in_json_are_folded_media_types_stay() -> None:
    one = '{"mediaType":"application/vnd.oci.image.config.v1+json","size":3029}'
    other = '{"mediaType":"application/vnd.oci.image.config.v1+json","size":3031}'
    assert sanitize(one) == sanitize(other)
    assert "image.config.v1+json" in sanitize(one)
    assert sanitize('"size": 975,') == sanitize('"size": 977,')
    assert sanitize("size 975") == "size 975"
