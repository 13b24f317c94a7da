"""``rewriter train --approach dqn``: the flexible shop's DQN dispatcher, trained on random
compatibility instances (docs/fjsp_dqn.md)."""

from __future__ import annotations

from dataclasses import fields

from .train_options import add_config_options, train_approach

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
    from ..learn.dqn.config import DQNConfig
    from ..learn.dqn.train import resume_config, train

    def resume(run_dir, given):
        return resume_config(run_dir, given.get("episodes"), given.get("time_limit_minutes"))

    def report(summary) -> str:
        return (f"{summary.status}: {summary.episodes} episodes, {summary.steps} steps in "
                f"{summary.wall_s / 60:.1f} min; best validation return "
                f"{summary.best_validation}; model: {summary.run_dir / 'model.pt'}")

    return train_approach(args, approach="dqn", problem="fjsp",
                          serves="dispatchers of the flexible shop", config_type=DQNConfig,
                          may_change=MAY_CHANGE, resume_config=resume, train=train, report=report)
