"""Names the course's notebooks use. The no-trace test gives a learner's own objects these
names before each notebook runs: the notebook must pass anyway and leave them untouched.

Each chapter adds the names its notebook uses. Left out (EXERCISE_NAMES): the names a model
solution types as the lesson's printed line shows them (`--pid container:c1` in 04.1). With a
learner's `c1` the lesson's is `c1-<session>`, the printed line says so, and a lesson
container is refused the learner's `c1` (tests/unit/test_lab_commands.py): the recorded answer
is typed for a machine where the name is free.
"""

EXERCISE_NAMES = {"c1", "mystery", "ex-net"}  # 04.1 and 03.1, 04.3, 03.1

CONTAINERS = ["web", "db", "c1", "c2", "front", "redis6", "nginx-c1"]
NETWORKS = ["net0", "wp-net", "lab-net"]
VOLUMES = ["data"]
IMAGES = ["front-app:v1"]

# 04-namespaces (c1, c2 and net0 are listed above)
CONTAINERS += ["hostnet", "nonet", "c3", "wire-me", "plain", "shell-form", "with-init", "trap",
               "no-reaper", "reaper", "peek", "mystery", "quick"]

# 01-building-images ("front" and "front-app:v1" are listed above)
CONTAINERS += ["registry"]
IMAGES += ["dockerignore-demo:v1", "dockerignore-demo:v2", "dockerignore-demo:v3",
           "front-app:exercise", "front-app:classic", "front-app:ctx0", "front-app:ctx1",
           "front-app:ctx2", "front-app:f", "front-app:peek", "layer-exercise:before",
           "layer-exercise:after", "127.0.0.1:5000/tinybox:amd64"]
IMAGES += ["127.0.0.1:5000/platform-quiz:" + arch
           for arch in ("amd64", "arm64", "386", "ppc64le", "riscv64", "s390x")]

# 02-overlayfs-and-image-storage
CONTAINERS += ["redis7"]

# 02b-image-anatomy-and-the-wire ("registry" is listed above)
CONTAINERS += ["deleter"]
IMAGES += ["deleter:v1", "my-deleter:v1", "app-a:v1", "app-b:v1",
           "127.0.0.1:5000/storage-lab:app-a", "127.0.0.1:5000/storage-lab:app-b"]

# 03-networking (web, db, c1, c2, c3, front, net0, wp-net and lab-net are listed above)
CONTAINERS += ["c4", "auto", "hostweb", "alone", "side", "ex-a", "ex-b", "ex-web"]
CONTAINERS += ["link-web", "link-client", "link-filler", "plain", "c5"]
CONTAINERS += ["db_wordpress", "wordpress", "mysql-client"]
CONTAINERS += ["stranger", "ex-dnat", "lk-db", "lk-app", "dns-a", "dns-b"]
NETWORKS += ["ex-net", "dns-net"]

# Docker Hub's names for the images the course's own stand in for (labkit/redis:7.0, ...): a
# learner may have those official images; the course must neither use nor replace them.
IMAGES += ["busybox:latest", "debian:bookworm", "nginx:1.22.1", "redis:7.0", "redis:latest",
           "registry:2", "mariadb:10.11", "wordpress:6.1",
           # and the notes' own names for the two-tier app's images
           "mysql:8.0", "wordpress:php7.4"]

CONTAINERS = [name for name in CONTAINERS if name not in EXERCISE_NAMES]
NETWORKS = [name for name in NETWORKS if name not in EXERCISE_NAMES]
