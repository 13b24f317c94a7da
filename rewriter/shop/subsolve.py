"""A large rewrite: OR-Tools CP-SAT re-solves a region of a schedule exactly, the rest of the
schedule keeping its machines and its machine orders.

Both shops reach it through :class:`Shop` (each operation's eligible machines and durations, a job
shop's operations having one each; per job a release date, a due date and a weight) and a
schedule in flat arrays (each operation's machine and start; each machine's sequence). The
operations of the region are *free*: any eligible machine, any place in any machine's sequence.
Every other operation keeps its machine and its order relative to the other fixed operations of
that machine (a precedence from each to the next), and its start floats. So the sub-model is the
whole schedule's, with most of its choices made: its optimum is never worse than the incumbent,
which stays a solution of it and is given as a complete hint; it is asked for a schedule no
worse, and that is kept (:func:`resolve`).

Why not fix the other operations' start times: the freed operations could then only fill holes
that are already there, and shifting the rest (what shortens the makespan) would be impossible.

The sub-model's size is the whole schedule's; at 10^4 operations (tai_100_100) building it takes
~0.1 s. Larger job shops are cut into windows first (:mod:`rewriter.jssp.window`), each of
which is a job shop of its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from ..core.cpsat import solve_interruptibly

#: the objectives a sub-solve minimises (weighted tardiness: sum over jobs with a due date)
OBJECTIVES = ("makespan", "tardiness", "combined")


@dataclass(frozen=True)
class Shop:
    """A shop's data as a sub-solve needs it (see the module docstring)."""

    n_machines: int
    job_start: np.ndarray      # job j owns operations job_start[j] .. job_start[j+1]-1, in order
    elig_start: np.ndarray     # operation o may run on elig_machine[elig_start[o]:elig_start[o+1]]
    elig_machine: np.ndarray
    elig_duration: np.ndarray  # ... taking the durations at the same positions
    release: np.ndarray        # per job
    due: np.ndarray            # per job, -1: none
    weight: np.ndarray         # per job

    @property
    def n_operations(self) -> int:
        return int(self.elig_start.shape[0] - 1)

    @property
    def n_jobs(self) -> int:
        return int(self.job_start.shape[0] - 1)


@dataclass
class Schedule:
    """A schedule in flat arrays: each operation's machine and start, each machine's sequence
    (``sequence[sequence_start[m]:sequence_start[m+1]]``)."""

    assign: np.ndarray
    start: np.ndarray
    duration: np.ndarray
    sequence: np.ndarray
    sequence_start: np.ndarray


@dataclass
class Rewrite:
    """What a sub-solve returns: ``status`` (CP-SAT's: optimal, feasible, unknown, interrupted),
    the new machines and sequences (None when it found no schedule), its cost and its jobs'
    total completion time as CP-SAT scored them, the seconds it took (model building included)
    and its effort: those seconds, or CP-SAT's deterministic time when it was limited by that."""

    status: str
    assign: np.ndarray | None
    sequences: list[np.ndarray] | None
    objective: int | None
    completion: int | None
    seconds: float
    build_seconds: float
    effort: float


