"""The learned rewriter as a policy of each problem it serves (``--policy learned``): the
problem's start schedule, rewritten by a trained policy in the learned search
(:mod:`rewriter.learn.search`), made a result by the problem's own ``make_result``.

Registered with the problems by :mod:`rewriter.learn.register`; the problems never import it.
"""

from __future__ import annotations

import time

from ..errors import InputError
from ..models import load_policy
from ..seeding import check_seed
from .search import learned_search

#: argmax decoding samples while this many steps have passed without a new best: a learned
#: search that imitates tabu can circle a deep local optimum for thousands of steps (README)
EXPLORE_AFTER = 300


def _argmax(samples: int, decoding: str | None) -> bool:
    """Argmax decoding for one trajectory, sampling for several, unless ``decoding`` says."""
    if samples < 1:
        raise InputError(f"samples must be >= 1, got {samples}")
    if decoding not in (None, "argmax", "sample"):
        raise InputError(f"unknown decoding {decoding!r}; expected argmax or sample")
    argmax = samples == 1 if decoding is None else decoding == "argmax"
    if argmax and samples > 1:
        raise InputError("argmax decoding follows one trajectory; use samples=1 or sampling")
    return argmax


def _model_info(meta: dict, model, samples: int, argmax: bool) -> dict:
    return {"model": meta.get("card", {}).get("name", str(model or "default")),
            "samples": samples, "decoding": "argmax" if argmax else "sampled"}


def solve_jssp(instance, *, init: str = "mwkr", init_mode: str = "active", steps: int | None,
               time_limit: float | None = None, moves: str | None = None, seed: int | None = 0,
               progress: bool = False, start=None, started: float | None = None,
               model: str | None = None, samples: int = 1, decoding: str | None = None,
               explore_after: int | None = EXPLORE_AFTER, searches: int = 1, tabu=None,
               tie_break: str | None = None, window: int | None = None):
    """The job shop's ``learned`` policy: ``model`` (a checkpoint path, or None for the shipped
    one) rewrites the start schedule; ``decoding="argmax"`` follows the most likely rewrite
    (sampling while ``explore_after`` steps or more have passed without a new best; 0 or None:
    never), ``"sample"`` samples ``samples`` trajectories side by side and keeps the best.
    ``moves`` defaults to the neighbourhood the model was trained with. ``tabu`` and
    ``tie_break`` are tabu search's and not read here; so is ``window``, refused when given."""
    from ..jssp.result import make_result

    if window:
        raise InputError("windows are an option of tabu search (--policy tabu or controlled), "
                         "not of the learned policy")
    from ..jssp.rewrite import JobShopState
    from ..jssp.schedule import MOVE_KINDS
    from ..jssp.solve import start_solution

    if moves is not None and moves not in MOVE_KINDS:
        raise InputError(f"unknown move kind {moves!r}; expected one of: {', '.join(MOVE_KINDS)}")
    if steps is None and time_limit is None:
        raise InputError("give a step budget or a time limit (or both)")
    if steps is not None and steps < 0:
        raise InputError(f"steps must be >= 0, got {steps}")
    if time_limit is not None and time_limit <= 0:
        raise InputError(f"time limit must be positive, got {time_limit}")
    t0 = time.perf_counter() if started is None else started
    seed_value = 0 if seed is None else check_seed(seed)  # 0 <= seed < 2**63
    if searches < 1:
        raise InputError(f"searches must be >= 1, got {searches}")
    if searches != 1:
        raise InputError("searches side by side are an option of the tabu and controlled "
                         "policies, not of learned")
    sol = start_solution(instance, init, init_mode, seed, start)
    if explore_after is not None and explore_after < 0:
        raise InputError(f"explore_after must be >= 0, got {explore_after}")
    # argmax is ahead of one sampled trajectory at 200-1000 steps (docs/benchmarks.md)
    argmax = _argmax(samples, decoding)
    policy, meta = load_policy(model, "jssp")
    moves = moves or meta["options"].get("moves", "n5")
    outcome = learned_search(JobShopState(sol, moves), policy, steps, samples=samples,
                             argmax=argmax, seed=seed_value, time_limit=time_limit,
                             progress=progress, desc=f"learned {instance.name}",
                             explore_after=explore_after, started=t0)
    best = outcome.best.solution
    status = outcome.status
    if best.makespan <= instance.proven_lower_bound():
        status = "optimal"
    info = {**_model_info(meta, model, samples, argmax), "moves": moves}
    return make_result(instance, best, "rewriter", init, int(outcome.initial_cost), outcome.steps,
                       seed, outcome.runtime_s, status, outcome.trace, 0, info)


