"""The `labkit` command: engine, images, clean, doctor.

Taught in: 00-preflight. Every command and subcommand has help text (tests check it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from labkit import __version__
from labkit.base.errors import translate
from labkit.base.i18n import _

if TYPE_CHECKING:
    import pandas as pd


def text_table(frame: pd.DataFrame) -> str:
    """A DataFrame as left-aligned plain text, for the terminal."""
    cols = [str(c) for c in frame.columns]
    cells = [[str(v) for v in row] for row in frame.itertuples(index=False)]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
              for r in cells]
    return "\n".join(lines)


def _cmd_engine(args: argparse.Namespace) -> int:
    from labkit.base import engine
    from labkit.base.facts import facts
    from labkit.cli import provision

    if args.action == "up":
        print(provision.up())
    elif args.action == "down":
        print(provision.down())
    else:
        if engine.reachable():
            s = facts()
            print(_("Docker Engine {version} answers (API {api}, {driver}).").format(
                version=s.server_version, api=s.api_version, driver=s.storage_driver))
        else:
            print(_("No Docker Engine answers. Start one with `sudo labkit engine up`."))
            return 1
    return 0


def _cmd_images(args: argparse.Namespace) -> int:
    from labkit.base.engine import client
    from labkit.images import catalog as images

    client()
    done = images.ensure(args.names or None, rebuild=args.rebuild,
                         progress=lambda m: print("  " + m))
    for st in done:
        if st.state != "present":
            print("  " + _("{name}: {state} in {seconds:.1f} s").format(
                name=st.name, state=st.state, seconds=st.seconds))
    print(text_table(images.table(args.names or None)))
    return 0


def _cmd_clean(args: argparse.Namespace) -> int:
    from labkit.lab import cleanup

    print(cleanup.summarize(cleanup.clean(args.chapter)))
    return 0


def _cmd_doctor(args: argparse.Namespace) -> int:
    from labkit.cli import doctor

    rows = doctor.checks()
    print(text_table(doctor.table(rows)))
    if doctor.can_run(rows):
        print("\n" + _("The course can run here."))
        return 0
    print("\n" + _("The course cannot run yet: fix the FAIL rows (see `fix`)."))
    return 1


def parser() -> argparse.ArgumentParser:
    """The argument parser of the `labkit` command."""
    p = argparse.ArgumentParser(
        prog="labkit", description="Helpers of the Docker Internals Workbook.")
    p.add_argument("--version", action="version", version=f"labkit {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    e = sub.add_parser("engine", help="start, stop or check the Docker Engine",
                       description="Use a running engine, or install and start dockerd "
                                   "(Debian/Ubuntu, root). `down` stops only a daemon labkit "
                                   "started.")
    e.add_argument("action", choices=["up", "down", "status"], help="what to do")
    e.set_defaults(func=_cmd_engine)

    i = sub.add_parser("images", help="make sure the course images exist locally",
                       description="Present: done. Missing, or built from an older recipe: "
                                   "built here from Debian packages (never pulled).")
    i.add_argument("names", nargs="*", help="only these images (default: all)")
    i.add_argument("--rebuild", action="store_true",
                   help="build again the images labkit built itself")
    i.set_defaults(func=_cmd_images)

    c = sub.add_parser("clean", help="remove everything the lessons created",
                       description="Removes lesson containers, networks, volumes, images, "
                                   "netns, links, mounts, rules and processes, found by label "
                                   "and ledger; never anything else.")
    c.add_argument("--chapter", help="only this chapter's resources, e.g. 03")
    c.set_defaults(func=_cmd_clean)

    d = sub.add_parser("doctor", help="check that the course can run here",
                       description="Prints one row per check; exits 1 when the course "
                                   "cannot run.")
    d.set_defaults(func=_cmd_doctor)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `labkit` command; returns the exit code."""
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print(_("labkit: interrupted; run `labkit clean` to remove anything half made."),
              file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - shown as a message, not a traceback
        mapped = translate(exc)
        if mapped is None:
            raise
        print(f"labkit: {mapped}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
