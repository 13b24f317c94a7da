"""The two things a DQN does besides storing transitions: choose an action epsilon-greedily over
the allowed ones, and take one gradient step on the Huber loss of the temporal-difference error
against a target network.

Rewards are divided by ``n x H`` (n jobs; ``H`` from
:class:`~rewriter.learn.dqn.features.FeatureScales`, about how long a job waits behind its share
of the others) before they are stored. The MDP's return, the sum over jobs of deadline
minus completion time, is then about 1 at every size, and a state's value is about the share of
jobs still to come: the same numbers for 50 x 10 and 500 x 100, so one network and one learning
rate serve both. Scaling every reward by one positive constant per instance changes no greedy
choice.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .config import DQNConfig
from .features import Decision
from .network import Batch, QNetwork, best_per_decision, value_of_best
from .replay import Transition


def epsilon(cfg: DQNConfig, step: int) -> float:
    """The exploration rate after ``step`` environment steps: linear from eps_start to eps_end."""
    share = min(step / cfg.eps_decay_steps, 1.0)
    return cfg.eps_start + share * (cfg.eps_end - cfg.eps_start)


def choose(net: QNetwork, d: Decision, eps: float, rng: np.random.Generator) -> int:
    """With probability ``eps`` a uniformly random allowed action, else the greedy one; masked
    actions are never candidates, in either case."""
    if rng.random() < eps:
        allowed = d.n_pairs + int(d.can_wait)
        return int(rng.integers(allowed))
    return net.greedy(d)


def td_step(online: QNetwork, target: QNetwork, optimizer: torch.optim.Optimizer,
            batch: list[Transition], cfg: DQNConfig) -> float:
    """One Adam step on the Huber loss of Q(s, a) against r + gamma max_a' Q_target(s', a')
    (just r at the end of an episode); returns the loss. With ``cfg.double`` (double DQN) the
    online network picks a' and the target network values it, which curbs the overestimation a
    max over hundreds of noisy values brings."""
    states = Batch.of([t.state for t in batch])
    pair_q, wait_q = online(states)
    actions = np.array([t.action for t in batch])
    waited = actions == np.array([t.state.n_pairs for t in batch])
    padded = torch.cat([pair_q, pair_q.new_zeros(1)])  # the waits point at the pad
    index = torch.from_numpy(np.where(waited, len(pair_q), states.pair_offsets[:-1] + actions))
    chosen = torch.where(torch.from_numpy(waited), wait_q, padded[index])
    rewards = torch.tensor([t.reward for t in batch], dtype=torch.float32)
    future = torch.zeros(len(batch))
    alive = [i for i, t in enumerate(batch) if not t.done]
    if alive:
        with torch.no_grad():
            nxt = Batch.of([batch[i].next_state for i in alive])
            next_pair, next_wait = target(nxt)
            if cfg.double:
                future[alive] = value_of_best(online(nxt), (next_pair, next_wait), nxt.pair_offsets)
            else:
                future[alive] = best_per_decision(next_pair, next_wait, nxt.pair_offsets)
    goal = rewards + cfg.gamma * future
    loss = nn.functional.huber_loss(chosen, goal, delta=cfg.huber_delta)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(online.parameters(), cfg.max_grad_norm)
    optimizer.step()
    return loss.item()
