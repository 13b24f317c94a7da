"""``rewriter train --approach control``: a controller of tabu search, trained with PPO on random
job-shop instances (docs/control.md)."""

from __future__ import annotations

from dataclasses import fields

from pathlib import Path

from ..errors import InputError, is_interrupt
from .common import long_progress
from .train_options import add_config_options, command_line, config_file, given_options, interrupted

#: what a resumed run may change
MAY_CHANGE = ("iterations", "time_limit_minutes")


def add_options(parser) -> None:
    """The options only ``--approach control`` has."""
    from ..learn.control.config import HELP, ControlConfig

    add_config_options(parser, "--approach control options", ControlConfig, HELP)


def option_names() -> set[str]:
    """The options ``--approach control`` reads."""
    from ..learn.control.config import ControlConfig

    return {f.name for f in fields(ControlConfig)}


def run(args) -> int:
    """Train (or resume) a controller as ``rewriter train --approach control`` was asked."""
    from ..learn.checkpoint import check_resume_options
    from ..learn.control.config import ControlConfig
    from ..learn.control.train import APPROACH, train_control
    from ..learn.construct.train import resume_construct_config

    if getattr(args, "problem", None) not in (None, "jssp"):
        raise InputError(f"--approach control trains controllers of the job shop's tabu search "
                         f"(jssp), not {args.problem}")
    args.problem = None
    given = given_options(args, ControlConfig, APPROACH)
    if args.resume:
        config_file(args)  # refuses --config
        check_resume_options(given, MAY_CHANGE)
        cfg = resume_construct_config(args.run_dir, given.get("iterations"),
                                      given.get("time_limit_minutes"), ControlConfig, APPROACH)
    else:
        cfg = ControlConfig.from_dict({**config_file(args), **given})
    try:
        summary = train_control(cfg, args.run_dir, resume=args.resume,
                                progress=long_progress(None, args.quiet), command=command_line())
    except (FileExistsError, FileNotFoundError) as exc:
        raise InputError(str(exc)) from None
    except (KeyboardInterrupt, SystemError) as exc:
        if not is_interrupt(exc):  # a SystemError that is no Ctrl-C is a bug: show it
            raise
        return interrupted(args.run_dir)
    if not args.quiet:
        print(f"{summary['status']}: {summary['iterations']} iterations in "
              f"{summary['wall_s'] / 60:.1f} min; best validation gap "
              f"{summary['best_validation']}% (hand rule {summary['hand_validation']:.3f}%); "
              f"model: {Path(args.run_dir) / 'model.pt'}")
    return 0
