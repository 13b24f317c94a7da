"""Running a trained DQN: one greedy episode builds a complete schedule."""

from __future__ import annotations

import torch

from ...core.threads import limit_threads
from .features import FeatureScales, decision
from ...envs.compat_mdp import CompatMDP
from .network import QNetwork


def run_episode(net: QNetwork, mdp: CompatMDP) -> float:
    """Play ``mdp`` from its current state to the end, always the greedy action; returns the
    (unscaled) return from here."""
    scales = FeatureScales(mdp)
    total = 0.0
    while not mdp.over:
        d = decision(mdp, scales)
        action = net.greedy(d)
        pair = d.action(action)
        total += mdp.wait() if pair is None else mdp.assign(*pair)
    return total + mdp.terminal_reward


def dqn_schedule(instance, net: QNetwork, threads: int = 1):
    """The DQN's schedule of a single-operation ``instance`` (a
    :class:`~rewriter.fjsp.schedule.FlexibleSchedule`), with the default horizon, which a legal
    episode never reaches, so every job is scheduled."""
    mdp = CompatMDP(instance)
    with limit_threads(threads), torch.inference_mode():
        run_episode(net, mdp)
    return mdp.schedule()
