"""MRT numba kernels against slow plain-Python references on random instances."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rewriter.mrt import kernels
from rewriter.mrt.schedule import MrtSchedule
from rewriter.mrt.validate import schedule_violations

from .mrt_strategies import (mrt_instances, ref_earliest, ref_fits, ref_parents, ref_rewrite,
                             ref_usage)


def _random_feasible(instance, data):
    """A feasible schedule: list scheduling in a random priority order."""
    order = data.draw(st.permutations(range(instance.n_jobs)))
    return MrtSchedule.from_priority(instance, order)


@settings(max_examples=150, deadline=None)
@given(mrt_instances(), st.data())
def test_profile_fits_and_earliest_fit_match_reference(instance, data):
    sched = _random_feasible(instance, data)
    d = instance.resources
    # an arbitrary (possibly infeasible) set of placed jobs: drop some
    keep = [i for i in range(1, sched.n_jobs + 1) if data.draw(st.booleans())]
    usage = np.zeros_like(sched._usage)
    for i in keep:
        kernels.add_job(usage, sched.demand[i], sched.length[i], sched.start[i], 1)
    ref = ref_usage([sched.start[i] for i in keep], [sched.length[i] for i in keep],
                    [sched.demand[i].tolist() for i in keep], d)
    for t in range(usage.shape[0]):
        assert usage[t].tolist() == ref.get(t, [0] * d)
    full = np.zeros_like(sched._usage)
    kernels.usage_profile(sched.start, sched.length, sched.demand, full, -1)
    ref_full = ref_usage(sched.start[1:].tolist(), sched.length[1:].tolist(), sched.demand[1:].tolist(), d)
    assert all(full[t].tolist() == ref_full.get(t, [0] * d) for t in range(full.shape[0]))
    cap = instance.capacity.tolist()
    for j in range(1, sched.n_jobs + 1):
        dem, L = sched.demand[j], int(sched.length[j])
        t0 = data.draw(st.integers(0, usage.shape[0] - L))
        assert kernels.fits(usage, dem, L, t0, instance.capacity) == ref_fits(ref, dem.tolist(), L, t0, cap)
        assert kernels.earliest_fit(usage, dem, L, t0, instance.capacity) == ref_earliest(ref, dem.tolist(), L, t0, cap)
        # past the end of the profile nothing fits
        assert not kernels.fits(usage, dem, L, usage.shape[0] - L + 1, instance.capacity)
        assert kernels.earliest_fit(usage, dem, L, usage.shape[0] - L + 1, instance.capacity) == -1


@settings(max_examples=200, deadline=None)
@given(mrt_instances(), st.data())
def test_rewrite_kernel_matches_reference(instance, data):
    sched = _random_feasible(instance, data)
    n = sched.n_jobs
    j = data.draw(st.integers(1, n))
    t = data.draw(st.integers(0, int((sched.start + sched.length).max()) + 2))
    out = np.zeros_like(sched.start)
    usage = np.zeros((sched._usage.shape[0] + 2 * int(instance.length.sum()) + 2, instance.resources), np.int64)
    code = kernels.rewrite(sched.start, sched.arrival, sched.length, sched.demand, instance.capacity, j, t,
                           usage, sched._nodes, out)
    assert code in (0, 1)
    ok = code == 1
    ref = ref_rewrite(sched.start.tolist(), sched.arrival.tolist(), sched.length.tolist(),
                      sched.demand.tolist(), instance.capacity.tolist(), j, t)
    assert ok == (ref is not None)
    if ok:
        assert out.tolist() == ref
        starts = np.empty(n, np.int64)
        starts[sched.node_job[1:]] = out[1:]
        assert schedule_violations(instance, starts) == []
    # a profile too short for the placement is reported (-1), never silently cut
    short = np.zeros((1, instance.resources), np.int64)
    if t >= sched.arrival[j] and t + sched.length[j] > 1:
        assert kernels.rewrite(sched.start, sched.arrival, sched.length, sched.demand, instance.capacity,
                               j, t, short, sched._nodes, out) == -1


@settings(max_examples=150, deadline=None)
@given(mrt_instances(), st.data())
def test_list_schedule_matches_reference(instance, data):
    order = data.draw(st.permutations(range(instance.n_jobs)))
    sched = MrtSchedule.from_priority(instance, order)
    cap = instance.capacity.tolist()
    usage = {}
    expected = [0] * instance.n_jobs
    for job in order:
        dem = instance.demand[job].tolist()
        L = int(instance.length[job])
        s = ref_earliest(usage, dem, L, int(instance.arrival[job]), cap)
        expected[job] = s
        for k in range(s, s + L):
            row = usage.setdefault(k, [0] * len(cap))
            for r in range(len(cap)):
                row[r] += dem[r]
    assert sched.starts.tolist() == expected


@settings(max_examples=150, deadline=None)
@given(mrt_instances(), st.data())
def test_dag_parents_match_reference(instance, data):
    # any start times at or after arrival (feasibility does not matter for the DAG rule)
    starts = [int(a) + data.draw(st.integers(0, 6)) for a in instance.arrival]
    sched = MrtSchedule(instance, starts, check=False)
    parents = sched.parents()
    ref = ref_parents(sched.start.tolist(), sched.arrival.tolist(), sched.length.tolist())
    assert parents.shape[1] == max(1, max(len(p) for p in ref))
    for i, ps in enumerate(ref):
        got = [p for p in parents[i].tolist() if p >= 0]
        assert len(got) == len(set(got))
        assert set(got) == ps


@settings(max_examples=100, deadline=None)
@given(mrt_instances(), st.data())
def test_candidate_pairs_match_reference(instance, data):
    sched = _random_feasible(instance, data)
    n, w = sched.n_jobs, instance.window
    cap = n * (2 * w + 1)
    pairs = np.zeros((cap, 2), np.int64)
    feats = np.zeros((cap, 4), np.float32)
    k = kernels.candidate_pairs(sched.start, sched.arrival, sched.length, w, pairs, feats)
    expected = []
    for i in range(1, n + 1):
        for p in [0] + list(range(max(1, i - w), min(n, i + w) + 1)):
            if p == i:
                continue
            t = sched.arrival[i] if p == 0 else sched.start[p] + sched.length[p]
            if t >= sched.arrival[i]:
                expected.append((i, p, 0.0 if p == 0 else (p - i) / w, (t - sched.start[i]) / 50,
                                 float(p == 0), (t - sched.arrival[i]) / 50))
    assert k == len(expected)
    assert [tuple(x) for x in pairs[:k].tolist()] == [e[:2] for e in expected]
    assert np.allclose(feats[:k], np.array([e[2:] for e in expected], np.float32).reshape(k, 4))
