"""What the policy reads at a decision, taken from :class:`~rewriter.envs.flexible_mdp.FlexibleMDP`
(the features ``rewriter/FlexibleShop-v0`` observes), and stacked for a batch of episodes.

A decision is one operation placed: the job phase's arrays (job features, the unfinished and the
pickable jobs, the machines' phase-independent columns) and, once the job is chosen, the machine
phase's (every machine column, the eligible machines). Episodes played side by side have the same
size (one curriculum stage), so their arrays stack without padding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...envs.flexible_mdp import FlexibleMDP


@dataclass
class JobView:
    """The job phase of a batch: jobs (B, n, Fj), alive (B, n), pickable (B, n), machines
    (B, m, MACHINE_COMMON): the columns both phases share."""

    jobs: np.ndarray
    alive: np.ndarray
    pickable: np.ndarray
    machines: np.ndarray


@dataclass
class MachineView:
    """The machine phase of a batch: machines (B, m, Fm), eligible (B, m)."""

    machines: np.ndarray
    eligible: np.ndarray


def job_view(mdps: list[FlexibleMDP]) -> JobView:
    """The job phase of every MDP (each in its job phase)."""
    return JobView(np.stack([mdp.job_features() for mdp in mdps]),
                   np.stack([mdp.unfinished for mdp in mdps]),
                   np.stack([mdp.pickable for mdp in mdps]),
                   np.stack([mdp.machine_common() for mdp in mdps]))


def machine_view(mdps: list[FlexibleMDP], commons: np.ndarray) -> MachineView:
    """The machine phase of every MDP (each with its job chosen); ``commons``: the machines'
    shared columns, as the job phase saw them (the choice of a job changes none)."""
    return MachineView(np.stack([mdp.machine_features(common) for mdp, common in
                                 zip(mdps, commons)]),
                       np.stack([mdp.machine_mask() for mdp in mdps]))
