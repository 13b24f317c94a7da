"""MRT behind the problem-agnostic interface of :mod:`rewriter.core.problem`.

State
-----
:class:`MrtState` wraps an :class:`~rewriter.mrt.schedule.MrtSchedule` (see there for the node
numbering, the DAG and the exact rewrite rule). ``cost()`` is the average slowdown and
``cost_scale()`` is 1.0: slowdowns are already relative to job lengths, so a reward of 1 means one
unit of average slowdown.

Node features (``node_features = R + 9`` columns with R = max(D, 20); node 0 is the machine).
The demand block is padded to 20 resources, so one policy trained at D = 20 also runs at
D = 2, 5 and 10 (the paper's four settings); below, D stands for that R::

    [0:D]   demand / 10 per resource (node 0: capacity / 10); zeros beyond the instance's D
    D       length / 15                   (long jobs are 10..15)
    D+1     arrival / 50                  (arrivals span 50 steps)
    D+2     start / 50
    D+3     slowdown / 10                 (C - A) / T; 0 for node 0
    D+4     waiting time (start - arrival) / 50
    D+5     completion time (start + length) / 50
    D+6     1 for node 0, else 0
    D+7     best change of the average slowdown over the job's rewrites, squashed (see below;
            0 for node 0, log1p(100) for a job without rewrites)
    D+8     1 when some rewrite of the job lowers the average slowdown

Pair features (``pair_features = 6``): (partner - region) / W (0 for partner 0), (new start -
current start) / 50, 1 if the partner is node 0, (new start - arrival) / 50, the change c of the
average slowdown the rewrite makes, squashed as sign(c) log(1 + |c|) (one move from EJF can gain
10 units, late moves gain hundredths), and 1 when c is negative. Candidates are, for every
job region, node 0 and the jobs up to W positions before and after it in arrival order, without
the partners that end before the region's arrival and the rewrites that cannot apply.

The change is an exact one-step look-ahead (every candidate rewrite is run on scratch arrays by a
numba kernel, a few milliseconds per step): NeuRewriter's Q(s, w) estimates how much rewriting a
region lowers the cost, and seeing the one-step answer lets the policy spend its learning on what
a greedy step cannot see (which small losses open the way to larger gains).
"""

from __future__ import annotations

import numpy as np

from ..core.problem import Graph, RewriteProblem, RewriteState
from ..errors import InputError
from . import kernels
from .generate import RESOURCE_SIZES, random_sequence
from .instance import MrtInstance
from .schedule import MrtSchedule

__all__ = ["MrtState", "MrtProblem", "schedule_from_state", "to_dict"]

PAIR_FEATURES = 6
EXTRA_NODE_FEATURES = 9
PADDED_RESOURCES = 20  # demand columns are padded to this many resources
NO_REWRITE = float(np.log1p(100.0))  # the best-change feature of a job that cannot move
TOLERANCE = 1e-9  # slowdown changes below this are float noise


class MrtState(RewriteState):
    """An MRT schedule being rewritten."""

    pair_features = PAIR_FEATURES

    def __init__(self, schedule: MrtSchedule):
        self.schedule = schedule
        self.node_features = _demand_columns(schedule.instance.resources) + EXTRA_NODE_FEATURES
        self._lookahead = None  # (pairs, pair features, best change per node), until apply()

    @classmethod
    def from_starts(cls, instance: MrtInstance, starts) -> "MrtState":
        return cls(MrtSchedule(instance, starts))

    @property
    def instance(self) -> MrtInstance:
        return self.schedule.instance

    def cost(self) -> float:
        return self.schedule.average_slowdown

    def cost_scale(self) -> float:
        return 1.0

    def graph(self) -> Graph:
        s = self.schedule
        resources = self.instance.resources
        d = _demand_columns(resources)
        n = s.n_jobs + 1
        feats = np.zeros((n, self.node_features), np.float32)
        feats[0, :resources] = s.capacity / 10.0
        feats[0, d + 6] = 1.0
        start, arrival, length = s.start[1:], s.arrival[1:], s.length[1:]
        feats[1:, :resources] = s.demand[1:] / 10.0
        feats[1:, d] = length / 15.0
        feats[1:, d + 1] = arrival / 50.0
        feats[1:, d + 2] = start / 50.0
        feats[1:, d + 3] = (start + length - arrival) / length / 10.0
        feats[1:, d + 4] = (start - arrival) / 50.0
        feats[1:, d + 5] = (start + length) / 50.0
        best = self._look()[2]
        feats[:, d + 7] = best
        feats[:, d + 8] = best < 0
        parents, level = s.dag()
        return Graph(feats, parents, level)

    def candidates(self) -> tuple[np.ndarray, np.ndarray]:
        pairs, feats = self._look()[:2]
        return pairs.copy(), feats.copy()

    def candidate_costs(self) -> np.ndarray:
        return self._look()[3]

    def _look(self):
        if self._lookahead is None:
            self._lookahead = lookahead(self.schedule)
        return self._lookahead

    def apply(self, region: int, partner: int) -> bool:
        done = self.schedule.apply(region, partner)
        if done:
            self._lookahead = None
        return done

    def copy(self) -> "MrtState":
        new = MrtState(self.schedule.copy())
        new._lookahead = self._lookahead  # read-only arrays, valid until the copy changes
        return new

    def to_dict(self) -> dict:
        return self.schedule.to_dict()


