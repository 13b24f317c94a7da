"""``solve``: build a schedule with a dispatching rule, then improve it by local rewriting with
one of the job shop's own policies (tabu search, descent, a random walk).

The Python API behind ``rewriter solve`` runs these and the learners' policies alike::

    from rewriter import load_instance, solve
    result = solve(load_instance("ta41"), init="mwkr", policy="tabu", steps=200, seed=0)
    result.makespan, result.gap_percent, result.to_dict()

A learner's policy (rewriter.learn) builds on what this module exposes: the initial schedule
(:func:`start_solution`), the checks of a search's keywords, the search loop and the result
(:func:`search_result`), searches side by side (:func:`side_by_side`).

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
from .window import WindowedTabu
from .schedule import MOVE_KINDS, JobShopSolution
from .result import make_result

#: the job shop's own policies; learners add theirs to its spec (rewriter.core.spec.Policy)
POLICIES = ("tabu", "greedy", "greedy-first", "random", "lns", "none")
#: the policies that need a step budget or a time limit
BUDGETED = ("tabu", "random", "lns")


def _check_choice(value: str, choices, what: str) -> str:
    if value not in choices:
        raise InputError(f"unknown {what} {value!r}; expected one of: {', '.join(choices)}")
    return value


def initial_solution(instance: JobShopInstance, init: str = "mwkr", mode: str = "active",
                     seed: int | None = 0) -> JobShopSolution:
    """A dispatching-rule schedule as a :class:`JobShopSolution`."""
    _check_choice(init, RULES, "initial rule")
    _check_choice(mode, MODES, "schedule generation mode")
    built = dispatch(instance, rule=init, mode=mode, seed=seed)
    return JobShopSolution(instance, built.order)


def start_solution(instance: JobShopInstance, init: str, mode: str, seed: int | None,
                   start: JobShopSolution | None) -> JobShopSolution:
    """A copy of ``start`` when given (a schedule built elsewhere, e.g. by a learner's start
    rule), else the ``init`` rule's; either way checked against the instance's lower bound."""
    sol = start.copy() if start is not None else initial_solution(instance, init, mode, seed)
    check_lower_bound(instance, sol.makespan, f"the {init} start")
    return sol


def check_search_options(policy: str, *, moves: str | None, samples: int, decoding: str | None,
                         steps: int | None, time_limit: float | None, budgeted: bool) -> None:
    """The checks every search over the job shop's moves makes of its keywords (``budgeted``:
    it needs a step budget or a time limit)."""
    if moves is not None:
        _check_choice(moves, MOVE_KINDS, "move kind")
    if samples != 1:
        raise InputError(f"samples are an option of the learned and construct policies, not of "
                         f"{policy}")
    if decoding is not None:
        raise InputError(f"decoding is an option of the learned policy, not of {policy}")
    if steps is None and time_limit is None and budgeted:
        raise InputError("give a step budget or a time limit (or both)")
    if steps is not None and steps < 0:
        raise InputError(f"steps must be >= 0, got {steps}")
    if time_limit is not None and time_limit <= 0:
        raise InputError(f"time limit must be positive, got {time_limit}")


#: --policy tabu on more operations than this searches windows of WINDOW operations (window.py).
#: At 10^6 operations (tai_1000_1000) windows are far ahead (a move over the whole schedule takes
#: ~60 ms); at 10^5 the whole schedule did better on 3 instances of 4 at 60 s (docs/industrial.md)
WINDOW_ABOVE = 200_000
WINDOW = 20_000
#: a window is searched until this many moves in a row found nothing better (measured as WINDOW)
WINDOW_STALL = 500


def window_size(instance: JobShopInstance, policy: str, moves: str | None,
                window: int | None) -> int:
    """The operations per window of a tabu search (0: the whole schedule at once); ``window``
    None picks :data:`WINDOW` on instances of more than :data:`WINDOW_ABOVE` operations."""
    if window is None:
        large = instance.n_operations > WINDOW_ABOVE
        return WINDOW if large and policy == "tabu" and moves in (None, "n5") else 0
    if window < 0 or (0 < window < 2):
        raise InputError(f"window must be 0 (none) or at least 2 operations, got {window}")
    if window and policy != "tabu":
        raise InputError(f"windows are an option of tabu search, not of {policy}")
    if window and moves not in (None, "n5"):
        raise InputError(f"a window's tabu search makes N5 moves, not {moves}")
    return window if window < instance.n_operations else 0


def tabu_settings(tabu: TabuSettings | None, tie_break: str | None) -> TabuSettings:
    tabu = tabu or TabuSettings()
    return tabu if tie_break is None else replace(tabu, tie_break=tie_break)


def solve(instance: JobShopInstance, *, init: str = "mwkr", init_mode: str = "active",
          policy: str, steps: int | None, time_limit: float | None = None,
          moves: str | None = None, seed: int | None = 0, tabu: TabuSettings | None = None,
          progress: bool = False, start: JobShopSolution | None = None,
          tie_break: str | None = None, searches: int = 1, model: str | None = None,
          samples: int = 1, decoding: str | None = None, started: float | None = None,
          window: int | None = None, selector: str | None = None, workers: int = 2) -> Result:
    """Improve a dispatching-rule schedule (or ``start``) with one of the job shop's own policies.

    ``steps`` bounds the number of moves (tabu iterations); ``None`` means no bound, in which case
    a ``time_limit`` (seconds) should be given. ``policy``: ``tabu``, ``greedy``
    (best-improvement descent), ``greedy-first`` (first improvement), ``random`` (random walk) or
    ``none``; the learned policies are added to the job shop's spec by their learners and run by
    ``registry.get("jssp").run`` (no default here: the spec's ``default_policy`` and
    ``steps_for`` are the one source of the defaults). ``moves`` is the neighbourhood (``n5``,
    ``n1``, ``adjacent``, ``n7``; None: N5). ``searches`` > 1 (tabu) runs that many independent
    searches side by side, one process each, with seeds ``seed`` to ``seed + searches - 1``, and
    returns the best (the lowest makespan; of equals, the lowest seed); its ``info`` lists every
    search's makespan. The clock (time limit, runtime) runs from ``started`` (default: now), so
    that building ``start`` can count. ``model`` is read by no policy of this module (every
    policy of the spec takes the same keywords). ``window`` (tabu): search windows of that many
    operations one after another (:mod:`rewriter.jssp.window`); None: on instances of more than
    :data:`WINDOW_ABOVE` operations, windows of :data:`WINDOW`; 0: never. ``policy="lns"``:
    large-neighbourhood rewriting (:mod:`rewriter.jssp.lns`), its regions picked by
    ``selector`` (:data:`rewriter.shop.regions.SELECTORS`, default adaptive), its sub-solves run
    by CP-SAT on ``workers`` threads; a step is one rewrite.
    """
    _check_choice(policy, POLICIES, "policy")
    check_search_options(policy, moves=moves, samples=samples, decoding=decoding, steps=steps,
                         time_limit=time_limit, budgeted=policy in BUDGETED)
    t0 = time.perf_counter() if started is None else started
    seed_value = 0 if seed is None else check_seed(seed)  # 0 <= seed < 2**63
    if searches != 1:
        if policy != "tabu":
            raise InputError(f"searches side by side are an option of the tabu and controlled "
                             f"policies, not of {policy}")
        call = dict(init=init, init_mode=init_mode, policy=policy, steps=steps, moves=moves,
                    tabu=tabu, start=start, tie_break=tie_break, window=window)
        return side_by_side(solve, instance, call, searches, seed_value, time_limit, progress, t0)
    if selector is not None and policy != "lns":
        raise InputError(f"selector is an option of the lns policy, not of {policy}")
    size = window_size(instance, policy, moves, window)
    sol = start_solution(instance, init, init_mode, seed, start)
    settings = tabu_settings(tabu, tie_break)
    if policy == "lns":
        return _lns(instance, sol, settings, selector or "adaptive", workers, moves, init, steps,
                    time_limit, seed, seed_value, progress, t0, model)
    if size:
        search = WindowedTabu(sol, settings, seed_value, size, WINDOW_STALL)
    else:
        search = LocalSearch(sol, policy, moves or "n5", settings, seed_value)
    result = search_result(instance, search, policy, init, sol.makespan, steps, time_limit, seed,
                           progress, t0, {"window": size} if size else None)
    if size:
        result.info["windows"] = search.windows
    return result


def _lns(instance, sol, settings, selector, workers, moves, init, steps, time_limit, seed,
         seed_value, progress, t0, model=None) -> Result:
    """Large-neighbourhood rewriting from ``sol`` (:mod:`rewriter.jssp.lns`); ``model``: the
    learned picker's (``selector="learned"``; None: the shipped one)."""
    from ..shop.lns import LargeNeighbourhoodSearch, LnsSettings
    from ..shop.regions import chooser
    from .lns import JobShopRewrite

    if moves not in (None, "n5"):
        raise InputError(f"the lns policy's tabu search makes N5 moves, not {moves}")
    limit = search_limit(instance, time_limit)
    deadline = None if limit is None else t0 + limit
    lns = LnsSettings(selector=selector, workers=workers).check()
    picker = chooser(selector, "jssp", model)
    search = LargeNeighbourhoodSearch(JobShopRewrite(sol, settings), lns, seed_value, deadline, t0,
                                      picker)
    return search_result(instance, search, "lns", init, sol.makespan, steps, time_limit, seed,
                         progress, t0, search.info)


