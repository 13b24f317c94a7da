"""The one interface a scheduling problem implements to be rewritten by a learned policy.

A *state* is a solution being rewritten. It exposes

- its cost (lower is better) and a per-instance scale that normalises cost changes into rewards;
- its DAG: node features, parents padded with -1, and every node's topological level;
- its candidate rewrites as (region node, partner node) pairs with per-pair features. A *region*
  is a node worth rewriting at; the partner names the rule applied there (job shop: flip the machine
  arc region -> partner; online jobs: start job region right after job partner ends, partner 0 meaning
  at its own arrival). The node formulation groups pairs by region; the arc formulation scores
  the pairs directly;
- ``apply(region, partner)``: rewrite in place and return True, or return False and leave the
  state unchanged when the rewrite is infeasible.

A *problem* makes instances for training and initial states from a heuristic. The encoder,
policies, trainers and search only ever see these two classes, so a new problem is one new
sub-package implementing them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the shops' typed view; the core itself imports no shop code
    from ..shop.hetero import HeteroGraph


@dataclass
class Graph:
    """A solution DAG in flat arrays.

    ``features``: (N, F) float32 node features. ``parents``: (N, P) int64 parent ids (edges run
    parent -> child), -1 where a node has fewer than P parents. ``level``: (N,) int64, 0 for nodes
    without parents, otherwise 1 + the largest level among the parents. ``hetero``: the state's
    typed view (:meth:`RewriteState.hetero`) when an encoder asked for it, otherwise None.
    """

    features: np.ndarray
    parents: np.ndarray
    level: np.ndarray
    hetero: HeteroGraph | None = None

    @property
    def n_nodes(self) -> int:
        return int(self.features.shape[0])


def levels_from_parents(parents: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Topological levels given the padded parent matrix and any topological order."""
    level = np.zeros(parents.shape[0], np.int64)
    for node in order:
        best = -1
        for p in parents[node]:
            if p >= 0 and level[p] > best:
                best = level[p]
        level[node] = best + 1
    return level


class RewriteState(ABC):
    """A solution being rewritten (see the module docstring)."""

    #: number of node feature columns in :meth:`graph`
    node_features: int
    #: number of feature columns per candidate pair in :meth:`candidates`
    pair_features: int

    @abstractmethod
    def cost(self) -> float:
        """The objective, lower is better (makespan, average slowdown, ...)."""

    @abstractmethod
    def cost_scale(self) -> float:
        """A positive per-instance scale; rewards are cost decreases divided by it."""

    @abstractmethod
    def graph(self) -> Graph:
        """The current solution DAG."""

    @abstractmethod
    def candidates(self) -> tuple[np.ndarray, np.ndarray]:
        """((K, 2) int64 (region, partner) pairs, (K, pair_features) float32 features).

        K may be 0 when nothing can be rewritten."""

    def candidate_costs(self) -> np.ndarray:
        """The cost after each rewrite of :meth:`candidates` (same order), for greedy descent.

        This default tries each one on a copy; a problem with a faster exact look-ahead overrides
        it."""
        pairs, _ = self.candidates()
        costs = np.full(len(pairs), np.inf)
        for k, (region, partner) in enumerate(pairs.tolist()):
            trial = self.copy()
            if trial.apply(region, partner):
                costs[k] = trial.cost()
        return costs

    def expert_choice(self) -> int | None:
        """Index into :meth:`candidates` of the rewrite a hand-made rule would pick here, for the
        optional imitation term of training; None (the default) when the problem has no expert."""
        return None

    def hetero(self) -> HeteroGraph | None:
        """The solution as operations and machines (:mod:`rewriter.shop.hetero`), for the
        heterogeneous encoder; None (the default) when the problem offers no such view."""
        return None

    def fingerprint(self) -> int | None:
        """A hash of the solution (not of the search memory), so a search can tell when it is
        back at a solution it has seen; None (the default) when the problem offers none."""
        return None

    @abstractmethod
    def apply(self, region: int, partner: int) -> bool:
        """Apply a rewrite in place; False (state unchanged) when it is infeasible."""

    @abstractmethod
    def copy(self) -> "RewriteState":
        """An independent copy (the search keeps the best state seen)."""


class RewriteProblem(ABC):
    """Makes training instances and initial states of one problem."""

    #: short name used on the command line (the registry's name of the problem)
    name: str
    #: heuristics accepted by :meth:`initial_state`
    init_rules: tuple[str, ...]

    @abstractmethod
    def sample_instance(self, rng: np.random.Generator, size: str | None = None):
        """A random training instance; ``size`` is a problem-specific size class."""

    @abstractmethod
    def initial_state(self, instance, init: str, seed: int = 0) -> RewriteState:
        """A feasible solution built by heuristic ``init``, ready to be rewritten."""

    def training_defaults(self) -> dict:
        """Training options this problem fills in when a config leaves them empty (sizes,
        init_rules, validation_sizes, validation_init)."""
        return {}

    def validation_instances(self, sizes: list[str], per_size: int) -> list:
        """A fixed validation set: ``per_size`` instances of every size class, the same each call."""
        rng = np.random.default_rng(2_000_003)
        return [self.sample_instance(rng, size) for size in sizes for _ in range(per_size)]
