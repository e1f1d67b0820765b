"""Chapter 01, building images: build contexts, .dockerignore, the front-end app, build history,
platforms, and the chapter's checks.

A chapter folder imports downward only (base, images, lab, lessons), never another chapter.
"""
