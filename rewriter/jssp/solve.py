"""``solve``: build a schedule with a dispatching rule, then improve it by local rewriting.

The Python API behind ``rewriter solve``::

    from rewriter import load_instance, solve
    result = solve(load_instance("ta41"), init="mwkr", policy="tabu", steps=200, seed=0)
    result.makespan, result.gap_percent, result.to_dict()

Every returned schedule has passed the independent validator. A time limit or Ctrl-C ends the
search early and still returns the best schedule found, with ``status`` saying why it stopped.
"""

from __future__ import annotations

import time
from dataclasses import replace

from ..core.loop import run
from ..core.result import Result
from ..errors import InputError, check_lower_bound
from ..seeding import check_seed
from .dispatching import MODES, RULES, dispatch
from .instance import JobShopInstance
from .search import LocalSearch, TabuSettings
from .schedule import MOVE_KINDS, JobShopSolution
from .result import make_result

POLICIES = ("learned", "tabu", "greedy", "greedy-first", "random", "none", "construct",
            "controlled")
#: the learned constructive scheduler as a first schedule (rewriter.learn.construct; not a rule of
#: the dispatching kernel)
CONSTRUCT = "construct"
#: the policies whose searches can run side by side (``searches``): one core each, cheap to start
SIDE_BY_SIDE = ("tabu", "controlled")
# argmax decoding samples while this many steps have passed without a new best: a learned
# search that imitates tabu can circle a deep local optimum for thousands of steps (README)
EXPLORE_AFTER = 300


def _check_choice(value: str, choices, what: str) -> str:
    if value not in choices:
        raise InputError(f"unknown {what} {value!r}; expected one of: {', '.join(choices)}")
    return value


def initial_solution(instance: JobShopInstance, init: str = "mwkr", mode: str = "active",
                     seed: int | None = 0, construct_model: str | None = None) -> JobShopSolution:
    """A dispatching-rule schedule as a :class:`JobShopSolution`; ``init="construct"`` decodes
    the constructive model ``construct_model`` (None: the shipped one) greedily instead."""
    if init == CONSTRUCT:
        from ..learn.construct.decode import construct

        return construct(instance, model=construct_model).solution
    _check_choice(init, RULES + (CONSTRUCT,), "initial rule")
    _check_choice(mode, MODES, "schedule generation mode")
    built = dispatch(instance, rule=init, mode=mode, seed=seed)
    return JobShopSolution(instance, built.order)


def solve(instance: JobShopInstance, *, init: str = "mwkr", init_mode: str = "active",
          policy: str = "learned", steps: int | None = 200, time_limit: float | None = None,
          moves: str | None = None, seed: int | None = 0, tabu: TabuSettings | None = None,
          progress: bool = False, start: JobShopSolution | None = None,
          model: str | None = None, samples: int = 1, decoding: str | None = None,
          explore_after: int | None = EXPLORE_AFTER, tie_break: str | None = None,
          construct_model: str | None = None, controller: str | None = None,
          searches: int = 1) -> Result:
    """Improve a dispatching-rule schedule with a rewriting policy.

    ``steps`` bounds the number of moves (tabu iterations); ``None`` means no bound, in which case
    a ``time_limit`` (seconds) should be given. ``policy``: ``learned`` (the neural rewriter:
    ``model`` is a checkpoint path or None for the shipped one; ``decoding="argmax"`` follows the
    most likely rewrite, ``"sample"`` samples ``samples`` trajectories side by side and keeps the
    best; None means argmax for one trajectory, sampling for several; argmax samples while
    ``explore_after`` steps or more have passed without a new best, 0 or None never), ``tabu``,
    ``greedy`` (best-improvement descent), ``greedy-first`` (first improvement), ``random``
    (random walk), ``none``, or ``construct``: the constructive model ``construct_model`` (a
    path, None for the shipped one) builds the schedule itself, greedily, or the best of
    ``samples`` sampled schedules, and nothing rewrites it (``init`` is not used).
    ``init="construct"`` starts any other policy from that model's greedy schedule.
    ``controlled`` is tabu search whose restarts, perturbations and tenure are decided between
    slices of moves by ``controller`` (``learned``, the default, with ``model`` or the shipped
    one; ``hand`` or ``random``; docs/control.md); ``steps`` counts its tabu moves.
    ``moves`` is the neighbourhood (``n5``, ``n1``, ``adjacent``,
    ``n7``); None means the one the model was trained with for ``learned``, N5 otherwise.
    ``searches`` > 1 (tabu and controlled) runs that many independent searches side by side,
    one process each, with seeds ``seed`` to ``seed + searches - 1``, and returns the best
    (the lowest makespan; of equals, the lowest seed); its ``info`` lists every search's
    makespan. Give it as many searches as the machine has cores to spare.
    """
    _check_choice(policy, POLICIES, "policy")
    if moves is not None:
        _check_choice(moves, MOVE_KINDS, "move kind")
    if controller is not None and policy != "controlled":
        raise InputError("a controller is an option of the controlled policy only")
    if samples != 1 and policy not in ("learned", CONSTRUCT):
        raise InputError(f"samples are an option of the learned and construct policies, not of "
                         f"{policy}")
    if decoding is not None and policy != "learned":
        raise InputError(f"decoding is an option of the learned policy, not of {policy}")
    if steps is None and time_limit is None and policy in ("tabu", "random", "learned",
                                                           "controlled"):
        raise InputError("give a step budget or a time limit (or both)")
    if steps is not None and steps < 0:
        raise InputError(f"steps must be >= 0, got {steps}")
    if time_limit is not None and time_limit <= 0:
        raise InputError(f"time limit must be positive, got {time_limit}")
    t0 = time.perf_counter()
    seed_value = 0 if seed is None else check_seed(seed)  # 0 <= seed < 2**63
    if searches != 1:
        call = dict(init=init, init_mode=init_mode, policy=policy, steps=steps, moves=moves,
                    tabu=tabu, start=start, model=model, tie_break=tie_break,
                    construct_model=construct_model, controller=controller)
        return _side_by_side(instance, call, searches, seed_value, time_limit, progress, t0)
    if policy == CONSTRUCT:
        from ..learn.construct.decode import construct

        if samples < 1:
            raise InputError(f"samples must be >= 1, got {samples}")
        return construct(instance, model=construct_model, samples=samples, seed=seed_value)
    sol = start.copy() if start is not None else initial_solution(instance, init, init_mode, seed,
                                                                  construct_model)
    init_makespan = sol.makespan
    check_lower_bound(instance, init_makespan, f"the {init} start")
    if policy == "learned":
        if explore_after is not None and explore_after < 0:
            raise InputError(f"explore_after must be >= 0, got {explore_after}")
        return _learned(instance, sol, init, t0, steps, time_limit, moves, seed_value, model,
                        samples, decoding, progress, explore_after)
    tabu = tabu or TabuSettings()
    if tie_break is not None:
        tabu = replace(tabu, tie_break=tie_break)
    info = {}
    if policy == "controlled":
        from ..learn.control.controllers import controlled_search

        controller = controller or "learned"
        search = controlled_search(sol, controller, model, moves or "n5", tabu, seed_value, steps)
        info = {"controller": controller}
    else:
        search = LocalSearch(sol, policy, moves or "n5", tabu, seed_value)
    outcome = run(search, steps, time_limit=time_limit, progress=progress,
                  desc=f"{policy} {instance.name}", started=t0)
    best = outcome.best
    status = outcome.status
    if best.makespan <= instance.proven_lower_bound() and status == "completed":
        status = "optimal"
    return make_result(instance, best, policy if policy != "none" else "dispatch", init,
                       init_makespan, outcome.steps, seed, outcome.runtime_s, status,
                       outcome.trace, outcome.restarts, info)