def search_result(instance: JobShopInstance, search, policy: str, init: str, init_makespan: int,
                  steps: int | None, time_limit: float | None, seed, progress, t0: float,
                  info=None) -> Result:
    """Run ``search`` (a :class:`~rewriter.core.loop.Stepper` over job-shop solutions) in the
    search loop and make its best schedule the result; optimal when a completed search
    reaches the instance's proven lower bound."""
    outcome = run(search, steps, time_limit=search_limit(instance, time_limit), progress=progress,
                  desc=f"{policy} {instance.name}", started=t0)
    best = outcome.best
    status = outcome.status
    if best.makespan <= instance.proven_lower_bound() and status == "completed":
        status = "optimal"
    info = info() if callable(info) else info  # what a search reports once it has run
    return make_result(instance, best, policy if policy != "none" else "dispatch", init,
                       init_makespan, outcome.steps, seed, outcome.runtime_s, status,
                       outcome.trace, outcome.restarts, info or {})


#: seconds per operation that building and validating the result takes after the search
#: (measured at 10^6 operations: 2.2-3.2 s on 2 busy cores), kept out of the search's time so a
#: time limit holds for the whole call
FINISH_PER_OPERATION = 3e-6


def search_limit(instance: JobShopInstance, time_limit: float | None) -> float | None:
    """The search's share of ``time_limit``: what is left after the result's reserve."""
    if time_limit is None:
        return None
    return max(time_limit - FINISH_PER_OPERATION * instance.n_operations, 1e-3)


