"""labkit: the helper package of the Docker Internals Workbook.

Importing labkit changes nothing on the machine. Notebooks use the names in __all__.
"""

from labkit.base.engine import client
from labkit.base.errors import LabkitError
from labkit.base.show import docker, sh, show_command
from labkit.lab.exercises import CheckResult
from labkit.lab.session import Lab
from labkit.lab.start import start

__version__ = "0.1.0"  # the one version source: pyproject.toml reads it ([tool.setuptools.dynamic])

__all__ = ["CheckResult", "Lab", "LabkitError", "client", "docker", "sh", "show_command",
           "start", "__version__"]
