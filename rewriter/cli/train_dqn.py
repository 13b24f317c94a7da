"""``rewriter train --approach dqn``: the flexible shop's DQN dispatcher, trained on random
compatibility instances (docs/fjsp_dqn.md)."""

from __future__ import annotations

from dataclasses import fields

from ..errors import InputError, is_interrupt
from .common import long_progress
from .train_options import add_config_options, command_line, config_file, given_options, interrupted

#: what a resumed run may change
MAY_CHANGE = ("episodes", "time_limit_minutes")


def add_options(parser) -> None:
    """The options only ``--approach dqn`` has."""
    from ..learn.dqn.config import HELP, DQNConfig

    add_config_options(parser, "--approach dqn options", DQNConfig, HELP)


def option_names() -> set[str]:
    """The options ``--approach dqn`` reads."""
    from ..learn.dqn.config import DQNConfig

    return {f.name for f in fields(DQNConfig)}


def run(args) -> int:
    """Train (or resume) a DQN dispatcher as ``rewriter train --approach dqn`` was asked."""
    from ..learn.checkpoint import check_resume_options
    from ..learn.dqn.config import DQNConfig
    from ..learn.dqn.train import resume_config, train

    if getattr(args, "problem", None) not in (None, "fjsp"):
        raise InputError(f"--approach dqn trains dispatchers of the flexible shop (fjsp), not "
                         f"{args.problem}")
    args.problem = None
    given = given_options(args, DQNConfig, "dqn")
    if args.resume:
        config_file(args)  # refuses --config
        check_resume_options(given, MAY_CHANGE)
        cfg = resume_config(args.run_dir, given.get("episodes"), given.get("time_limit_minutes"))
    else:
        cfg = DQNConfig.from_dict({**config_file(args), **given})
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
        print(f"{summary.status}: {summary.episodes} episodes, {summary.steps} steps in "
              f"{summary.wall_s / 60:.1f} min; best validation return {summary.best_validation}; "
              f"model: {summary.run_dir / 'model.pt'}")
    return 0