def solve_fjsp(instance, *, init: str = "mwkr-eet", steps: int | None,
               time_limit: float | None = None, seed: int = 0, objective: str = "makespan",
               moves: str = "full", progress: bool = False, start=None,
               started: float | None = None, model=None, samples: int = 1,
               decoding: str | None = None, method: str = "search", batches: int | None = None,
               **options):
    """The flexible shop's ``learned`` policy: the start schedule (``init``'s, or ``start``)
    rewritten by ``model`` (a path, or the shipped one) for makespan: one trajectory by argmax,
    or sampled (``decoding="sample"``, or ``samples`` > 1). ``steps=0`` keeps the start. The
    flexible shop's own solve checks the keywords and builds the start (``policy="none"``)."""
    from ..fjsp.rewrite import FlexibleState
    from ..fjsp.solve import make_result, solve

    if batches is not None:
        raise InputError("--batches runs the flexible shop's own methods batch by batch (rules, "
                         "tabu, greedy, random, lns, cpsat), not the learned policy")
    t0 = time.perf_counter() if started is None else started
    kept = solve(instance, init=init, policy="none", steps=steps, time_limit=time_limit,
                 seed=seed, objective=objective, moves=moves, start=start, started=t0,
                 method=method, **options)
    if steps == 0:
        return kept
    if objective != "makespan":
        raise InputError("the learned policy rewrites for makespan; use --policy tabu for "
                         f"the {objective} objective")
    if decoding not in (None, "argmax", "sample"):
        raise InputError(f"unknown decoding {decoding!r}; expected argmax or sample")
    argmax = samples == 1 if decoding is None else decoding == "argmax"  # the spec's default
    if samples > 1 and argmax:
        raise InputError("argmax decoding follows one trajectory; use samples=1 or sampling")
    if steps is None and time_limit is None:
        raise InputError("give a step budget or a time limit (or both)")
    net, meta = load_policy(model, "fjsp")
    outcome = learned_search(FlexibleState(kept.solution, moves), net, steps, samples=samples,
                             argmax=argmax, seed=seed, time_limit=time_limit, progress=progress,
                             started=t0, desc=f"learned {instance.name}")
    info = {"moves": moves, **_model_info(meta, model, samples, argmax)}
    return make_result(instance, outcome.best.schedule(), "rewriter", init, kept.init_cost,
                       outcome.steps, kept.seed, outcome.runtime_s, outcome.status,
                       outcome.trace, objective, 1.0, info)


def solve_mrt(instance, *, init: str = "ejf", steps: int | None, time_limit: float | None = None,
              seed: int = 0, progress: bool = False, model=None, samples: int = 1,
              decoding: str | None = None):
    """MRT's ``learned`` policy: the ``init`` heuristic's schedule rewritten by ``model`` (a path,
    or the shipped one); its rewrites are sampled unless ``decoding="argmax"``, and a sampled
    search keeps the rewrites of negative value the model was trained to keep."""
    from ..mrt.solve import dispatch_result, initial_state, make_result

    if steps is None and time_limit is None:
        raise InputError("give a step budget or a time limit (or both)")
    t0 = time.perf_counter()
    state = initial_state(instance, init, seed)
    if steps == 0:
        return dispatch_result(instance, state, init, seed, t0)
    argmax = decoding == "argmax"
    if samples > 1 and argmax:
        raise InputError("argmax decoding follows one trajectory; use samples=1 or sampling")
    net, meta = load_policy(model, "mrt")
    keep = meta.get("card", {}).get("config", {}).get("pc_min")
    outcome = learned_search(state, net, steps, samples=samples, argmax=argmax, seed=seed,
                             time_limit=time_limit, progress=progress, started=t0,
                             negative_q_keep=keep if keep is not None and not argmax else None,
                             desc=f"learned {instance.name}")
    return make_result(instance, outcome.best.schedule.starts, "rewriter", init,
                       outcome.initial_cost, outcome.steps, seed, outcome.runtime_s,
                       outcome.status, outcome.trace, _model_info(meta, model, samples, argmax))


#: the crew rewriter's shipped model (rewriter/models/crew.pt is the crew network's)
CREW_MODEL = "crew_rewriter.pt"


def solve_crew(instance, *, init: str = "insertion", steps: int | None,
               time_limit: float | None = None, seed: int = 0, progress: bool = False,
               start=None, started: float | None = None, model=None, samples: int = 1,
               decoding: str | None = None, explore_after: int | None = EXPLORE_AFTER,
               **options):
    """The crew problem's ``learned`` policy: the start routes (``init``'s, or ``start``)
    rewritten by relocations chosen by ``model`` (a path, or the shipped
    ``rewriter/models/crew_rewriter.pt``): one trajectory by argmax (sampling from a revisited
    solution and while ``explore_after`` steps have passed without a new best), or sampled
    (``decoding="sample"``, or ``samples`` > 1). ``steps=0`` keeps the start. The crew problem's
    own solve checks the keywords and builds the start (``policy="none"``)."""
    from ..crew.rewrite import CrewState
    from ..crew.solve import make_result, solve
    from .checkpoint import shipped_model

    t0 = time.perf_counter() if started is None else started
    if steps is None and time_limit is None:
        raise InputError("give a step budget or a time limit (or both)")
    kept = solve(instance, init=init, policy="none", steps=steps, time_limit=time_limit,
                 seed=seed, start=start, started=t0, **options)
    if steps == 0:
        return kept
    if explore_after is not None and explore_after < 0:
        raise InputError(f"explore_after must be >= 0, got {explore_after}")
    argmax = _argmax(samples, decoding)
    if model in (None, "default"):
        model = shipped_model(CREW_MODEL, "crew rewriting policy", "rewriter train --problem crew")
    net, meta = load_policy(model, "crew")
    outcome = learned_search(CrewState(kept.solution), net, steps, samples=samples,
                             argmax=argmax, seed=kept.seed, time_limit=time_limit,
                             progress=progress, started=t0, explore_after=explore_after,
                             desc=f"learned {instance.name}")
    info = _model_info(meta, model, samples, argmax)
    return make_result(instance, outcome.best.schedule(), "rewriter", init, kept.init_cost,
                       outcome.steps, kept.seed, outcome.runtime_s, outcome.status,
                       outcome.trace, info)
