"""The job shop as a rewrite problem: the state the learned policy works on.

Nodes are operations; a node's parents are its job predecessor and its machine predecessor, so
the DAG is the disjunctive graph with every machine's order fixed. A candidate is a move from the
chosen neighbourhood. A pair ``(u, v)`` reads "at region u, move u to the far side of v": for the
swap neighbourhoods (all adjacent pairs, N1, N5) every swap is listed in both directions,
``(u, v)`` "swap with machine successor v" and ``(v, u)`` "swap with machine predecessor u". The
node formulation needs both (its rule picks the neighbour); the arc formulation scores both
orientations of the same flip, which leaves every flip's share equal. N7 adds insertions that
move an operation past several others to the front or back of its critical block. Moves that
would create a cycle are left out (their exact outcome is computed anyway).

The state remembers, from its creation on, the best makespan, the step count and when each pair
was last flipped and each operation last moved: the memory features of :mod:`.features`.
"""

from __future__ import annotations

import numpy as np

from .dispatching import RULES, dispatch

from ..shop.hetero import HeteroGraph, build_hetero
from ..core.problem import Graph, RewriteProblem, RewriteState
from ..errors import InputError
from . import features as F
from .generate import random_instance
from .instance import JobShopInstance
from .schedule import MOVE_KINDS, JobShopSolution


_PRESSURE = F.MOVE_FEATURES.index("pressure_change")

#: the experts ``expert_choice`` can follow (the training option ``expert``)
EXPERTS = ("tabu", "rollout")
#: the rollout expert: how many of the tabu rule's best moves it tries, and for how many steps
#: of the rule it follows each (after 500 steps from MWKR: 12.76% on ta41-50 against the rule's
#: 14.50%, 8.07% on ta61-70 against 9.30%; docs/benchmarks.md, section 3)
ROLLOUT_WIDTH, ROLLOUT_HORIZON = 4, 10


