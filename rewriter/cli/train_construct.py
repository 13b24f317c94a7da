"""``rewriter train --approach construct``: the constructive job-shop scheduler's options and run.

``rewriter train`` owns the command; this module adds the options only the constructive approach
has and runs it. Options the two approaches share (``--iterations``, ``--lr``, ``--sizes``,
``--seed``, ...) keep their flags and take :class:`ConstructConfig`'s defaults here; an option
only the rewriter has is refused by name.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from dataclasses import fields
from pathlib import Path

from ..errors import InputError, is_interrupt
from .common import long_progress

APPROACHES = ("rewrite", "construct")


def add_options(parser) -> None:
    """``--approach`` and the options only ``--approach construct`` has."""
    from ..construct.config import HELP, ConstructConfig

    parser.add_argument("--approach", choices=APPROACHES, default=None,
                        help="rewrite: the Tree-LSTM rewriting policy (default); construct: a "
                             "constructive PPO scheduler for the job shop (docs/construct.md), "
                             "which reads the shared options below with its own defaults")
    group = parser.add_argument_group(
        "--approach construct options (shared options it also reads: "
        + ", ".join("--" + n.replace("_", "-") for n in shared_options()) + ")")
    defaults = ConstructConfig()
    for name, text in HELP.items():
        default = getattr(defaults, name)
        flag = "--" + name.replace("_", "-")
        shown = text + (f" (default: {default})" if default not in ("", None) else "")
        if isinstance(default, bool):
            group.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction,
                               default=None, help=shown)
        else:
            group.add_argument(flag, dest=name, type=type(default), default=None,
                               metavar="NAME" if isinstance(default, str) else "N", help=shown)


def shared_options() -> list[str]:
    """The ConstructConfig fields that are TrainConfig fields too (one flag serves both)."""
    from ..construct.config import HELP, ConstructConfig

    return [f.name for f in fields(ConstructConfig) if f.name not in HELP and f.name != "problem"]


def chosen(args) -> bool:
    """Whether this ``rewriter train`` runs the constructive approach: asked for, or a resumed
    run directory that holds a constructive run."""
    saved = _saved_approach(args.run_dir) if args.resume else None
    if args.approach is not None and saved is not None and args.approach != saved:
        raise InputError(f"--resume: {args.run_dir} holds a run of --approach {saved}, not "
                         f"{args.approach}")
    construct = (args.approach or saved) == "construct"
    if not construct:
        from ..construct.config import HELP

        own = [n for n in HELP if getattr(args, n, None) is not None]
        if own:
            raise InputError(", ".join("--" + n.replace("_", "-") for n in own)
                             + ": options of --approach construct only")
    return construct


def _saved_approach(run_dir) -> str | None:
    """The approach of a run directory (runs of the rewriter name none), None without one."""
    try:
        data = json.loads((Path(run_dir) / "config.json").read_text())
    except (OSError, ValueError):
        return None
    return data.get("approach", "rewrite") if isinstance(data, dict) else None


def _given(args) -> dict:
    """Every option given on the command line for the constructive run; an option only the
    rewriter has is an InputError."""
    from ..construct.config import ConstructConfig
    from ..core.config import defaults
    from .. import registry

    ours = {f.name for f in fields(ConstructConfig)}
    theirs = set(defaults()) | {o.name for n in registry.names()
                                for o in registry.get(n).train_options}
    foreign = sorted(n for n in theirs - ours if getattr(args, n, None) is not None)
    if foreign:
        raise InputError("not options of --approach construct: "
                         + ", ".join("--" + n.replace("_", "-") for n in foreign))
    return {n: getattr(args, n) for n in ours if getattr(args, n, None) is not None}


def run(args) -> int:
    """Train (or resume) a constructive scheduler as ``rewriter train`` was asked."""
    from ..construct.config import ConstructConfig
    from ..construct.train import resume_construct_config, train_construct

    given = _given(args)
    if args.resume:
        if args.config:
            raise InputError("--resume continues the saved config; --config cannot be given with it")
        saved = resume_construct_config(args.run_dir)
        changed = [k for k, v in given.items() if k not in ("iterations", "time_limit_minutes")
                   and getattr(saved, k) != v]
        if changed:
            raise InputError("--resume continues the saved config; these differ from it: "
                             + ", ".join("--" + c.replace("_", "-") for c in changed)
                             + " (only --iterations and --time-limit-minutes may change)")
        cfg = resume_construct_config(args.run_dir, given.get("iterations"),
                                      given.get("time_limit_minutes"))
    else:
        values = {}
        if args.config:
            try:
                loaded = json.loads(Path(args.config).read_text())
            except (OSError, ValueError) as exc:
                raise InputError(f"cannot read the options: {exc}", path=args.config) from None
            if not isinstance(loaded, dict):
                raise InputError("expected a JSON object of options", path=args.config)
            values.update(loaded.get("config", loaded))
        values.update(given)
        try:
            cfg = ConstructConfig.from_dict(values)
        except (TypeError, ValueError) as exc:
            raise InputError(str(exc)) from None
    command = "rewriter " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv else None
    try:
        summary = train_construct(cfg, args.run_dir, resume=args.resume,
                                  progress=long_progress(None, args.quiet), command=command)
    except (FileExistsError, FileNotFoundError) as exc:
        raise InputError(str(exc)) from None
    except (KeyboardInterrupt, SystemError) as exc:
        if not is_interrupt(exc):
            raise
        print(f"rewriter: training interrupted; continue with the same command and --resume "
              f"(run directory {args.run_dir})", file=sys.stderr)
        return 130
    if not args.quiet:
        if cfg.per_instance:
            best = (f"best makespan seen {summary.best_makespan}, greedy "
                    f"{summary.best_validation:g}" if summary.best_validation is not None else "")
        else:
            best = ("-" if summary.best_validation is None
                    else f"best validation {summary.best_validation:+.2f}% against MWKR")
        print(f"{summary.status}: {summary.iterations} iterations in {summary.wall_s / 60:.1f} "
              f"min; {best}; model: {Path(args.run_dir) / 'model.pt'}")
    return 0
