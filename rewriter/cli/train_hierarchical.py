"""``rewriter train --approach hierarchical``: the flexible shop's hierarchical job -> machine
policy, trained with PPO on random production-like instances (docs/fjsp_hierarchical.md)."""

from __future__ import annotations

from dataclasses import fields

from .train_options import add_config_options, train_approach

#: what a resumed run may change
MAY_CHANGE = ("timesteps", "time_limit_minutes")


def add_options(parser) -> None:
    """The options only ``--approach hierarchical`` has."""
    from ..learn.hierarchical.config import HELP, HierarchicalConfig

    add_config_options(parser, "--approach hierarchical options", HierarchicalConfig, HELP)


def option_names() -> set[str]:
    """The options ``--approach hierarchical`` reads."""
    from ..learn.hierarchical.config import HierarchicalConfig

    return {f.name for f in fields(HierarchicalConfig)}


def run(args) -> int:
    """Train (or resume) a hierarchical policy as ``rewriter train --approach hierarchical`` was
    asked."""
    from ..learn.hierarchical.config import HierarchicalConfig
    from ..learn.hierarchical.train import resume_config, train_hierarchical

    def report(summary: dict) -> str:
        best = summary["best_validation_vs_best_rule_pct"]
        best = "-" if best is None else f"{best:+.2f}%"
        return (f"{summary['status']}: {summary['iterations']} iterations, "
                f"{summary['timesteps']} timesteps in {summary['wall_s'] / 60:.1f} min; best "
                f"validation vs the best rule {best}; model: {summary['run_dir']}/model.pt")

    return train_approach(args, approach="hierarchical", problem="fjsp",
                          serves="the flexible shop's hierarchical policy",
                          config_type=HierarchicalConfig, may_change=MAY_CHANGE,
                          resume_config=resume_config, train=train_hierarchical, report=report)
