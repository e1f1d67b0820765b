"""Names the course's notebooks use. The no-trace test gives a learner's own objects these
names before each notebook runs: the notebook must pass anyway and leave them untouched.

Each chapter adds the names its notebook uses.
"""

CONTAINERS = ["web", "db", "c1", "c2", "front", "redis6", "nginx-c1"]
NETWORKS = ["net0", "wp-net", "lab-net"]
VOLUMES = ["data"]
IMAGES = ["front-app:v1"]
