"""The flexible job shop as a rewrite problem: the state a learned policy works on.

The region/rule split is what keeps the action space small at production scale: the **region**
is an operation (one of all the jobs' operations), the **rule** is where it goes -- an eligible
machine and a position on it, its own machine included (a resequence). A flat job x machine action
space would grow with the product of jobs and machines; this one grows with the moves of the
critical operations.

Nodes are the operations ``0 .. n-1`` and one node per machine, ``n + k`` ("the front of machine
k"), so that every rule is a partner node: the pair ``(v, a)`` moves ``v`` right after operation
``a`` on ``a``'s machine, ``(v, n + k)`` moves ``v`` to the front of machine ``k``. An operation's
parents are its job predecessor and its machine predecessor (the first operation of a machine has
its machine node as parent), so the DAG is the schedule graph with every machine's order fixed.

The candidates are exactly the moves of :mod:`rewriter.fjsp.moves` (every acyclic position of
every critical operation on every eligible machine), each with its exact look-ahead: the makespan
after the move, from the O(1) insertion formula. Only makespan is rewritten here (the learned
policy's objective); tardiness stays with the tabu search.
"""

from __future__ import annotations

import numpy as np

from ..shop.hetero import HeteroGraph, build_hetero, speed_rank
from ..shop.dag import levels_in_order
from ..core.problem import Graph, RewriteProblem, RewriteState
from ..errors import InputError
from .dispatching import RULES, dispatch_schedule
from .generate import production_instance
from .instance import FlexibleInstance
from .presets import TRAIN_PRESETS
from .schedule import FlexibleSchedule
from .search import FlexibleLocalSearch

NODE_FEATURES = ("is_machine", "duration", "head", "tail", "slack", "critical", "work_left",
                 "eligible_share", "speed", "machine_end")
PAIR_FEATURES = ("makespan_change", "path_through", "duration", "speed", "reassign",
                 "machine_end", "region_critical")


