"""Chapter 02, OverlayFS and image storage: overlay mounts, the graph driver's folders, the
containerd image store's snapshots and blobs, `docker save`, the registry wire, and the
chapter's checks.

A chapter folder imports downward only (base, images, lab, lessons), never another chapter.
"""
