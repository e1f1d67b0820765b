"""The labels labkit puts on every Docker object it creates, and how to read them back.

Taught in: 00-preflight (how the course finds what it made).
"""

from __future__ import annotations

from collections.abc import Mapping

COURSE = "io.labkit.course"
CHAPTER = "io.labkit.chapter"
SESSION = "io.labkit.session"
COURSE_VALUE = "docker-internals-workbook"

# On course images (labkit/nginx:1.22.1, labkit/redis:7.0, ...) that labkit built on this machine.
BUILT_LOCALLY = "io.labkit.built-locally"
RECIPE = "io.labkit.recipe"
SOURCE = "io.labkit.source"


def lesson_labels(chapter: str, session: str) -> dict[str, str]:
    """The labels of a lesson resource: course, chapter and session."""
    return {COURSE: COURSE_VALUE, CHAPTER: chapter, SESSION: session}


def made_by_course(found: Mapping[str, str]) -> bool:
    """Whether labels FOUND (of a container, network or volume) mark a lesson resource."""
    return found.get(COURSE) == COURSE_VALUE


def course_filter(session: str | None = None, chapter: str | None = None) -> list[str]:
    """A Docker `label` filter that matches lesson resources (optionally one session/chapter)."""
    filters = [f"{COURSE}={COURSE_VALUE}"]
    if chapter is not None:
        filters.append(f"{CHAPTER}={chapter}")
    if session is not None:
        filters.append(f"{SESSION}={session}")
    else:
        filters.append(SESSION)
    return filters
