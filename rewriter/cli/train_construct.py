"""``rewriter train --approach construct``: the constructive schedulers' options and runs (the
job shop's PPO scheduler, and MRT's REINFORCE one with ``--problem mrt``).

``rewriter train`` owns the command; this module adds the options only the constructive approach
has and runs it. Options the two approaches share (``--iterations``, ``--lr``, ``--sizes``,
``--seed``, ...) keep their flags and take :class:`ConstructConfig`'s defaults here; an option
only the rewriter has is refused by name.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from ..errors import InputError, is_interrupt
from ..textfile import read_json
from .common import long_progress
from .train_options import (add_config_options, command_line, config_file, flag, given_options,
                            interrupted)


def add_options(parser) -> None:
    """The options only ``--approach construct`` has (the job shop's, then MRT's)."""
    from ..learn.construct.config import HELP, ConstructConfig
    from ..learn.construct.mrt.config import HELP as MRT_HELP, MrtConstructConfig

    add_config_options(parser, "--approach construct options", ConstructConfig, HELP)
    add_config_options(parser, "--approach construct --problem mrt options", MrtConstructConfig,
                       MRT_HELP)


def option_names() -> set[str]:
    """The options ``--approach construct`` reads (for the job shop or MRT)."""
    from ..learn.construct.config import ConstructConfig
    from ..learn.construct.mrt.config import MrtConstructConfig

    return {f.name for t in (ConstructConfig, MrtConstructConfig) for f in fields(t)}


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


def run(args) -> int:
    """Train (or resume) a constructive scheduler as ``rewriter train`` was asked."""
    from ..learn.construct.train import resume_construct_config

    saved_problem = _saved_problem(args.run_dir) if args.resume else None
    if args.problem and saved_problem and args.problem != saved_problem:
        raise InputError(f"--resume: {args.run_dir} holds a run for {saved_problem}, not "
                         f"{args.problem}")
    problem = args.problem or saved_problem or "jssp"
    config_type, train_construct = _trainer(problem)
    given = given_options(args, config_type, "construct")
    given.pop("problem", None)
    if args.resume:
        config_file(args)  # refuses --config
        saved = resume_construct_config(args.run_dir, config_type=config_type)
        changed = [k for k, v in given.items() if k not in ("iterations", "time_limit_minutes")
                   and getattr(saved, k) != v]
        if changed:
            raise InputError("--resume continues the saved config; these differ from it: "
                             + ", ".join(flag(c) for c in changed)
                             + " (only --iterations and --time-limit-minutes may change)")
        cfg = resume_construct_config(args.run_dir, given.get("iterations"),
                                      given.get("time_limit_minutes"), config_type)
    else:
        try:
            cfg = config_type.from_dict({**config_file(args), **given})
        except (TypeError, ValueError) as exc:
            raise InputError(str(exc)) from None
    try:
        summary = train_construct(cfg, args.run_dir, resume=args.resume,
                                  progress=long_progress(None, args.quiet), command=command_line())
    except (FileExistsError, FileNotFoundError) as exc:
        raise InputError(str(exc)) from None
    except (KeyboardInterrupt, SystemError) as exc:
        if not is_interrupt(exc):
            raise
        return interrupted(args.run_dir)
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
