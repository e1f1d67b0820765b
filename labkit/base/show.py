"""Show a command the way a terminal would, and run it on the host.

Taught in: 00-preflight; every chapter shows the commands it teaches with these.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from labkit.base.host import host


def show_command(argv: Sequence[str]) -> None:
    """Print a command the way you would type it in a shell."""
    print("$ " + shlex.join(str(a) for a in argv))


def sh(argv: Sequence[str], *, check: bool = True) -> None:
    """Run a host command, showing it and what it printed, the way a terminal would.

    It returns nothing, so a cell ending with it shows only the terminal text; use
    `labkit.base.host.host().run(argv)` when the output is needed as a value.

    Args:
        argv: the command as an argument list.
        check: raise when it fails (otherwise its error text is shown).
    """
    show_command(argv)
    result = host().run(argv, check=check)
    text = (result.stdout + result.stderr).rstrip()
    if text:
        print(text)