def _side_by_side(instance, call: dict, searches: int, seed: int, time_limit: float | None,
                  progress, t0: float) -> Result:
    """``searches`` independent searches at once, one process each; the best one's result, with
    the whole run's wall time and every search's makespan in ``info``."""
    from ..core.portfolio import run_side_by_side

    if searches < 1:
        raise InputError(f"searches must be >= 1, got {searches}")
    if call["policy"] not in SIDE_BY_SIDE:
        raise InputError(f"searches side by side are an option of the {' and '.join(SIDE_BY_SIDE)} "
                         f"policies, not of {call['policy']}")
    left = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 1e-3)
    seeds = [(seed + k) % 2**63 for k in range(searches)]
    calls = [dict(call, instance=instance, seed=s, time_limit=left, progress=progress and not k)
             for k, s in enumerate(seeds)]  # one bar: the first search's
    results, interrupted = run_side_by_side(solve, calls)
    finished = [(r.makespan, k) for k, r in enumerate(results) if r is not None]
    if not finished:  # every search was killed or outlived the grace period after a Ctrl-C
        raise KeyboardInterrupt
    best = results[min(finished)[1]]
    info = {**best.info, "searches": searches, "best_seed": best.seed,
            "makespans": [None if r is None else int(r.makespan) for r in results]}
    return replace(best, seed=seed, runtime_s=time.perf_counter() - t0, info=info,
                   status="interrupted" if interrupted else best.status)


def _learned(instance, sol, init, t0, steps, time_limit, moves, seed, model, samples, decoding,
             progress, explore_after) -> Result:
    from ..learn.search import learned_search
    from ..models import load_policy
    from .rewrite import JobShopState

    if samples < 1:
        raise InputError(f"samples must be >= 1, got {samples}")
    if decoding not in (None, "argmax", "sample"):
        raise InputError(f"unknown decoding {decoding!r}; expected argmax or sample")
    # argmax is ahead of one sampled trajectory at 200-1000 steps (docs/benchmarks.md)
    argmax = samples == 1 if decoding is None else decoding == "argmax"
    if argmax and samples > 1:
        raise InputError("argmax decoding follows one trajectory; use samples=1 or sampling")
    policy, meta = load_policy(model, "jssp")
    moves = moves or meta["options"].get("moves", "n5")
    outcome = learned_search(JobShopState(sol, moves), policy, steps, samples=samples,
                             argmax=argmax, seed=seed, time_limit=time_limit, progress=progress,
                             desc=f"learned {instance.name}", explore_after=explore_after,
                             started=t0)
    best = outcome.best.solution
    status = outcome.status
    if best.makespan <= instance.proven_lower_bound():
        status = "optimal"
    info = {"model": meta.get("card", {}).get("name", str(model or "default")),
            "samples": samples, "decoding": "argmax" if argmax else "sampled", "moves": moves}
    return make_result(instance, best, "rewriter", init, int(outcome.initial_cost), outcome.steps,
                       seed, outcome.runtime_s, status, outcome.trace, 0, info)
