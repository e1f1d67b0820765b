"""Image references: `127.0.0.1:5000/app:v1`, `labkit/nginx:1.22.1`, `name@sha256:...`.

Taught in: 01-building-images (tags, pushing to the lesson's registry) and
02-overlayfs-and-image-storage (layers on the wire). The one place labkit takes an image name
apart; it splits as the Docker SDK does (`docker.utils.parse_repository_tag`), so the port's
colon in `127.0.0.1:5000/x` is never taken for a tag's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from docker.auth import split_repo_name
from docker.utils import parse_repository_tag

# What Docker assumes when a reference names neither a tag nor a digest.
DEFAULT_TAG = "latest"


@dataclass(frozen=True)
class Ref:
    """An image reference, taken apart; `str(ref)` gives it back as written.

    Attributes:
        registry: the registry's host[:port], e.g. "127.0.0.1:5000"; "" when none is named
            (Docker then means Docker Hub, which the course never uses).
        repository: the name within the registry, e.g. "app" or "labkit/nginx".
        tag: e.g. "v1"; None when the reference names none.
        digest: e.g. "sha256:..." after an "@"; None when the reference names none.
    """

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text: str) -> Ref:
        """Split an image reference into registry, repository, tag and digest.

        It never raises: a text that is no valid reference comes back as a repository, and
        the engine says what is wrong with it when it is used. An image ID ("sha256:...") is
        not a reference; it would read as repository "sha256" with its hex as the tag.

        Args:
            text: e.g. "127.0.0.1:5000/app:v1", "labkit/nginx:1.22.1", "busybox@sha256:...".

        Returns:
            The parts; a missing tag or digest is None (see `or_latest`).
        """
        digest = None
        name, tail = parse_repository_tag(text)
        if "@" in text:  # parse_repository_tag splits at the "@" first, then stops
            digest = tail
            name, tail = parse_repository_tag(name)
        host, rest = split_repo_name(name)
        # split_repo_name answers Docker Hub's name when none is given; keep "none" instead.
        registry = host if rest != name else ""
        return cls(registry, rest, tail or None, digest)

    @property
    def name(self) -> str:
        """Registry and repository, what the SDK takes as `repository`: "127.0.0.1:5000/app"."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    def with_tag(self, tag: str) -> Ref:
        """The same reference with another tag."""
        return dataclasses.replace(self, tag=tag)

    def without_registry(self) -> Ref:
        """The reference as the registry itself names it: "app:v1" for 127.0.0.1:5000/app:v1."""
        return dataclasses.replace(self, registry="")

    def or_latest(self) -> Ref:
        """This reference, tagged "latest" when it names neither a tag nor a digest (as Docker
        assumes); otherwise itself."""
        return self if self.tag or self.digest else self.with_tag(DEFAULT_TAG)

    def __str__(self) -> str:
        return (self.name + (f":{self.tag}" if self.tag else "")
                + (f"@{self.digest}" if self.digest else ""))