def _demand_columns(resources: int) -> int:
    return max(resources, PADDED_RESOURCES)


def lookahead(s: MrtSchedule) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Feasible candidate pairs, their features, each node's best slowdown change and the
    average slowdown after each pair's rewrite."""
    n = s.n_jobs
    cap = n * (2 * min(s.window, n) + 1)  # the partners of a region are its window's jobs, at most n
    pairs = np.empty((cap, 2), np.int64)
    feats = np.empty((cap, PAIR_FEATURES), np.float32)
    k = kernels.candidate_pairs(s.start, s.arrival, s.length, s.window, pairs, feats)
    horizon = int(s.arrival.max() + s.length.sum() + s.length.max() + 1)
    usage = np.zeros((horizon, s.demand.shape[1]), np.int64)
    after = np.empty(k, np.float64)
    ok = kernels.rewrite_outcomes(s.start, s.arrival, s.length, s.demand, s.capacity, pairs, k,
                                  usage, np.empty(n + 1, np.int64), np.empty(n + 1, np.int64), after)
    assert ok, "look-ahead horizon too short"  # cannot happen: serial placement ends by horizon
    keep = ~np.isnan(after)
    after = after[keep]
    pairs, feats, change = pairs[:k][keep], feats[:k][keep], after - s.average_slowdown
    change[np.abs(change) < TOLERANCE] = 0.0
    squashed = (np.sign(change) * np.log1p(np.abs(change))).astype(np.float32)
    feats[:, 4] = squashed
    feats[:, 5] = change < 0
    best = np.full(n + 1, NO_REWRITE, np.float32)
    np.minimum.at(best, pairs[:, 0], squashed)
    best[0] = 0.0
    return pairs, feats, best, after


def schedule_from_state(state: MrtState) -> MrtSchedule:
    """The schedule a state holds (start times via ``.starts``, in instance order)."""
    return state.schedule


def to_dict(state: MrtState, **extra) -> dict:
    """Schedule JSON of a state (``extra`` keys first), as :func:`rewriter.mrt.io.write_schedule` writes it."""
    return {**extra, **state.schedule.to_dict()}


class MrtProblem(RewriteProblem):
    """Instances from the paper's generator with D resources; initial states from a heuristic.

    ``sample_instance(rng, size)``: ``size`` None uses 50 arrival steps; a string such as
    ``"20"`` uses that many arrival steps (a smaller instance, e.g. for a curriculum).
    """

    name = "mrt"
    init_rules = ("ejf", "sjf", "sjfs", "sjf-offline", "random")

    def training_defaults(self) -> dict:
        from .presets import TRAIN_PRESETS

        return {k: TRAIN_PRESETS[k] for k in ("sizes", "init_rules", "validation_sizes",
                                                    "validation_init")}

    def __init__(self, resources: int = 20):
        if isinstance(resources, bool) or not isinstance(resources, (int, np.integer)) or resources < 1:
            raise InputError(f"resources must be an integer >= 1 (the paper uses {RESOURCE_SIZES}), "
                             f"got {resources!r}")
        self.resources = int(resources)

    def sample_instance(self, rng: np.random.Generator, size: str | None = None) -> MrtInstance:
        steps = 50
        if size is not None:
            try:
                steps = int(size)
            except (TypeError, ValueError):
                raise InputError(f"MRT size must be a number of arrival steps, got {size!r}") from None
            if steps < 1:
                raise InputError(f"MRT size must be >= 1 arrival steps, got {size!r}")
        return random_sequence(rng, self.resources, name=f"mrt_d{self.resources}_sample", steps=steps)

    def initial_state(self, instance: MrtInstance, init: str, seed: int = 0) -> MrtState:
        from .dispatching import heuristic

        if init not in self.init_rules:
            raise InputError(f"unknown MRT init rule {init!r}; expected one of {', '.join(self.init_rules)}")
        return MrtState(MrtSchedule(instance, heuristic(init, instance, seed=seed)))