def resolve(shop: Shop, incumbent: Schedule, free: np.ndarray, *, objective: str = "makespan",
            weights: tuple[int, int] = (0, 1), time_limit: float = 1.0, seed: int = 0,
            workers: int = 1, bound: int | None = None,
            precede: np.ndarray | None = None, deterministic: bool = False) -> Rewrite:
    """Re-solve the operations where ``free`` is True (a boolean array over the operations),
    the others keeping their machines and relative machine orders. ``weights`` = (p, q): the
    combined objective is ``q * makespan + p * weighted tardiness``. ``bound``: the incumbent's
    objective under the same scaling; the sub-model asks for a schedule no worse. CP-SAT runs
    for at most ``time_limit`` seconds with ``workers`` threads and ``seed``; ``deterministic``:
    ``time_limit`` is CP-SAT's deterministic time and the search has one thread, so that the
    same call gives the same schedule (CP-SAT's interleaved threads are deterministic too, but
    took 10-100 times the wall time), with a wall-clock cap of 20 times the limit, at least
    60 s, against a model whose deterministic time runs far slower than the clock."""
    t0 = time.perf_counter()
    builder = _Builder(shop, incumbent, np.asarray(free, bool), objective, weights, bound)
    model = builder.build()
    for a, b in ([] if precede is None else np.asarray(precede).tolist()):
        model.add(builder.ends[a] <= builder.starts[b])
    built = time.perf_counter() - t0
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = max(float(time_limit) - built, 1e-3)  # the limit covers building
    params.num_workers = int(workers)
    if deterministic:
        params.max_deterministic_time = max(float(time_limit), 1e-3)
        params.max_time_in_seconds = max(20 * float(time_limit), 60.0)
        params.num_workers = 1
    params.random_seed = int(seed) % (2**31)
    # presolve probing's wall time grows past any sub-solve's limit with the optional intervals
    # of a flexible region (200 free operations x 25 machines: seconds, and no schedule at all)
    params.cp_model_probing_level = 0
    code, status = solve_interruptibly(solver, model, None, "lns-subsolve")
    seconds = time.perf_counter() - t0
    effort = solver.deterministic_time if deterministic else seconds
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Rewrite(status, None, None, None, None, seconds, built, effort)
    assign, sequences = builder.read(solver)
    value = int(round(solver.objective_value))
    cost, completion = divmod(value, builder.scale) if builder.scale else (value, None)
    return Rewrite(status, assign, sequences, cost, completion, seconds, built, effort)


