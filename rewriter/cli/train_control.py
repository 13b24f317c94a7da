"""``rewriter train --approach control``: a controller of tabu search, trained with PPO on random
job-shop instances (docs/control.md)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from .train_options import add_config_options, train_approach

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
    from ..learn.construct.train import resume_construct_config
    from ..learn.control.config import ControlConfig
    from ..learn.control.train import APPROACH, train_control

    def resume(run_dir, given):
        return resume_construct_config(run_dir, given.get("iterations"),
                                       given.get("time_limit_minutes"), ControlConfig, APPROACH)

    def report(summary) -> str:
        return (f"{summary['status']}: {summary['iterations']} iterations in "
                f"{summary['wall_s'] / 60:.1f} min; best validation gap "
                f"{summary['best_validation']}% (hand rule {summary['hand_validation']:.3f}%); "
                f"model: {Path(args.run_dir) / 'model.pt'}")

    return train_approach(args, approach=APPROACH, problem="jssp",
                          serves="controllers of the job shop's tabu search",
                          config_type=ControlConfig, may_change=MAY_CHANGE, resume_config=resume,
                          train=train_control, report=report)
