"""The course images: their recipes, the Debian root filesystems they are built from, the build
itself, and reading an image's history.

Imports only labkit.base.
"""
