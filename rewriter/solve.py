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
from dataclasses import dataclass, field

import numpy as np

from baselines import local_search as LS
from baselines.dispatching import MODES, RULES, dispatch

from . import __version__
from .errors import InputError
from .jssp.instance import JobShopInstance
from .jssp.solution import MOVE_KINDS, JobShopSolution
from .jssp.validate import check_schedule

POLICIES = ("learned", "tabu", "greedy", "greedy-first", "random", "none")
# argmax decoding samples while this many steps have passed without a new best: a learned
# search that imitates tabu can circle a deep local optimum for thousands of steps (README)
EXPLORE_AFTER = 300


@dataclass
class TabuSettings:
    """Tabu-search parameters; ``None`` picks the size-based defaults documented in local_search."""

    tenure_min: int | None = None
    tenure_max: int | None = None
    stall: int = 10000  # tuned on ta41/43/47, 10 s: 2500 -> 3.7% mean gap, 10000 -> 2.6%
    perturb: int = 6
    tie_break: str = "random"  # or "pressure": ties in makespan go to the lowest pressure

    def resolved(self, instance: JobShopInstance) -> tuple[int, int, int, int]:
        low = self.tenure_min if self.tenure_min is not None else 10 + instance.n_jobs // instance.n_machines
        high = self.tenure_max if self.tenure_max is not None else 2 * low
        if self.tie_break not in LS.TIE_BREAKS:
            raise InputError(f"tabu tie-break must be one of {', '.join(LS.TIE_BREAKS)}, "
                             f"got {self.tie_break!r}")
        if not 1 <= low <= high:
            raise InputError(f"tabu tenure must satisfy 1 <= min <= max, got {low}..{high}")
        return low, high, max(1, self.stall), max(0, self.perturb)


@dataclass
class Result:
    """What a solve returns: the best schedule, how it was found, and how long it took."""

    instance: JobShopInstance
    solution: JobShopSolution
    method: str
    init: str
    init_makespan: int
    steps: int
    seed: int | None
    runtime_s: float
    status: str  # completed | local_optimum | optimal | time_limit | interrupted
    trace: list[tuple[int, float, int]] = field(default_factory=list)  # (step, seconds, best)
    restarts: int = 0
    info: dict = field(default_factory=dict)  # method-specific facts (solver bound, version, ...)

    @property
    def makespan(self) -> int:
        return self.solution.makespan

    @property
    def upper_bound(self) -> int | None:
        return self.instance.upper_bound

    @property
    def lower_bound(self) -> int | None:
        return self.instance.lower_bound

    @property
    def gap_percent(self) -> float | None:
        """(makespan - best-known upper bound) / upper bound x 100, when the bound is known."""
        ub = self.instance.upper_bound
        if not ub:
            return None
        return round(100.0 * (self.makespan - ub) / ub, 2)

    def to_dict(self) -> dict:
        """The schedule JSON of DESIGN.md."""
        inst = self.instance
        return {
            "instance": inst.name, "n_jobs": inst.n_jobs, "n_machines": inst.n_machines,
            "makespan": self.makespan, "upper_bound": inst.upper_bound,
            "lower_bound": inst.lower_bound, "gap_percent": self.gap_percent,
            "method": self.method, "init": self.init, "steps": self.steps, "seed": self.seed,
            "runtime_s": round(self.runtime_s, 4), "status": self.status,
            "init_makespan": self.init_makespan, "version": __version__,
            **({"info": self.info} if self.info else {}),
            **self.solution.to_dict(),
        }


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