class FlexibleState(RewriteState):
    """A :class:`FlexibleSchedule` seen through the rewrite interface (module docstring)."""

    node_features = len(NODE_FEATURES)
    pair_features = len(PAIR_FEATURES)

    def __init__(self, schedule: FlexibleSchedule, moves: str = "full",
                 horizon: np.ndarray | None = None):
        self.moves_kind = moves
        #: optional hard per-machine capacity (m,): the hgat encoder masks the rewrites that
        #: would load a machine past it; None: no limit
        self.horizon = None if horizon is None else np.asarray(horizon, np.float64)
        self.search = FlexibleLocalSearch(schedule, "greedy", moves=moves)
        inst = schedule.instance
        self._scale = float(max(inst.trivial_lower_bound(), 1))
        shortest = np.minimum.reduceat(inst.elig_duration, inst.elig_start[:-1])
        self._shortest = shortest.astype(np.float64)
        self._work_after = _work_after(inst, shortest)
        self._eligible_share = np.diff(inst.elig_start) / inst.n_machines
        # the typed view's eligibility edges and their speed ranks depend on the instance only:
        # sorting them on every learned step would cost as much as the encoder saves with them
        owner = np.repeat(np.arange(inst.n_operations), np.diff(inst.elig_start))
        self._eligible = np.stack([owner, inst.elig_machine], axis=1)
        self._eligible_rank = speed_rank(self._eligible, inst.elig_duration, inst.n_operations)
        self._look = None  # (pairs, features, costs) of the current schedule, until apply()

    @property
    def instance(self) -> FlexibleInstance:
        return self.search.instance

    def cost(self) -> float:
        return float(self.search.cost)

    def cost_scale(self) -> float:
        return self._scale

    def schedule(self) -> FlexibleSchedule:
        """The current schedule (a validated copy)."""
        return self.search.current()

    def graph(self) -> Graph:
        inst = self.instance
        n, m = inst.n_operations, inst.n_machines
        assign, dur, mach_pred, _, _, job_pred, _, _, heads, tails, topo = self.search.st
        mk = max(float(self.search.state[4]), 1.0)  # a schedule of zero-length operations
        ends = np.zeros(m)
        np.maximum.at(ends, assign, heads + dur)
        feats = np.zeros((n + m, self.node_features), np.float32)
        length = heads + dur + tails
        feats[:n, 1] = dur / self._scale
        feats[:n, 2] = heads / mk
        feats[:n, 3] = tails / mk
        feats[:n, 4] = (mk - length) / mk
        feats[:n, 5] = length == mk
        feats[:n, 6] = self._work_after / self._scale
        feats[:n, 7] = self._eligible_share
        feats[:n, 8] = self._shortest / np.maximum(dur, 1)
        feats[:n, 9] = ends[assign] / mk
        feats[n:, 0] = 1.0
        feats[n:, 9] = ends / mk
        parents = np.full((n + m, 2), -1, np.int64)
        parents[:n, 0] = job_pred
        parents[:n, 1] = np.where(mach_pred >= 0, mach_pred, n + assign)
        order = np.concatenate([np.arange(n, n + m), topo])
        level = np.zeros(n + m, np.int64)
        levels_in_order(parents, order, level)  # numba: this runs on every learned step
        return Graph(feats, parents, level)

    def hetero(self) -> HeteroGraph:
        """Operations and machines (machine k is Graph node n + k); eligibility edges from the
        instance, each with its processing time."""
        inst = self.instance
        n, m = inst.n_operations, inst.n_machines
        assign, dur, mach_pred, _, _, job_pred, _, _, heads, _, _ = self.search.st
        return build_hetero(job_pred=job_pred, mach_pred=mach_pred, op_machine=assign,
                            heads=heads, durations=dur, eligible=self._eligible,
                            processing=inst.elig_duration, n_machines=m, scale=self._scale,
                            makespan=float(self.search.state[4]),
                            machine_nodes=np.arange(n, n + m), horizon=self.horizon,
                            eligible_rank=self._eligible_rank)

    def candidates(self) -> tuple[np.ndarray, np.ndarray]:
        pairs, feats, _ = self._lookahead()
        return pairs.copy(), feats.copy()

    def candidate_costs(self) -> np.ndarray:
        return self._lookahead()[2].copy()

    def expert_choice(self) -> int | None:
        """The greedy rule: the move of least makespan, ties to the shortest path through it."""
        pairs, feats, costs = self._lookahead()
        if not len(pairs):
            return None
        return int(np.lexsort((feats[:, 1], costs))[0])

    def fingerprint(self) -> int | None:
        assign, mach_pred = self.search.st[0], self.search.st[2]
        return hash((assign.tobytes(), mach_pred.tobytes()))

    def apply(self, region: int, partner: int) -> bool:
        n = self.instance.n_operations
        if not 0 <= region < n or not 0 <= partner < n + self.instance.n_machines:
            return False
        if partner >= n:
            machine, after = partner - n, -1
        else:
            machine, after = int(self.search.st[0][partner]), partner
        if not self.search.apply(region, machine, after):
            return False
        self._look = None
        return True

    def copy(self) -> "FlexibleState":
        return FlexibleState(self.search.current(), self.moves_kind, self.horizon)

    def _lookahead(self):
        if self._look is None:
            self._look = self._price()
        return self._look

    def _price(self):
        rows = self.search.moves()  # (op, machine, after, duration, makespan after, path through)
        inst = self.instance
        n = inst.n_operations
        assign, dur, _, _, _, _, _, _, heads, tails, _ = self.search.st
        mk = max(float(self.search.state[4]), 1.0)  # a schedule of zero-length operations
        if not len(rows):
            return (np.zeros((0, 2), np.int64), np.zeros((0, self.pair_features), np.float32),
                    np.zeros(0))
        v = rows[:, 0].astype(np.int64)
        machine = rows[:, 1].astype(np.int64)
        after = rows[:, 2].astype(np.int64)
        pairs = np.stack([v, np.where(after >= 0, after, n + machine)], axis=1)
        ends = np.zeros(inst.n_machines)
        np.maximum.at(ends, assign, heads + dur)
        feats = np.zeros((len(rows), self.pair_features), np.float32)
        feats[:, 0] = (rows[:, 4] - mk) / self._scale
        feats[:, 1] = (rows[:, 5] - mk) / self._scale
        feats[:, 2] = rows[:, 3] / self._scale
        feats[:, 3] = self._shortest[v] / np.maximum(rows[:, 3], 1)
        feats[:, 4] = machine != assign[v]
        feats[:, 5] = ends[machine] / mk
        feats[:, 6] = heads[v] + dur[v] + tails[v] == mk
        return pairs, feats, rows[:, 4].astype(np.float64)


def _work_after(inst: FlexibleInstance, shortest: np.ndarray) -> np.ndarray:
    """Per operation: the shortest work of its job's later operations."""
    out = np.zeros(inst.n_operations)
    for j in range(inst.n_jobs):
        lo, hi = inst.job_start[j], inst.job_start[j + 1]
        out[lo:hi] = np.cumsum(shortest[lo:hi][::-1])[::-1] - shortest[lo:hi]
    return out


class FlexibleRewriteProblem(RewriteProblem):
    """Training instances (generated production shops of a size class ``JOBSxMACHINES``) and
    initial states (the dispatching rules) of the flexible job shop."""

    name = "fjsp"
    init_rules = RULES

    def __init__(self, moves: str = "full"):
        self.moves = moves

    def sample_instance(self, rng: np.random.Generator, size: str | None = None):
        n, m = _size(size or "20x10")
        return production_instance(n, m, int(rng.integers(0, 2**31)), name=f"train_{n}x{m}")

    def initial_state(self, instance, init: str, seed: int = 0) -> FlexibleState:
        if init not in RULES:
            raise InputError(f"unknown rule {init!r}; expected JOB-MACHINE, e.g. mwkr-eet")
        return FlexibleState(dispatch_schedule(instance, init, seed), self.moves)

    def training_defaults(self) -> dict:
        return dict(TRAIN_PRESETS)


def _size(text: str) -> tuple[int, int]:
    jobs, sep, machines = str(text).partition("x")
    if not sep or not jobs.isdigit() or not machines.isdigit() or int(jobs) < 1 or int(machines) < 1:
        raise InputError(f"flexible-shop size class must be JOBSxMACHINES (e.g. 20x10), got {text!r}")
    return int(jobs), int(machines)
