"""The learned search: roll a policy forward from an initial state and keep the best state seen.

``samples`` trajectories run side by side, encoded as one batch per step. A time limit or
Ctrl-C ends the search early and still returns the best state, with the status saying why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .act import rewrite_step
from .policy import RewritePolicy
from .problem import RewriteState
from .threads import limit_threads


@dataclass
class SearchOutcome:
    best: RewriteState
    best_cost: float
    initial_cost: float
    steps: int
    runtime_s: float
    status: str  # completed | time_limit | interrupted | stuck
    trace: list[tuple[int, float, float]] = field(default_factory=list)  # (step, s, best cost)


def learned_search(initial: RewriteState, model: RewritePolicy, steps: int, *, samples: int = 1,
                   greedy: bool = False, seed: int = 0, time_limit: float | None = None,
                   progress: bool = False, negative_q_keep: float | None = None,
                   desc: str = "rewrite", keep_on_interrupt: bool = True,
                   explore_after: int | None = None) -> SearchOutcome:
    """Apply up to ``steps`` rewrites chosen by ``model`` to ``samples`` copies of ``initial``.

    ``greedy`` takes the most likely rewrite each step (one trajectory), except after a step
    that returned to a solution already visited (same :meth:`RewriteState.fingerprint`), and
    while ``explore_after`` or more steps have passed without a new best cost (None or 0: never),
    where it samples one; otherwise rewrites are sampled from the policy with a generator seeded by
    ``seed``. Ctrl-C ends the search with
    the best state so far (status ``interrupted``) unless ``keep_on_interrupt`` is False, in
    which case it propagates (training validation must stop the run, not end a search).
    """
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    if greedy and samples > 1:
        raise ValueError("greedy decoding gives one trajectory; use samples=1 or sampling")
    expected = (model.config.node_features, model.config.pair_features)
    # pair features are only ever appended, so a model trained before the last ones were added
    # reads the leading columns it knows
    if (expected[0] != initial.node_features or expected[1] > initial.pair_features):
        from ..errors import InputError

        raise InputError(f"the model reads {expected[0]} node and {expected[1]} pair features, "
                         f"this problem has {initial.node_features} and {initial.pair_features}: "
                         "it was trained for another problem (or another MRT resource count "
                         "above 20)")
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    model.eval()
    states = [initial.copy() for _ in range(samples)]
    best, best_cost = initial.copy(), initial.cost()
    initial_cost = best_cost
    trace = [(0, 0.0, best_cost)]
    status, done, last_gain = "completed", 0, 0
    seen, revisit = {initial.fingerprint()}, False
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=steps, unit="step", leave=False, desc=desc)
    try:
        # once for the whole search: setting the BLAS limit costs about 1 ms, a step 8 ms
        with limit_threads(1):
            while done < steps:
                if time_limit is not None and done > 0 and time.perf_counter() - t0 >= time_limit:
                    status = "time_limit"
                    break
                stalled = bool(explore_after) and done - last_gain >= explore_after
                result = rewrite_step(model, states, rng,
                                      greedy=greedy and not revisit and not stalled,
                                      negative_q_keep=negative_q_keep)
                done += 1
                if greedy:
                    # argmax from a solution it has already left once tends to leave it the same
                    # way again: from a revisited solution the next rewrite is sampled instead
                    key = states[0].fingerprint()
                    revisit = key is not None and key in seen
                    seen.add(key)
                if all(s.action < 0 for s in result):
                    status = "stuck"
                    break
                costs = [s.cost_after for s in result]
                i = int(np.argmin(costs))
                if costs[i] < best_cost:
                    best, best_cost, last_gain = states[i].copy(), costs[i], done
                    trace.append((done, round(time.perf_counter() - t0, 4), best_cost))
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(best=best_cost)
    except KeyboardInterrupt:
        if not keep_on_interrupt:
            raise
        status = "interrupted"
    finally:
        if bar is not None:
            bar.close()
    runtime = time.perf_counter() - t0
    trace.append((done, round(runtime, 4), best_cost))
    return SearchOutcome(best, best_cost, initial_cost, done, runtime, status, trace)


def random_search(initial: RewriteState, steps: int, *, seed: int = 0,
                  time_limit: float | None = None) -> SearchOutcome:
    """The same loop with a uniformly random feasible rewrite each step (a baseline)."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    state = initial.copy()
    best, best_cost = initial.copy(), initial.cost()
    trace, status, done = [(0, 0.0, best_cost)], "completed", 0
    try:
        while done < steps:
            if time_limit is not None and done > 0 and time.perf_counter() - t0 >= time_limit:
                status = "time_limit"
                break
            pairs, _ = state.candidates()
            order = rng.permutation(len(pairs))[:10]
            if not any(state.apply(int(pairs[k, 0]), int(pairs[k, 1])) for k in order):
                status = "stuck"
                break
            done += 1
            if state.cost() < best_cost:
                best, best_cost = state.copy(), state.cost()
                trace.append((done, round(time.perf_counter() - t0, 4), best_cost))
    except KeyboardInterrupt:
        status = "interrupted"
    runtime = time.perf_counter() - t0
    trace.append((done, round(runtime, 4), best_cost))
    return SearchOutcome(best, best_cost, initial.cost(), done, runtime, status, trace)


def greedy_search(initial: RewriteState, steps: int, *, time_limit: float | None = None) -> SearchOutcome:
    """Best-improvement descent over the same rewrites (a baseline): each step applies the
    candidate with the lowest exact cost after it, and the search stops at a local optimum."""
    t0 = time.perf_counter()
    state = initial.copy()
    trace, status, done = [(0, 0.0, state.cost())], "completed", 0
    try:
        while done < steps:
            if time_limit is not None and done > 0 and time.perf_counter() - t0 >= time_limit:
                status = "time_limit"
                break
            costs = state.candidate_costs()
            pairs, _ = state.candidates()
            if not len(costs) or costs.min() >= state.cost():
                status = "local_optimum"
                break
            k = int(np.argmin(costs))
            if not state.apply(int(pairs[k, 0]), int(pairs[k, 1])):
                raise RuntimeError("a candidate with an exact look-ahead cost did not apply")
            done += 1
            trace.append((done, round(time.perf_counter() - t0, 4), state.cost()))
    except KeyboardInterrupt:
        status = "interrupted"
    runtime = time.perf_counter() - t0
    trace.append((done, round(runtime, 4), state.cost()))
    return SearchOutcome(state, state.cost(), initial.cost(), done, runtime, status, trace)
