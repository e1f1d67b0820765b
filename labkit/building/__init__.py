"""Chapter 01, building images: the docker CLI's builds (BuildKit and classic) and their logs,
build contexts, .dockerignore, the front-end app, build history, platforms, and the chapter's
checks.

A chapter folder imports downward only (base, images, lab, lessons), never another chapter.
"""
