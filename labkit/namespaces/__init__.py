"""Chapter 04, namespaces: which process is in which namespace, nsenter, PID namespaces, a
container wired by hand, and the chapter's checks.

A chapter folder imports downward only (base, images, lab, lessons), never another chapter.
"""
