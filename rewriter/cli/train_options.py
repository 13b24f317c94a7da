"""What the approaches of ``rewriter train`` share: their flags generated from a config
dataclass, the options given to one approach (another approach's own flag refused by name), a
``--config`` file, and the end of an interrupted run.

``rewriter train`` owns one flag per option name: an option two approaches have (``--iterations``,
``--lr``, ``--sizes``, ...) is one flag that each approach reads with its own default.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import textwrap
from dataclasses import MISSING, fields
from pathlib import Path

from ..errors import InputError
from ..textfile import read_json

#: the flags of the command itself, not of a training config
RUN_OPTIONS = frozenset({"command", "run_dir", "resume", "config", "quiet", "approach"})


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _default(f):
    return f.default_factory() if f.default is MISSING else f.default


def _int_list(text: str) -> list[int]:
    try:
        items = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("expected a comma-separated list of integers") from None
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list of integers")
    return items


def _name_list(text: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list")
    return items


def add_config_options(parser, title: str, config_type, help: dict[str, str]) -> None:
    """A group of flags, one per field of ``config_type`` that has none yet, explained by
    ``help``; its title names the flags already there that the approach reads too, with the
    approach's defaults."""
    taken = {a.dest for a in parser._actions}
    shared = [f for f in fields(config_type) if f.name in taken and f.name != "problem"]
    shown = ", ".join(f"{flag(f.name)} {_shown(_default(f))}" for f in shared)
    group = parser.add_argument_group(title, textwrap.fill(
        f"It also reads these shared options, with these defaults: {shown}.", 76,
        break_on_hyphens=False))
    for f in fields(config_type):
        if f.name in taken:
            continue
        default = _default(f)
        text = (help[f.name] + (f" (default: {_shown(default)})" if default not in ("", None)
                                else "")).replace("%", "%%")
        if isinstance(default, bool):
            group.add_argument(flag(f.name), dest=f.name, action=argparse.BooleanOptionalAction,
                               default=None, help=text)
        elif isinstance(default, (list, tuple)):
            numbers = bool(default) and isinstance(default[0], int)
            group.add_argument(flag(f.name), dest=f.name, default=None, metavar="A,B", help=text,
                               type=_int_list if numbers else _name_list)
        else:
            kind = float if f.name == "time_limit_minutes" else type(default)
            group.add_argument(flag(f.name), dest=f.name, type=kind, default=None, help=text,
                               metavar="NAME" if kind is str else "N" if kind is int else "X")


def _shown(value) -> str:
    if value is None:
        return "none"
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def given_options(args, config_type, approach: str) -> dict:
    """The options given on the command line for a run of ``config_type``; a flag of another
    approach (or of another problem's trainer) is an InputError naming it."""
    ours = {f.name for f in fields(config_type)}
    foreign = sorted(k for k, v in vars(args).items()
                     if v is not None and k not in RUN_OPTIONS and k not in ours)
    if foreign:
        raise InputError(f"not options of --approach {approach}: "
                         + ", ".join(flag(n) for n in foreign))
    return {n: getattr(args, n) for n in ours if getattr(args, n, None) is not None}


def config_file(args) -> dict:
    """The options of ``--config FILE.json`` (a run's config.json works too); {} without one."""
    if not args.config:
        return {}
    if args.resume:
        raise InputError("--resume continues the saved config; --config cannot be given with it")
    loaded = read_json(Path(args.config), "a JSON object of options")
    if not isinstance(loaded, dict):
        raise InputError("expected a JSON object of options", path=args.config)
    loaded = loaded.get("config", loaded)
    if not isinstance(loaded, dict):
        raise InputError("expected a JSON object of options", path=args.config)
    return loaded


def command_line() -> str | None:
    """This command as typed, for the run's config.json."""
    return "rewriter " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv else None


def interrupted(run_dir) -> int:
    """Say how to continue an interrupted run; the exit code of an interrupted command."""
    print(f"rewriter: training interrupted; continue with the same command and --resume "
          f"(run directory {run_dir})", file=sys.stderr)
    return 130


def train_approach(args, *, approach: str, problem: str, serves: str, config_type, may_change,
                   resume_config, train, report) -> int:
    """The course every ``rewriter train --approach X`` with one config class follows: the problem
    it serves, the options given, a new run or a resumed one (``resume_config(run_dir, given)``,
    only ``may_change`` may differ), ``train(cfg, run_dir, resume=, progress=, command=)``, then
    ``report(summary)`` unless quiet; Ctrl-C is exit 130 and the resume hint."""
    from ..errors import is_interrupt
    from ..learn.checkpoint import check_resume_options
    from .common import long_progress

    if getattr(args, "problem", None) not in (None, problem):
        raise InputError(f"--approach {approach} trains {serves} ({problem}), not {args.problem}")
    args.problem = None
    given = given_options(args, config_type, approach)
    if args.resume:
        config_file(args)  # refuses --config
        check_resume_options(given, may_change)
        cfg = resume_config(args.run_dir, given)
    else:
        cfg = config_type.from_dict({**config_file(args), **given})
    try:
        summary = train(cfg, args.run_dir, resume=args.resume,
                        progress=long_progress(None, args.quiet), command=command_line())
    except (FileExistsError, FileNotFoundError) as exc:
        raise InputError(str(exc)) from None
    except (KeyboardInterrupt, SystemError) as exc:
        if not is_interrupt(exc):  # a SystemError that is no Ctrl-C is a bug: show it
            raise
        return interrupted(args.run_dir)
    if not args.quiet:
        print(report(summary))
    return 0