class JobShopState(RewriteState):
    """A :class:`JobShopSolution` seen through the rewrite interface."""

    node_features = len(F.NODE_FEATURES)
    pair_features = len(F.MOVE_FEATURES)
    #: optional hard per-machine capacity (m,) for the hgat encoder's mask; None: no limit
    horizon: np.ndarray | None = None
    #: the rule behind :meth:`expert_choice`: one of EXPERTS
    expert: str = "tabu"

    def __init__(self, solution: JobShopSolution, moves: str = "n5"):
        if moves not in MOVE_KINDS:
            raise ValueError(f"unknown move kind {moves!r}; expected one of {', '.join(MOVE_KINDS)}")
        self.solution = solution
        self.moves = moves
        inst = solution.instance
        self._scale = float(max(inst.trivial_lower_bound(), 1))
        self.best = solution.makespan
        self.step = 0
        self._pair_flipped: dict[int, int] = {}  # pair key -> step of its last flip
        self._op_moved = np.full(inst.n_operations, -1, np.int64)  # step of the last move, -1 never
        self._lookahead = None  # (pairs, features, costs after each flip), until apply()

    @property
    def instance(self) -> JobShopInstance:
        return self.solution.instance

    def cost(self) -> float:
        return float(self.solution.makespan)

    def cost_scale(self) -> float:
        return self._scale

    def graph(self) -> Graph:
        sol, inst = self.solution, self.solution.instance
        n = inst.n_operations
        feats = np.empty((n, self.node_features), np.float32)
        F.node_features(inst.op_duration, inst.job_pred, sol.mach_pred, sol.position,
                        inst.machine_start, inst.op_machine, inst.remaining_work,
                        inst.op_index, inst.op_job, inst.job_length, sol.heads, sol.tails,
                        sol.makespan, feats)
        level = np.empty(n, np.int64)
        F.node_levels(inst.job_pred, sol.mach_pred, sol.topo, level)
        # mach_pred changes in place on every flip; the graph must be a snapshot
        parents = np.stack([inst.job_pred, sol.mach_pred], axis=1)
        return Graph(feats, parents, level)

    def hetero(self) -> HeteroGraph:
        """Operations and the machines (not Graph nodes here): every operation is eligible on
        its one machine only, so no rewrite changes a machine's load."""
        sol, inst = self.solution, self.solution.instance
        n = inst.n_operations
        return build_hetero(job_pred=inst.job_pred, mach_pred=sol.mach_pred,
                            op_machine=inst.op_machine, heads=sol.heads,
                            durations=inst.op_duration,
                            eligible=np.stack([np.arange(n), inst.op_machine], axis=1),
                            processing=inst.op_duration, n_machines=inst.n_machines,
                            scale=self._scale, makespan=sol.makespan, horizon=self.horizon,
                            eligible_rank=np.zeros(n, np.int64))  # one machine: the fastest

    def candidates(self) -> tuple[np.ndarray, np.ndarray]:
        pairs, feats, _ = self._look()
        return pairs.copy(), feats.copy()

    def candidate_costs(self) -> np.ndarray:
        return self._look()[2].copy()

    def _look(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._lookahead is None:
            self._lookahead = self._compute_candidates()
        return self._lookahead

    def _compute_candidates(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sol, inst = self.solution, self.solution.instance
        moves = sol.moves(self.moves)
        n = inst.n_operations
        outcome = np.empty(moves.shape[0], np.int64)
        outcome_pressure = np.empty(moves.shape[0], np.float64)
        outcomes = F.insertion_outcomes if self.moves == "n7" else F.flip_outcomes
        outcomes(moves, moves.shape[0], inst.op_duration, inst.job_pred, inst.job_succ, sol.order,
                 sol.position, sol.mach_pred, sol.mach_succ, np.empty(n, np.int64),
                 np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64),
                 sol.makespan, outcome, outcome_pressure)
        acyclic = outcome >= 0
        moves, outcome, outcome_pressure = moves[acyclic], outcome[acyclic], outcome_pressure[acyclic]
        if self.moves == "n7":  # already directed moves, swaps in both orientations
            pairs, after, after_pressure, k = moves, outcome, outcome_pressure, moves.shape[0]
        else:
            pairs = np.empty((2 * moves.shape[0], 2), np.int64)
            k = F.both_directions(moves, moves.shape[0], pairs)
            after, after_pressure = np.repeat(outcome, 2), np.repeat(outcome_pressure, 2)
        pair_age = np.array([self.step - self._pair_flipped[key] if key in self._pair_flipped
                             else -1 for key in self._pair_keys(pairs)], np.int64)
        moved = self._op_moved[pairs[:, 0]]
        region_age = np.where(moved >= 0, self.step - moved, -1)
        feats = np.empty((k, self.pair_features), np.float32)
        F.move_features(pairs, k, inst.op_duration, inst.job_pred, inst.job_succ, sol.position,
                        sol.mach_pred, sol.mach_succ, sol.heads, sol.tails, sol.makespan, after,
                        F.pressure(inst.op_duration, sol.heads, sol.tails, sol.makespan),
                        after_pressure, self.best, pair_age, region_age, feats)
        return pairs, feats, after.astype(np.float64)

    def expert_choice(self) -> int | None:
        """The rewrite imitation learning teaches (the index of a candidate): tabu search's rule
        (:meth:`tabu_choice`), or a rollout over it (:meth:`rollout_choice`), by ``expert``."""
        return self.rollout_choice() if self.expert == "rollout" else self.tabu_choice()

    def tabu_choice(self) -> int | None:
        """Tabu search's rule over the candidates: the move with the lowest makespan after
        it, ties broken by the lowest pressure, among moves whose pair was not flipped in the
        last ``10 + jobs // machines`` steps (the tabu baseline's shortest tenure) unless the
        move beats the best makespan so far; the best move outright when all are tabu."""
        ranked = self._tabu_ranking()
        return None if ranked is None else int(ranked[0])

    def rollout_choice(self, width: int = ROLLOUT_WIDTH,
                       horizon: int = ROLLOUT_HORIZON) -> int | None:
        """One step of policy improvement over the tabu rule (a rollout): each of the rule's
        ``width`` first moves is made on a copy and followed by ``horizon`` steps of the rule;
        the move whose continuation reached the lowest makespan wins, ties going to the rule's
        own order. It costs ``width * horizon`` rule steps, and can only match or beat the rule
        on what it measures: the rule's own first move is among those tried."""
        ranked = self._tabu_ranking()
        if ranked is None:
            return None
        pairs = self._look()[0]
        reached = []
        for index in ranked[:width]:
            follower = self.copy()
            follower.expert = "tabu"
            follower.apply(int(pairs[index, 0]), int(pairs[index, 1]))
            for _ in range(horizon):
                step = follower.tabu_choice()
                if step is None:
                    break
                u, v = follower._look()[0][step]
                follower.apply(int(u), int(v))
            reached.append(follower.best)
        return int(ranked[int(np.argmin(reached))])  # argmin: the first of equals

    def _tabu_ranking(self) -> np.ndarray | None:
        """The candidates in the tabu rule's order of preference, the admissible ones only (all
        of them when every move is tabu); None when there are none."""
        pairs, feats, after = self._look()
        if not len(pairs):
            return None
        inst = self.instance
        tenure = 10 + inst.n_jobs // inst.n_machines
        tabu = np.array([key in self._pair_flipped and self.step - self._pair_flipped[key] < tenure
                         for key in self._pair_keys(pairs)], bool)
        admissible = ~tabu | (after < self.best)
        if not admissible.any():
            admissible[:] = True
        ranked = np.lexsort((feats[:, _PRESSURE], after))
        return ranked[admissible[ranked]]

    def fingerprint(self) -> int:
        return hash(self.solution.order.tobytes())

    def _pair_keys(self, pairs: np.ndarray) -> list[int]:
        n = self.solution.instance.n_operations
        return (pairs.min(axis=1) * n + pairs.max(axis=1)).tolist()

    def apply(self, region: int, partner: int) -> bool:
        sol = self.solution
        n = sol.instance.n_operations
        if not (0 <= region < n and 0 <= partner < n):
            return False
        if region == partner or sol.instance.op_machine[region] != sol.instance.op_machine[partner]:
            return False
        done = sol.relocate(region, partner)
        if done:
            self._lookahead = None
            self.step += 1
            self.best = min(self.best, sol.makespan)
            self._pair_flipped[self._pair_keys(np.array([[region, partner]]))[0]] = self.step
            self._op_moved[[region, partner]] = self.step
        return done

    def copy(self) -> "JobShopState":
        new = JobShopState(self.solution.copy(), self.moves)
        new.best, new.step, new.horizon, new.expert = self.best, self.step, self.horizon, self.expert
        new._pair_flipped = dict(self._pair_flipped)
        new._op_moved = self._op_moved.copy()
        new._lookahead = self._lookahead  # never written to, valid until the copy changes
        return new


def parse_size(size: str) -> tuple[int, int]:
    """``"15x10"`` -> (15, 10)."""
    try:
        n, m = (int(x) for x in size.lower().split("x"))
    except ValueError:
        raise InputError(f"expected a size JOBSxMACHINES (e.g. 10x10), found {size!r}") from None
    if n < 1 or m < 1:
        raise InputError(f"a size needs at least one job and one machine, found {size!r}")
    return n, m


class JobShopProblem(RewriteProblem):
    """Random Taillard-style training instances; initial schedules from dispatching rules."""

    name = "jssp"
    init_rules = tuple(RULES)

    def training_defaults(self) -> dict:
        from .presets import TRAIN_PRESETS

        return {k: TRAIN_PRESETS[k] for k in ("sizes", "init_rules", "validation_sizes",
                                                    "validation_init")}

    def __init__(self, moves: str = "n5", init_mode: str = "active", expert: str = "tabu"):
        if expert not in EXPERTS:
            raise ValueError(f"unknown expert {expert!r}; expected one of {', '.join(EXPERTS)}")
        self.moves = moves
        self.init_mode = init_mode
        self.expert = expert

    def sample_instance(self, rng: np.random.Generator, size: str | None = None) -> JobShopInstance:
        n, m = parse_size(size or "10x10")
        return random_instance(n, m, seed=int(rng.integers(2**31)))

    def initial_state(self, instance: JobShopInstance, init: str = "mwkr", seed: int = 0) -> JobShopState:
        built = dispatch(instance, rule=init, mode=self.init_mode, seed=seed)
        state = JobShopState(JobShopSolution(instance, built.order), self.moves)
        state.expert = self.expert
        return state
