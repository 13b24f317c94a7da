"""The MRT generator: the paper's statistics, determinism by seed, disjoint splits."""

from __future__ import annotations

import numpy as np
import pytest

from rewriter.errors import InputError
from rewriter.mrt.generate import SPLITS, dataset_instance, random_sequence, split_size


@pytest.mark.parametrize("d", [2, 5, 10, 20])
def test_generator_statistics(d):
    instances = [dataset_instance(d, "train", k) for k in range(300)]
    arrivals = np.concatenate([i.arrival for i in instances])
    lengths = np.concatenate([i.length for i in instances])
    demand = np.concatenate([i.demand for i in instances])
    # arrival rate: 0.7 per step over 50 steps (300 * 50 Bernoulli draws: sd ~ 0.004)
    assert abs(len(arrivals) / (300 * 50) - 0.7) < 0.02
    assert arrivals.min() >= 0 and arrivals.max() <= 49
    for inst in instances:  # at most one arrival per step, listed in arrival order
        assert np.all(np.diff(inst.arrival) > 0)
        assert inst.capacity.tolist() == [10] * d and inst.window == 10
    short = lengths <= 3
    assert set(np.unique(lengths[short])) == {1, 2, 3}
    assert set(np.unique(lengths[~short])) == set(range(10, 16))
    assert abs(short.mean() - 0.8) < 0.02
    dominant = demand >= 5
    assert (dominant.sum(axis=1) == max(1, d // 2)).all()
    assert set(np.unique(demand[dominant])) == set(range(5, 11))
    assert set(np.unique(demand[~dominant])) == {1, 2}
    # every resource is dominant about equally often
    share = dominant.mean(axis=0)
    assert np.allclose(share, max(1, d // 2) / d, atol=0.05)


def test_dataset_is_deterministic_and_splits_are_disjoint():
    a = dataset_instance(5, "test", 7)
    b = dataset_instance(5, "test", 7)
    assert a.name == "mrt_d5_test_00007"
    assert np.array_equal(a.arrival, b.arrival) and np.array_equal(a.demand, b.demand)
    assert np.array_equal(a.length, b.length)
    assert split_size("train") == 80_000 and split_size("validation") == 10_000 and split_size("test") == 10_000
    starts = sorted(SPLITS.values())
    assert starts[0][0] == 0 and all(x[0] + x[1] == y[0] for x, y in zip(starts, starts[1:]))
    assert starts[-1][0] + starts[-1][1] == 100_000
    seen = {}
    for split in SPLITS:
        for k in range(40):
            inst = dataset_instance(5, split, k)
            key = (inst.arrival.tobytes(), inst.length.tobytes(), inst.demand.tobytes())
            assert key not in seen, f"{inst.name} equals {seen.get(key)}"
            seen[key] = inst.name
    # D is part of the seed: same index, different D, different arrivals
    assert not np.array_equal(dataset_instance(2, "test", 0).arrival, dataset_instance(20, "test", 0).arrival)


def test_random_sequence_uses_the_rng_only():
    a = random_sequence(np.random.default_rng(5), 10)
    b = random_sequence(np.random.default_rng(5), 10)
    c = random_sequence(np.random.default_rng(6), 10)
    assert np.array_equal(a.demand, b.demand) and not (
        a.n_jobs == c.n_jobs and np.array_equal(a.demand, c.demand))


def test_bad_arguments():
    with pytest.raises(InputError, match="split"):
        dataset_instance(5, "dev", 0)
    with pytest.raises(InputError, match="index"):
        dataset_instance(5, "test", 10_000)
    with pytest.raises(InputError, match="resource"):
        dataset_instance(0, "test", 0)
