"""What every command shares: argument types, the aligned table, output checks, the error line."""

from __future__ import annotations

import argparse
import math
import os
import sys

from ..atomic import output_target
from ..errors import InputError

PROG = "rewriter"
FORMATTER = argparse.RawDescriptionHelpFormatter


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


def seed(text: str) -> int:
    """--seed: an integer 0 <= seed < 2**63."""
    from ..seeding import check_seed

    try:
        return check_seed(int(text))
    except ValueError:  # InputError is one
        raise argparse.ArgumentTypeError(f"expected a seed, an integer in 0..2**63-1, got {text!r}") from None


def table(header, rows) -> str:
    """An aligned markdown table."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
                      *(line(row) for row in rows)])


def show_progress(flag: bool | None, quiet: bool = False) -> bool:
    """For short commands (solve): --progress / --no-progress, else a bar only on a terminal."""
    return flag if flag is not None else (not quiet and sys.stderr.isatty())


def long_progress(flag: bool | None, quiet: bool = False) -> str:
    """For long commands (train, compare): a bar on a terminal, else a line every 30 s."""
    from ..core.progress import mode_for

    return mode_for(flag, quiet)


def check_output(path: str, what: str) -> None:
    """Fail before the work, not after it, when an output file cannot be written. A symbolic
    link is checked as the atomic writer follows it: the file it points to counts."""
    target, _ = output_target(path, what)
    if target.is_dir():
        raise InputError(f"is a directory; expected a file name for the {what}", path=path)
    if target.is_file() and (not target.stat().st_mode & 0o222 or not os.access(target, os.W_OK)):
        # the atomic writer refuses it too (rewriter/atomic.py), but only after the work
        raise InputError("the file is read-only; make it writable or choose another name",
                         path=path)
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"cannot write the {what}: directory '{parent}' does not exist", path=path)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"cannot write the {what}: directory '{parent}' is not writable", path=path)


class writing:
    """Turn an OSError while writing ``path`` into one InputError naming the file."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is not None and isinstance(exc, OSError):
            raise InputError(f"cannot write the file: {exc.strerror or exc}", path=self.path) from None
        return False


def error(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def os_message(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"
