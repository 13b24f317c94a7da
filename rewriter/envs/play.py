"""Random legal agents: the players the tests, the benchmark and the documentation's examples
use to drive the environments without ever breaking a rule."""

from __future__ import annotations

import numpy as np


def random_masked_choice(mask: np.ndarray, rng: np.random.Generator) -> int:
    """A uniformly random index among the True entries of the 1-D ``mask``."""
    allowed = np.flatnonzero(mask)
    if not allowed.size:
        raise ValueError("the mask allows nothing")
    return int(allowed[rng.integers(allowed.size)])


def random_jobshop_action(observation: dict, rng: np.random.Generator) -> np.ndarray:
    """A legal ``JobShop-v0`` action that never deadlocks: each machine draws uniformly from its
    row of the action mask; when every machine is idle and every one drew the no-op (which would
    end the episode as a deadlock), one machine that can take a job is given a random one."""
    mask = observation["action_mask"]
    num_machines, noop = mask.shape[0], mask.shape[1] - 1
    action = np.array([random_masked_choice(mask[m], rng) for m in range(num_machines)], np.int64)
    all_idle = not (observation["machines_remaining_times"] > 0).any()
    if all_idle and (action == noop).all():
        can_take = np.flatnonzero(mask[:, :noop].any(axis=1))
        machine = int(can_take[rng.integers(can_take.size)])
        action[machine] = random_masked_choice(mask[machine, :noop], rng)
    return action
