"""labkit: the helper package of the Docker Internals Workbook.

Importing labkit changes nothing on the machine. Notebooks use the names in __all__.
"""

from .engine import client
from .errors import LabkitError
from .exercises import CheckResult
from .lab import Lab
from .notebook import sh, show_command, start

__version__ = "0.1.0"

__all__ = ["CheckResult", "Lab", "LabkitError", "client", "sh", "show_command", "start",
           "__version__"]
