"""The two things a DQN does besides storing transitions: choose an action epsilon-greedily over
the allowed ones, and take one gradient step on the Huber loss of the n-step temporal-difference
error against a target network, plus, on demonstrations, a large-margin loss that ranks the
teacher's action first.

Rewards are divided by a time scale per instance before they are stored
(:attr:`~rewriter.envs.compat_mdp.LearnerReward.scale`): returns are then about 1 at every size,
the same numbers for 50 x 10 and 500 x 100, so one network and one learning rate serve both.
Scaling every reward by one positive constant per instance changes no greedy choice.
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


def margin_loss(pair_q: torch.Tensor, wait_q: torch.Tensor, states: Batch,
                batch: list[Transition], margin: float) -> torch.Tensor:
    """DQfD's large-margin loss, averaged over the demonstrations of ``batch``: max over the
    allowed actions of (Q + ``margin`` unless it is a teacher's action) minus the largest Q of a
    teacher's action. It is 0 once one of the teacher's actions leads every other action by the
    margin; transitions without a teacher contribute nothing."""
    shown = [i for i, t in enumerate(batch) if t.expert is not None and len(t.expert)]
    if not shown:
        return pair_q.new_zeros(())
    pair_expert = torch.zeros(len(pair_q), dtype=torch.bool)
    wait_expert = torch.zeros(len(wait_q), dtype=torch.bool)
    for i in shown:
        t = batch[i]
        pairs = t.expert[t.expert < t.state.n_pairs]
        pair_expert[torch.from_numpy(states.pair_offsets[i] + pairs)] = True
        wait_expert[i] = bool((t.expert == t.state.n_pairs).any())
    minus_inf = torch.tensor(-torch.inf)
    lifted = best_per_decision(pair_q + margin * (~pair_expert), wait_q + margin * (~wait_expert),
                               states.pair_offsets)
    teacher = best_per_decision(torch.where(pair_expert, pair_q, minus_inf),
                                torch.where(wait_expert, wait_q, minus_inf), states.pair_offsets)
    return (lifted - teacher)[shown].mean()


def td_step(online: QNetwork, target: QNetwork, optimizer: torch.optim.Optimizer,
            batch: list[Transition], cfg: DQNConfig) -> float:
    """One Adam step on the Huber loss of Q(s, a) against the n-step target
    r + gamma^n max_a' Q_target(s', a') (r: the sum of the n rewards, s' the decision n steps
    later; just r at the end of an episode), plus ``cfg.margin_weight`` times the margin loss on
    the demonstrations of the batch; returns the loss. With ``cfg.double`` (double DQN) the
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
    goal = rewards + cfg.gamma ** cfg.n_step * future
    loss = nn.functional.huber_loss(chosen, goal, delta=cfg.huber_delta)
    if cfg.margin_weight > 0:
        loss = loss + cfg.margin_weight * margin_loss(pair_q, wait_q, states, batch, cfg.margin)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(online.parameters(), cfg.max_grad_norm)
    optimizer.step()
    return loss.item()
