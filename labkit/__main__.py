"""`python -m labkit` is the `labkit` command."""

import sys

from labkit.cli.commands import main

sys.exit(main())
