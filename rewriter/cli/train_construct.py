"""``rewriter train --approach construct``: the constructive schedulers' options and runs (the
job shop's PPO scheduler, and MRT's REINFORCE one with ``--problem mrt``).

``rewriter train`` owns the command; this module adds the options only the constructive approach
has and runs it. Options the two approaches share (``--iterations``, ``--lr``, ``--sizes``,
``--seed``, ...) keep their flags and take :class:`ConstructConfig`'s defaults here; an option
only the rewriter has is refused by name.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import fields
from pathlib import Path

from ..errors import InputError, is_interrupt
from ..textfile import read_json
from .common import long_progress

APPROACHES = ("rewrite", "construct")


def add_options(parser) -> None:
    """``--approach`` and the options only ``--approach construct`` has."""
    from ..learn.construct.config import HELP, ConstructConfig

    parser.add_argument("--approach", choices=APPROACHES, default=None,
                        help="rewrite: the Tree-LSTM rewriting policy (default); construct: a "
                             "constructive scheduler, PPO for the job shop (docs/construct.md), "
                             "REINFORCE as DeepRM for MRT (docs/construct-mrt.md), which reads "
                             "the shared options below with its own defaults")
    group = parser.add_argument_group(
        "--approach construct options (shared options it also reads: "
        + ", ".join("--" + n.replace("_", "-") for n in shared_options()) + ")")
    from ..learn.construct.mrt.config import HELP as MRT_HELP, MrtConstructConfig

    taken = {a.dest for a in parser._actions}  # --resources is MRT's rewriter option already
    options = [(name, text, ConstructConfig()) for name, text in HELP.items()]
    options += [(name, text, MrtConstructConfig()) for name, text in MRT_HELP.items()
                if name not in taken]
    for name, text, defaults in options:
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
    from ..learn.construct.config import HELP, ConstructConfig

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
        own = [n for n in _own_options() if getattr(args, n, None) is not None]
        if own:
            raise InputError(", ".join("--" + n.replace("_", "-") for n in own)
                             + ": options of --approach construct only")
    return construct


def _saved_approach(run_dir) -> str | None:
    """The approach of a run directory (runs of the rewriter name none), None without one."""
    try:
        data = read_json(Path(run_dir) / "config.json", "a run's config.json")
    except InputError:
        return None
    return data.get("approach", "rewrite") if isinstance(data, dict) else None


def _own_options() -> list[str]:
    """The flags of the constructive approaches that ``rewriter train`` has for nothing else."""
    from ..learn.construct.config import HELP
    from ..learn.construct.mrt.config import HELP as MRT_HELP

    return list(HELP) + list(MRT_HELP)


def _trainer(problem: str):
    """(config type, training function) of the constructive approach for ``problem``."""
    if problem == "jssp":
        from ..learn.construct.config import ConstructConfig
        from ..learn.construct.train import train_construct

        return ConstructConfig, train_construct
    if problem == "mrt":
        from ..learn.construct.mrt.config import MrtConstructConfig
        from ..learn.construct.mrt.train import train_mrt_construct

        return MrtConstructConfig, train_mrt_construct
    raise InputError(f"--approach construct trains schedulers for jssp and mrt, not {problem}")


def _saved_problem(run_dir) -> str:
    try:
        return read_json(Path(run_dir) / "config.json", "a run's config.json")["config"]["problem"]
    except (ValueError, KeyError, TypeError):  # InputError included
        return "jssp"  # resume_construct_config says what is wrong with the run directory


def _given(args, config_type) -> dict:
    """Every option given on the command line for the constructive run; an option only the
    rewriter, or only the other problem's constructive trainer, has is an InputError."""
    from ..learn.config import defaults
    from .. import registry

    ours = {f.name for f in fields(config_type)}
    theirs = set(defaults()) | set(_own_options()) | {o.name for n in registry.names()
                                                      for o in registry.get(n).train_options}
    foreign = sorted(n for n in theirs - ours if getattr(args, n, None) is not None)
    if foreign:
        raise InputError("not options of --approach construct: "
                         + ", ".join("--" + n.replace("_", "-") for n in foreign))
    return {n: getattr(args, n) for n in ours if getattr(args, n, None) is not None}


def run(args) -> int:
    """Train (or resume) a constructive scheduler as ``rewriter train`` was asked."""
    from ..learn.construct.train import resume_construct_config

    saved_problem = _saved_problem(args.run_dir) if args.resume else None
    if args.problem and saved_problem and args.problem != saved_problem:
        raise InputError(f"--resume: {args.run_dir} holds a run for {saved_problem}, not "
                         f"{args.problem}")
    problem = args.problem or saved_problem or "jssp"
    config_type, train_construct = _trainer(problem)
    given = _given(args, config_type)
    given.pop("problem", None)
    if args.resume:
        if args.config:
            raise InputError("--resume continues the saved config; --config cannot be given with it")
        saved = resume_construct_config(args.run_dir, config_type=config_type)
        changed = [k for k, v in given.items() if k not in ("iterations", "time_limit_minutes")
                   and getattr(saved, k) != v]
        if changed:
            raise InputError("--resume continues the saved config; these differ from it: "
                             + ", ".join("--" + c.replace("_", "-") for c in changed)
                             + " (only --iterations and --time-limit-minutes may change)")
        cfg = resume_construct_config(args.run_dir, given.get("iterations"),
                                      given.get("time_limit_minutes"), config_type)
    else:
        values = {}
        if args.config:
            loaded = read_json(Path(args.config), "a JSON object of options")
            if not isinstance(loaded, dict):
                raise InputError("expected a JSON object of options", path=args.config)
            values.update(loaded.get("config", loaded))
        values.update(given)
        try:
            cfg = config_type.from_dict(values)
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
        if problem == "mrt":
            best = ("-" if summary.best_validation is None else
                    f"best validation average slowdown {summary.best_validation:.3f}")
        elif cfg.per_instance:
            best = (f"best makespan seen {summary.best_makespan}, greedy "
                    f"{summary.best_validation:g}" if summary.best_validation is not None else "")
        else:
            best = ("-" if summary.best_validation is None
                    else f"best validation {summary.best_validation:+.2f}% against MWKR")
        print(f"{summary.status}: {summary.iterations} iterations in {summary.wall_s / 60:.1f} "
              f"min; {best}; model: {Path(args.run_dir) / 'model.pt'}")
    return 0
