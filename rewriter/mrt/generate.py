"""The paper's random job sequences and a seeded, never-stored data set of 100k sequences.

One sequence (Chen & Tian 2019, following DeepRM): at each of ``steps = 50`` time steps one job
arrives with probability 0.7. A job is short with probability 0.8 (length uniform in 1..3) and
long otherwise (length uniform in 10..15). For every job, ``max(1, D // 2)`` resource types chosen
uniformly at random are *dominant* (demand uniform in 5..10); the others get demand uniform in
1..2. Capacity is 10 per resource; the rule window is 10. Bounds are inclusive everywhere.

Data set: 100,000 sequences per D, numbered 0..99,999 by a global index; ``train`` is 0..79,999,
``validation`` 80,000..89,999 and ``test`` 90,000..99,999, so the splits are disjoint by
construction. Sequence ``k`` of D is drawn from ``numpy.random.default_rng([MAGIC, D, k])``:
deterministic in (D, split, index) and independent of every other sequence.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .instance import DEFAULT_CAPACITY, DEFAULT_WINDOW, MrtInstance

__all__ = ["random_sequence", "dataset_instance", "split_size", "SPLITS", "RESOURCE_SIZES",
           "ARRIVAL_STEPS", "ARRIVAL_PROB"]

ARRIVAL_STEPS = 50
ARRIVAL_PROB = 0.7
#: arrival steps of one random sequence, 2,000 times the paper's: each step draws a job with
#: probability ARRIVAL_PROB, and the schedulers' resource profile grows with their total length
MAX_ARRIVAL_STEPS = 100_000
SHORT_PROB = 0.8
SHORT_LENGTH = (1, 3)
LONG_LENGTH = (10, 15)
DOMINANT_DEMAND = (5, 10)
OTHER_DEMAND = (1, 2)
RESOURCE_SIZES = (2, 5, 10, 20)
#: split -> (first global index, number of sequences)
SPLITS = {"train": (0, 80_000), "validation": (80_000, 10_000), "test": (90_000, 10_000)}
_MAGIC = 0x4D5254  # "MRT"


def _check_resources(resources: int) -> int:
    if isinstance(resources, bool) or not isinstance(resources, (int, np.integer)) or resources < 1:
        raise InputError(f"the number of resource types must be an integer >= 1, got {resources!r}")
    return int(resources)


def random_sequence(rng: np.random.Generator, resources: int, name: str = "mrt",
                    steps: int = ARRIVAL_STEPS, arrival_prob: float = ARRIVAL_PROB,
                    window: int = DEFAULT_WINDOW) -> MrtInstance:
    """One random job sequence with the paper's settings (module docstring), drawn from ``rng``.

    A sequence in which no job arrives (probability 0.3 ** 50) is redrawn from the same stream.
    """
    d = _check_resources(resources)
    if steps < 1:
        raise InputError(f"steps must be >= 1, got {steps}")
    if steps > MAX_ARRIVAL_STEPS:
        raise InputError(f"{steps} arrival steps is too many to generate (at most "
                         f"{MAX_ARRIVAL_STEPS:,})")
    dominant = max(1, d // 2)
    while True:
        arrives = rng.random(steps) < arrival_prob
        if arrives.any():
            break
    arrival = np.flatnonzero(arrives).astype(np.int64)
    n = arrival.shape[0]
    short = rng.random(n) < SHORT_PROB
    length = np.where(short, rng.integers(*SHORT_LENGTH, size=n, endpoint=True),
                      rng.integers(*LONG_LENGTH, size=n, endpoint=True))
    demand = rng.integers(*OTHER_DEMAND, size=(n, d), endpoint=True)
    for i in range(n):
        cols = rng.choice(d, size=dominant, replace=False)
        demand[i, cols] = rng.integers(*DOMINANT_DEMAND, size=dominant, endpoint=True)
    return MrtInstance(name, np.full(d, DEFAULT_CAPACITY), arrival, length, demand, window=window,
                       metadata={"generator": "neurewriter", "resources": d})


def split_size(split: str) -> int:
    """Number of sequences in ``split`` (train 80,000, validation 10,000, test 10,000)."""
    return SPLITS[_check_split(split)][1]


def _check_split(split: str) -> str:
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    return split


def dataset_instance(resources: int, split: str, index: int) -> MrtInstance:
    """Sequence ``index`` of ``split`` for D = ``resources``, named ``mrt_d{D}_{split}_{index:05d}``."""
    d = _check_resources(resources)
    first, size = SPLITS[_check_split(split)]
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < size:
        raise InputError(f"index must be in 0..{size - 1} for split {split!r}, got {index!r}")
    global_index = first + int(index)
    rng = np.random.default_rng([_MAGIC, d, global_index])
    inst = random_sequence(rng, d, name=f"mrt_d{d}_{split}_{int(index):05d}")
    inst.metadata.update({"split": split, "index": int(index), "global_index": global_index})
    return inst