def side_by_side(solve_one, instance, call: dict, searches: int, seed: int,
                 time_limit: float | None, progress, t0: float) -> Result:
    """``searches`` independent searches at once, one process each: ``solve_one(instance=...,
    seed=..., time_limit=..., progress=..., **call)`` (a module-level function) with seeds
    ``seed`` on; the best one's result, with the whole run's wall time and every search's
    makespan in ``info``."""
    from ..core.portfolio import run_side_by_side

    if searches < 1:
        raise InputError(f"searches must be >= 1, got {searches}")
    left = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 1e-3)
    seeds = [(seed + k) % 2**63 for k in range(searches)]
    calls = [dict(call, instance=instance, seed=s, time_limit=left, progress=progress and not k)
             for k, s in enumerate(seeds)]  # one bar: the first search's
    results, interrupted = run_side_by_side(solve_one, calls)
    finished = [(r.makespan, k) for k, r in enumerate(results) if r is not None]
    if not finished:  # every search was killed or outlived the grace period after a Ctrl-C
        raise KeyboardInterrupt
    best = results[min(finished)[1]]
    info = {**best.info, "searches": searches, "best_seed": best.seed,
            "makespans": [None if r is None else int(r.makespan) for r in results]}
    return replace(best, seed=seed, runtime_s=time.perf_counter() - t0, info=info,
                   status="interrupted" if interrupted else best.status)