class _Builder:
    """The sub-model of one rewrite and the reading of its solution."""

    def __init__(self, shop: Shop, incumbent: Schedule, free: np.ndarray, objective: str,
                 weights: tuple[int, int], bound: int | None):
        if objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {objective!r}")
        self.shop, self.inc, self.free = shop, incumbent, free
        self.objective, self.weights, self.bound = objective, weights, bound
        self.model = cp_model.CpModel()

    def build(self) -> cp_model.CpModel:
        shop, inc = self.shop, self.inc
        n = shop.n_operations
        self.horizon = self._horizon()
        self.starts = [None] * n
        self.ends = [None] * n
        self.choices: dict[int, list[tuple[int, object]]] = {}  # free op -> [(machine, literal)]
        self.by_machine: list[list] = [[] for _ in range(shop.n_machines)]
        self.touched = np.zeros(shop.n_machines, bool)  # machines a free operation may take
        for j in range(shop.n_jobs):
            self._job(j)
        self._fixed_chains()
        for m, intervals in enumerate(self.by_machine):
            if self.touched[m] and len(intervals) > 1:
                self.model.add_no_overlap(intervals)
        self._objective()
        return self.model

    def _horizon(self) -> int:
        inc = self.inc
        makespan = int((inc.start + inc.duration).max()) if inc.start.shape[0] else 0
        if self.objective == "makespan":
            return makespan  # the sub-model asks for no worse
        # a rewrite may lengthen the schedule to make late jobs earlier; by no more than the
        # free operations' longest durations (a bound of the neighbourhood, not of the problem)
        longest = np.maximum.reduceat(self.shop.elig_duration, self.shop.elig_start[:-1])
        return makespan + int(longest[self.free].sum())

    def _job(self, j: int) -> None:
        shop, inc, model = self.shop, self.inc, self.model
        first, last = int(shop.job_start[j]), int(shop.job_start[j + 1])
        shortest = np.minimum.reduceat(shop.elig_duration[shop.elig_start[first]:shop.elig_start[last]],
                                       shop.elig_start[first:last] - shop.elig_start[first])
        own = np.where(self.free[first:last], shortest, inc.duration[first:last])
        before = int(shop.release[j])
        after = int(own.sum())
        for k, o in enumerate(range(first, last)):
            d_min = int(own[k])
            after -= d_min
            hi = self.horizon - after - d_min
            if hi < before:  # the incumbent is a solution, so this cannot happen
                raise RuntimeError(f"operation {o}: empty start domain {before}..{hi}")
            s = model.new_int_var(before, hi, f"s{o}")
            e = model.new_int_var(before + d_min, self.horizon - after, f"e{o}")
            if self.free[o]:
                self._free_operation(o, s, e)
            else:
                m, d = int(inc.assign[o]), int(inc.duration[o])
                self.by_machine[m].append(model.new_interval_var(s, d, e, f"i{o}"))
            self.starts[o], self.ends[o] = s, e
            before += d_min
            if o > first:
                model.add(self.ends[o - 1] <= s)

    def _free_operation(self, o: int, s, e) -> None:
        shop, model = self.shop, self.model
        lo, hi = int(shop.elig_start[o]), int(shop.elig_start[o + 1])
        machines = shop.elig_machine[lo:hi].tolist()
        durations = shop.elig_duration[lo:hi].tolist()
        self.touched[machines] = True
        if len(machines) == 1:
            self.by_machine[machines[0]].append(model.new_interval_var(s, durations[0], e, f"i{o}"))
            self.choices[o] = [(machines[0], None)]
            return
        lits = []
        for m, d in zip(machines, durations):
            lit = model.new_bool_var(f"x{o}_{m}")
            self.by_machine[m].append(model.new_optional_fixed_size_interval_var(s, d, lit, f"i{o}_{m}"))
            lits.append(lit)
        model.add_exactly_one(lits)
        model.add(e == s + sum(d * lit for d, lit in zip(durations, lits)))
        self.choices[o] = list(zip(machines, lits))

    def _fixed_chains(self) -> None:
        """Each machine's fixed operations in their incumbent order (module docstring)."""
        inc, model = self.inc, self.model
        for m in range(self.shop.n_machines):
            seq = inc.sequence[inc.sequence_start[m]:inc.sequence_start[m + 1]]
            kept = seq[~self.free[seq]].tolist()
            for a, b in zip(kept, kept[1:]):
                model.add(self.ends[a] <= self.starts[b])

    def _objective(self) -> None:
        """The objective's cost; for the makespan, then the jobs' total completion time: on a
        plateau of equal makespan (many longest paths of one length) a rewrite that ends jobs
        earlier is progress the next rewrites build on."""
        shop, model = self.shop, self.model
        last = [self.ends[int(shop.job_start[j + 1]) - 1] for j in range(shop.n_jobs)]
        makespan = model.new_int_var(0, self.horizon, "makespan")
        model.add_max_equality(makespan, last)
        weighted = 0
        if self.objective != "makespan":
            terms = []
            for j in np.flatnonzero((shop.due >= 0) & (shop.weight > 0)).tolist():
                t = model.new_int_var(0, max(0, self.horizon - int(shop.due[j])), f"t{j}")
                model.add_max_equality(t, [last[j] - int(shop.due[j]), 0])
                terms.append(int(shop.weight[j]) * t)
            weighted = sum(terms)
        p, q = self.weights
        cost = {"makespan": makespan, "tardiness": weighted,
                "combined": q * makespan + p * weighted}[self.objective]
        if self.bound is not None:
            model.add(cost <= int(self.bound))
        self.scale = shop.n_jobs * self.horizon + 1  # above any total completion time
        worst = (self.bound if self.bound is not None else self.horizon * max(p + q, 1)
                 * max(int(shop.weight.sum()), 1))
        # only for the makespan: with a sum over jobs the plateaus are rare, and on the
        # production shop's tardiness the plain sum let CP-SAT find more (2155 against 2160
        # from 2162 on one region of tight_411x149_s0 in 3 s)
        if self.objective == "makespan" and self.scale * (worst + 1) < 2**53:  # exact doubles
            model.minimize(self.scale * cost + sum(last))
        else:  # too large to be exact: the cost alone
            self.scale = None
            model.minimize(cost)
        self._hint()

    def _hint(self) -> None:
        inc, model = self.inc, self.model
        starts, ends = inc.start.tolist(), (inc.start + inc.duration).tolist()
        assign = inc.assign.tolist()
        for o, (s, e) in enumerate(zip(self.starts, self.ends)):
            model.add_hint(s, starts[o])
            model.add_hint(e, ends[o])
        for o, options in self.choices.items():
            for m, lit in options:
                if lit is not None:
                    model.add_hint(lit, m == assign[o])

    def _topological_rank(self) -> np.ndarray:
        return topological_rank(self.shop, self.inc)

    def read(self, solver: cp_model.CpSolver) -> tuple[np.ndarray, list[np.ndarray]]:
        """The machines of the solution and every machine's sequence by start (at equal starts a
        zero-duration operation first, then the incumbent's topological order)."""
        inc = self.inc
        assign = inc.assign.copy()
        for o, options in self.choices.items():
            if len(options) > 1:
                chosen = [m for m, lit in options if solver.boolean_value(lit)]
                assign[o] = chosen[0]
        starts = np.fromiter((solver.value(s) for s in self.starts), np.int64, len(self.starts))
        lo = self.shop.elig_start[:-1]
        duration = inc.duration.copy()
        for o in self.choices:
            row = slice(int(lo[o]), int(self.shop.elig_start[o + 1]))
            machines = self.shop.elig_machine[row]
            duration[o] = self.shop.elig_duration[row][machines == assign[o]][0]
        # at equal starts, zero lengths first, then the incumbent's topological order: it is a
        # linear extension of the job order and of the fixed operations' machine orders, so
        # zero-length operations that start together close no cycle and keep their order
        order = np.lexsort((self._topological_rank(), duration > 0, starts, assign))
        bounds = np.searchsorted(assign[order], np.arange(self.shop.n_machines + 1))
        return assign, [order[bounds[m]:bounds[m + 1]] for m in range(self.shop.n_machines)]


