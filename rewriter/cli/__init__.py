"""The ``rewriter`` command line: one module per command, every problem through the registry.

``main(argv)`` returns the exit code: 0 on success, 1 when ``validate`` finds an infeasible
schedule, 2 for bad input or an output that cannot be written (a full disk, also under standard
output: one ``rewriter: error: ...`` line on stderr, never a traceback), 130 when interrupted
outside the search (Ctrl-C during the search itself ends it early and keeps the best schedule,
with status ``interrupted``).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from ..core import interrupt
from ..errors import InputError, is_interrupt
from ..version import __version__
from . import compare, instances, solve, train, validate, warmup
from .common import FORMATTER, PROG, error, os_message

COMMANDS = {"solve": solve, "validate": validate, "compare": compare, "train": train,
            "instances": instances, "warmup": warmup}

EPILOG = """\
examples:
  rewriter solve ft06                                  # MWKR, then tabu steered by the learned
                                                       # controller, 500,000 moves
  rewriter solve ft06 --policy learned --steps 200     # the neural rewriter, 200 rewrites
  rewriter solve ta41 --policy tabu --steps 0 --time-limit 60 --out ta41.json --gantt ta41.png
  rewriter validate ta41 ta41.json                     # independent feasibility check
  rewriter instances --family ta                       # bundled instances with bounds
  rewriter compare --instances ta41-50 --methods mwkr,tabu:60,cpsat:60 --out table.md

exit codes: 0 ok, 1 infeasible schedule (validate), 2 bad input, 130 interrupted.
Run `rewriter COMMAND --help` for the options of a command.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=FORMATTER, epilog=EPILOG,
        description="Scheduling by local rewriting: build a schedule with a heuristic, improve it "
                    "with a learned policy or a local search, check, compare and plot it.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for command in COMMANDS.values():
        command.add_parser(sub)
    return parser


def _warning(message, *args, **kwargs) -> str:
    return f"{PROG}: warning: {message}\n"


class StdoutError(Exception):
    """A write to standard output failed (a full disk: ENOSPC; EIO): an output error, exit 2.
    Not an OSError, so that no handler meant for another file (nor argparse, which drops
    OSErrors while printing the help) takes it for its own."""


class _Stdout:
    """Standard output while a command runs: a write or flush that fails raises
    :class:`StdoutError` (a reader that left, BrokenPipeError, stays what it is)."""

    def __init__(self, stream):
        self.stream = stream

    def __getattr__(self, name):
        return getattr(self.stream, name)

    def _call(self, method: str, *args):
        try:
            return getattr(self.stream, method)(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise StdoutError(exc.strerror or str(exc)) from exc

    def write(self, text):
        return self._call("write", text)

    def writelines(self, lines):
        return self._call("writelines", lines)

    def flush(self):
        return self._call("flush")


def _silence_stdout(stream) -> None:
    """Point standard output at /dev/null, so that what is still buffered for it is not
    written (and fails again) when the interpreter exits."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
    except (OSError, ValueError):
        pass


def main(argv=None) -> int:
    """Run the command line; returns the exit code.

    A command whose exit code is a verdict (``validate``: 1 for an infeasible schedule) sets
    ``args.verdict`` before it prints, so the verdict survives a reader that closes standard
    output early (``| head -1``, ``| true``)."""
    args = code = None
    warnings.formatwarning = _warning
    stdout, sys.stdout = sys.stdout, _Stdout(sys.stdout)
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version, or an argparse usage error (code 2)
            sys.stdout.flush()  # a full disk shows here, not as an error at exit
            return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        with interrupt.recording():  # a Ctrl-C while numba compiles is not lost
            code = COMMANDS[args.command].run(args)
        sys.stdout.flush()  # a closed pipe shows here, not as an error at exit
        return code
    except InputError as exc:
        return error(str(exc))
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        return error(os_message(exc))
    except (KeyboardInterrupt, SystemError) as exc:
        if not is_interrupt(exc):  # a SystemError that is no Ctrl-C is a bug: show it
            raise
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `rewriter instances | head`: the reader left early
        _silence_stdout(stdout)
        if code is not None:
            return code
        return getattr(args, "verdict", 0)  # the command's own verdict, not "ok"
    except StdoutError as exc:  # `> /dev/full`: the output is lost, whatever the verdict
        _silence_stdout(stdout)
        return error(f"cannot write to standard output: {exc}")
    except OSError as exc:  # a full disk or an I/O error on another file: no traceback either
        return error(os_message(exc))
    finally:
        if isinstance(sys.stdout, _Stdout):
            sys.stdout = stdout


if __name__ == "__main__":
    sys.exit(main())