def solve(instance: JobShopInstance, *, init: str = "mwkr", init_mode: str = "active",
          policy: str = "learned", steps: int | None = 200, time_limit: float | None = None,
          moves: str | None = None, seed: int | None = 0, tabu: TabuSettings | None = None,
          progress: bool = False, start: JobShopSolution | None = None,
          model: str | None = None, samples: int = 1, greedy: bool | None = None,
          explore_after: int | None = EXPLORE_AFTER) -> Result:
    """Improve a dispatching-rule schedule with a rewriting policy.

    ``steps`` bounds the number of moves (tabu iterations); ``None`` means no bound, in which case
    a ``time_limit`` (seconds) should be given. ``policy``: ``learned`` (the neural rewriter:
    ``model`` is a checkpoint path or None for the shipped one; ``greedy`` follows the argmax
    of the policy, otherwise ``samples`` trajectories are sampled side by side and the best kept;
    ``greedy=None`` means argmax for one trajectory, sampling for several; argmax samples while
    ``explore_after`` steps or more have passed without a new best, 0 or None never), ``tabu``,
    ``greedy`` (best-improvement descent), ``greedy-first`` (first improvement), ``random``
    (random walk) or ``none``. ``moves`` is the neighbourhood (``n5``, ``n1``, ``adjacent``,
    ``n7``); None means the one the model was trained with for ``learned``, N5 otherwise.
    """
    _check_choice(policy, POLICIES, "policy")
    if moves is not None:
        _check_choice(moves, MOVE_KINDS, "move kind")
    if steps is None and time_limit is None and policy in ("tabu", "random", "learned"):
        raise InputError("give a step budget or a time limit (or both)")
    if steps is not None and steps < 0:
        raise InputError(f"steps must be >= 0, got {steps}")
    if time_limit is not None and time_limit <= 0:
        raise InputError(f"time limit must be positive, got {time_limit}")
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + time_limit
    seed_value = 0 if seed is None else int(seed)
    sol = start.copy() if start is not None else initial_solution(instance, init, init_mode, seed)
    init_makespan = sol.makespan
    if policy == "learned":
        if explore_after is not None and explore_after < 0:
            raise InputError(f"explore_after must be >= 0, got {explore_after}")
        return _learned(instance, sol, init, t0, steps, time_limit, moves, seed_value, model,
                        samples, greedy, progress, explore_after)
    search = _Search(sol, policy, moves or "n5", tabu or TabuSettings(), seed_value)
    status = "completed"
    budget = np.iinfo(np.int64).max if steps is None else int(steps)
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=None if steps is None else budget, unit="step", leave=False,
                   desc=f"{policy} {instance.name}")
    chunk = 64
    try:
        while search.steps < budget:
            # the first chunk always runs: loading the compiled kernels can take longer than a
            # tiny time limit, and a search that never starts would return the bare start
            if search.steps > 0 and deadline is not None and time.perf_counter() >= deadline:
                status = "time_limit"
                break
            tic = time.perf_counter()
            n = min(chunk, budget - search.steps)
            done, finished = search.run(n, time.perf_counter() - t0)
            if bar is not None:
                bar.update(done)
                bar.set_postfix(best=search.best)
            if finished:
                status = finished
                break
            # size chunks to ~20 ms so time limits and Ctrl-C are honoured promptly
            spent = time.perf_counter() - tic
            chunk = int(min(max(chunk * (0.02 / max(spent, 1e-6)), 16), 1 << 14))
            if deadline is not None:
                remaining = deadline - time.perf_counter()
                if spent > 0 and done > 0:
                    chunk = max(1, min(chunk, int(remaining / spent * done) + 1))
    except KeyboardInterrupt:
        status = "interrupted"
    finally:
        if bar is not None:
            bar.close()
    best = search.best_solution()
    if instance.lower_bound is not None and best.makespan <= instance.lower_bound and status == "completed":
        status = "optimal"
    check_schedule(instance, best.start_matrix(), best.makespan)
    runtime = time.perf_counter() - t0
    trace = [(0, 0.0, init_makespan)] + search.trace + [(search.steps, runtime, best.makespan)]
    return Result(instance, best, policy if policy != "none" else "dispatch", init, init_makespan,
                  search.steps, seed, runtime, status, trace, search.restarts)


def _learned(instance, sol, init, t0, steps, time_limit, moves, seed, model, samples, greedy,
             progress, explore_after) -> Result:
    from .core.search import learned_search
    from .jssp.rewrite import JobShopState
    from .models import load_policy

    if samples < 1:
        raise InputError(f"samples must be >= 1, got {samples}")
    if greedy is None:  # argmax is ahead of one sampled trajectory at 200-1000 steps (README)
        greedy = samples == 1
    if greedy and samples > 1:
        raise InputError("argmax decoding follows one trajectory; use samples=1 or sampling")
    policy, meta = load_policy(model, "jssp")
    moves = moves or meta["options"].get("moves", "n5")
    budget = np.iinfo(np.int64).max if steps is None else int(steps)
    outcome = learned_search(JobShopState(sol, moves), policy, budget, samples=samples,
                             greedy=greedy, seed=seed, time_limit=time_limit, progress=progress,
                             desc=f"learned {instance.name}", explore_after=explore_after)
    best = outcome.best.solution
    check_schedule(instance, best.start_matrix(), best.makespan)
    status = "stuck" if outcome.status == "stuck" else outcome.status
    if instance.lower_bound is not None and best.makespan <= instance.lower_bound:
        status = "optimal"
    runtime = time.perf_counter() - t0
    trace = [(s, t, int(c)) for s, t, c in outcome.trace]
    info = {"model": meta.get("card", {}).get("name", str(model or "default")),
            "samples": samples, "decoding": "argmax" if greedy else "sampled", "moves": moves}
    return Result(instance, best, "rewriter", init, int(outcome.initial_cost), outcome.steps,
                  seed, runtime, status, trace, 0, info)


