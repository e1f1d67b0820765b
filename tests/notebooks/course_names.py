"""Names the course's notebooks use. The no-trace test gives a learner's own objects these
names before each notebook runs: the notebook must pass anyway and leave them untouched.

Each chapter adds the names its notebook uses.
"""

CONTAINERS = ["web", "db", "c1", "c2", "front", "redis6", "nginx-c1"]
NETWORKS = ["net0", "wp-net", "lab-net"]
VOLUMES = ["data"]
IMAGES = ["front-app:v1"]

# 04-namespaces (c1, c2 and net0 are listed above)
CONTAINERS += ["hostnet", "nonet", "c3", "wire-me"]

# 01-building-images ("front" and "front-app:v1" are listed above)
CONTAINERS += ["registry"]
IMAGES += ["dockerignore-demo:v1", "front-app:exercise", "layer-exercise:before",
           "127.0.0.1:5000/tinybox:amd64"]

# 02-overlayfs-and-image-storage ("registry" is listed above)
CONTAINERS += ["redis7"]
IMAGES += ["app-a:v1", "app-b:v1", "127.0.0.1:5000/storage-lab:app-a",
           "127.0.0.1:5000/storage-lab:app-b"]

# 03-networking (web, db, c1, c2, c3, front, net0, wp-net and lab-net are listed above)
CONTAINERS += ["c4", "auto", "hostweb", "alone", "side", "ex-a", "ex-b", "ex-web"]
NETWORKS += ["ex-net"]
IMAGES += ["twotier-web:v1"]

# Docker Hub's names for the images the course's own stand in for (labkit/redis:7.0, ...): a
# learner may have those official images; the course must neither use nor replace them.
IMAGES += ["busybox:latest", "debian:bookworm", "nginx:1.22.1", "redis:7.0", "redis:latest",
           "python:3.11-slim", "registry:2"]
