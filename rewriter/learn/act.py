"""One rewrite step for a batch of states: encode, score, choose, apply.

Shared by the training rollouts and the learned search, so both choose exactly the same way.
A rewrite the problem reports infeasible is masked and the choice is made again from the
re-normalised distribution (up to ``max_attempts`` tries); the mask is kept with the step so a
training update scores the very distribution the choice was drawn from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .policy import Candidates, RewritePolicy
from ..core.problem import Graph, RewriteState


@dataclass
class Step:
    """What one state saw and did in one step (``action`` -1: nothing could be applied)."""

    graph: Graph
    pairs: np.ndarray
    features: np.ndarray
    mask: np.ndarray
    action: int
    log_prob: float
    value: float
    q: float
    cost_before: float
    cost_after: float
    expert: int = -1  # the problem's expert choice among ``pairs`` (-1: none), for imitation


def _pick(p: np.ndarray, rng: np.random.Generator, argmax: bool) -> int:
    if argmax:
        return int(np.argmax(p))
    total = p.sum()
    return int(rng.choice(p.shape[0], p=p / total))


def _choose_one(out: dict, lo: int, hi: int, node: bool, rng, argmax: bool,
                negative_q_keep: float | None, max_resample: int) -> int:
    """Index (relative to lo) of the chosen candidate of one state."""
    lp = out["log_prob"][lo:hi].numpy()
    if not node:
        return _pick(np.exp(lp), rng, argmax)
    # node formulation: region first (softmax over Q), then the rule within the region
    group = out["group"][lo:hi].numpy()
    region_lp = out["region_log_prob"][lo:hi].numpy()
    q = out["q"][lo:hi].numpy()
    groups, first = np.unique(group, return_index=True)
    region_p = np.exp(region_lp[first])
    pick = _pick(region_p, rng, argmax)
    if negative_q_keep is not None and not argmax:
        # NeuRewriter: a region with Q < 0 is kept only with probability p_c
        for _ in range(max_resample):
            if q[first[pick]] >= 0 or rng.random() < negative_q_keep:
                break
            pick = _pick(region_p, rng, argmax)
    members = np.flatnonzero(group == groups[pick])
    rule_p = np.exp(out["rule_log_prob"][lo:hi].numpy()[members])
    return int(members[_pick(rule_p, rng, argmax)])


@torch.no_grad()
def rewrite_step(model: RewritePolicy, states: list[RewriteState], rng: np.random.Generator,
                 argmax: bool = False, max_attempts: int = 10,
                 negative_q_keep: float | None = None, expert: bool = False) -> list[Step]:
    """Choose and apply one rewrite in every state (in place); returns one :class:`Step` each,
    with the problem's expert choice in the state before the step when ``expert``."""
    before = [s.cost() for s in states]
    experts = [s.expert_choice() if expert else None for s in states]
    graphs = [model.observe(s) for s in states]
    per_state = [s.candidates() for s in states]
    cands = Candidates.stack(per_state)
    encoded = model.encode(graphs)
    hard = model.hard_mask(encoded, cands)
    if hard is not None:  # never chosen, and kept with the step for the training update
        cands.mask &= hard
    out = model.score(encoded, cands)
    node = model.config.formulation == "node"
    pending = [i for i in range(len(states)) if cands.offsets[i + 1] > cands.offsets[i]]
    chosen = {i: -1 for i in range(len(states))}
    attempts = 0
    while pending and attempts < max_attempts:
        attempts += 1
        failed = []
        for i in pending:
            lo, hi = cands.offsets[i], cands.offsets[i + 1]
            if not cands.mask[lo:hi].any():
                continue
            k = _choose_one(out, lo, hi, node, rng, argmax, negative_q_keep, max_attempts)
            region, partner = cands.pairs[lo + k]
            if states[i].apply(int(region), int(partner)):
                chosen[i] = k
            else:
                cands.mask[lo + k] = False
                failed.append(i)
        pending = failed
        if pending:
            out = model.score(encoded, cands)
    steps = []
    for i, state in enumerate(states):
        lo, hi = cands.offsets[i], cands.offsets[i + 1]
        k = chosen[i]
        steps.append(Step(
            graph=graphs[i], pairs=per_state[i][0], features=per_state[i][1],
            mask=cands.mask[lo:hi].copy(), action=k,
            log_prob=float(out["log_prob"][lo + k]) if k >= 0 else 0.0,
            value=float(out["value"][i]),
            q=float(out["q"][lo + k]) if (k >= 0 and node) else 0.0,
            cost_before=before[i], cost_after=float(state.cost()),
            expert=-1 if experts[i] is None else int(experts[i])))
    return steps