class _Search:
    """Holds the flat state of one local search between chunks."""

    def __init__(self, sol: JobShopSolution, policy: str, moves: str, tabu: TabuSettings, seed: int):
        inst = sol.instance
        self.sol = sol
        self.inst = inst
        self.policy = policy
        self.kind = LS.MOVE_CODES[moves]
        self.best = sol.makespan
        self.best_order = sol.order.copy()
        self.steps = 0
        self.restarts = 0
        self.trace: list[tuple[int, float, int]] = []
        self._trace_buf = np.zeros((1 << 14, 2), np.int64)
        self._scratch_heads = np.empty(inst.n_operations, np.int64)
        self._scratch_topo = np.empty(inst.n_operations, np.int64)
        self.lower_bound = max(inst.trivial_lower_bound(), inst.lower_bound or 0)
        if policy == "tabu":
            n = inst.n_operations
            self.tenure_min, self.tenure_max, self.stall, self.perturb = tabu.resolved(inst)
            self.tie_break = LS.TIE_BREAKS[tabu.tie_break]
            self._scratch_tails = np.empty(n, np.int64)
            self.tabu_until = np.zeros(n * n, np.int64)
            self.clock = 1
            self.since_best = 0
        LS.seed_numba(seed)

    def _common(self):
        s, i = self.sol, self.inst
        return (s.order, i.machine_start, i.op_duration, i.job_pred, i.job_succ, s.position,
                s.mach_pred, s.mach_succ, s.heads, s.tails, s.topo, s._indegree, s._path,
                s._blocks, s._moves, s._stack, s._seen)

    def run(self, n_steps: int, elapsed: float) -> tuple[int, str | None]:
        """Run up to ``n_steps``; returns (steps done, a final status or None)."""
        s = self.sol
        finished = None
        if self.policy == "none":
            return 0, "completed"
        if self.policy == "random":
            mk, best, done, nt = LS.random_walk_chunk(n_steps, self.kind, *self._common(),
                                                      self._scratch_heads, self._scratch_topo,
                                                      s.makespan, self.best_order, self.best,
                                                      self.steps, self._trace_buf)
            if done < n_steps:
                finished = "stuck"
        elif self.policy in ("greedy", "greedy-first"):
            common = self._common()
            mk, done, nt, local_opt = LS.descent_chunk(
                n_steps, self.kind, self.policy == "greedy-first", *common,
                self._scratch_heads, self._scratch_topo, s.makespan, self.steps, self._trace_buf)
            best = mk
            if mk < self.best:
                self.best_order[:] = s.order
            if local_opt:
                finished = "local_optimum"
        else:
            (mk, best, self.clock, self.since_best, done, nt, restarts) = LS.tabu_chunk(
                n_steps, self.kind, *self._common(), self._scratch_heads, self._scratch_topo,
                s.makespan, self.best_order, self.best, self.tabu_until, self.clock, self.tenure_min, self.tenure_max, self.stall,
                self.since_best, self.perturb, self.steps, self._trace_buf, self.lower_bound,
                self.tie_break, self._scratch_tails)
            self.restarts += restarts
            if done < n_steps:
                finished = "optimal"
        s.makespan = int(mk)
        self.best = min(self.best, int(best))
        self.steps += int(done)
        self.trace.extend((int(st), round(elapsed, 4), int(v)) for st, v in self._trace_buf[:nt])
        return int(done), finished

    def best_solution(self) -> JobShopSolution:
        return JobShopSolution(self.inst, self.best_order)
