"""Running a trained DQN: one greedy episode builds a complete schedule."""

from __future__ import annotations

import torch

from ...core.threads import limit_threads
from .features import FeatureScales, decision
from ...envs.compat_mdp import CompatMDP
from .network import QNetwork


def run_episode(net: QNetwork, mdp: CompatMDP) -> None:
    """Play ``mdp`` from its current state to the end, always the greedy action (the reward the
    network learnt from plays no part: a decision's baseline changes no greedy choice)."""
    scales = FeatureScales(mdp)
    while not mdp.over:
        d = decision(mdp, scales)
        pair = d.action(net.greedy(d))
        mdp.wait() if pair is None else mdp.assign(*pair)


def dqn_schedule(instance, net: QNetwork, threads: int = 1):
    """The DQN's schedule of a single-operation ``instance`` (a
    :class:`~rewriter.fjsp.schedule.FlexibleSchedule`), with the default horizon, which a legal
    episode never reaches, so every job is scheduled."""
    mdp = CompatMDP(instance)
    with limit_threads(threads), torch.inference_mode():
        run_episode(net, mdp)
    return mdp.schedule()