def topological_rank(shop: Shop, incumbent: Schedule) -> np.ndarray:
    """Each operation's place in a topological order of the incumbent (job and machine arcs)."""
    n = shop.n_operations
    succ_machine = np.full(n, -1, np.int64)
    seq, bounds = incumbent.sequence, incumbent.sequence_start
    for m in range(shop.n_machines):
        ops = seq[bounds[m]:bounds[m + 1]]
        succ_machine[ops[:-1]] = ops[1:]
    indegree = np.zeros(n, np.int64)
    np.add.at(indegree, succ_machine[succ_machine >= 0], 1)
    last = np.zeros(n, bool)
    last[shop.job_start[1:] - 1] = True
    indegree[~np.isin(np.arange(n), shop.job_start[:-1])] += 1  # the job predecessor
    rank = np.empty(n, np.int64)
    ready = np.flatnonzero(indegree == 0).tolist()
    k = 0
    while ready:
        o = ready.pop()
        rank[o] = k
        k += 1
        for nxt in ((o + 1) if not last[o] else -1, int(succ_machine[o])):
            if nxt >= 0:
                indegree[nxt] -= 1
                if indegree[nxt] == 0:
                    ready.append(nxt)
    if k != n:
        raise ValueError("the incumbent's job and machine orders form a cycle")
    return rank


def scaled_cost(makespan: int, weighted_tardiness: int, objective: str,
                weights: tuple[int, int]) -> int:
    """The integer cost a sub-solve minimises, from a schedule's figures."""
    p, q = weights
    return {"makespan": makespan, "tardiness": weighted_tardiness,
            "combined": q * makespan + p * weighted_tardiness}[objective]


def total_completion(job_start: np.ndarray, start: np.ndarray, duration: np.ndarray) -> int:
    """The jobs' total completion time: the sub-solve's second criterion."""
    last = job_start[1:] - 1
    return int((start[last] + duration[last]).sum())
