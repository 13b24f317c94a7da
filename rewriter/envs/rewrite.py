"""``rewriter/Rewrite-v0``: improve a complete solution one rewrite at a time, over any
registered problem that implements the rewrite interface (:mod:`rewriter.core.problem`).

The environment holds a :class:`~rewriter.core.problem.RewriteState` built by the problem's own
``initial_state`` and asks it, every step, for its candidate rewrites and their features; the
action is an index into that list and ``apply`` performs it. Nothing here knows which problem it
runs: the job shop and MRT come in through the registry's ``rewrite_problem``.

Observation (a dict, candidates padded to ``max_candidates`` rows):

- ``candidate_features`` (K, F) float32: the problem's per-candidate features (job shop: the
  columns of ``rewriter.jssp.features.MOVE_FEATURES``), zeros in padding rows;
- ``candidate_pairs`` (K, 2) int64: the (region, partner) nodes of each rewrite, -1 in padding;
- ``candidate_mask`` (K,) bool: the rows that hold a candidate (the legal actions);
- ``search`` (5,) float32: cost, best cost so far and initial cost, each divided by the
  problem's ``cost_scale``; steps taken / ``max_steps``; candidates / K;
- with ``include_graph=True`` also the solution DAG padded to ``max_nodes``: ``node_features``
  (max_nodes, node features), ``node_parents`` (max_nodes, P) with -1 for no parent and
  ``node_mask`` (max_nodes,) bool.

A state with more than K candidates shows the first K (``info["candidates_dropped"]`` counts the
rest), so pick K above the largest count the problem produces (``info["candidates"]`` plus
``info["candidates_dropped"]``). The default, 1024, covers both problems' bundled instances (the
job shop's N7 moves on ta41: up to about 160; MRT at D = 20: about 650).

Reward: the decrease of the cost the rewrite made (``normalize_reward=True``: divided by
``cost_scale``), so an episode's rewards sum to the initial cost minus the final cost. The
episode terminates when no candidate is left or on an illegal (masked) action (nothing applied,
reward 0), and is truncated after ``max_steps`` rewrites; a step after either raises
:class:`~rewriter.envs.checks.ResetNeeded`. A solution that has no candidate from the start shows
an all-False mask; any action then ends the episode (``"no_candidates"``).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .. import registry
from ..errors import InputError
from .checks import check_running, discrete_action, reset_options

SEARCH_FEATURES = ("cost", "best_cost", "initial_cost", "step_fraction", "candidate_fraction")


def rewrite_problem_of(problem: str, options: dict):
    """The registered problem's :class:`RewriteProblem`, or an InputError naming the problems
    that have one."""
    spec = registry.get(problem)
    if spec.rewrite_problem is None:
        usable = [name for name in registry.names()
                  if registry.get(name).rewrite_problem is not None]
        raise InputError(f"problem {problem!r} has no rewrite interface (RewriteProblem) yet, so "
                         f"Rewrite-v0 cannot run it; problems that have one: {', '.join(usable)}")
    return spec, spec.rewrite_problem(dict(options))


class RewriteEnv(gym.Env):
    """A problem's solution improved by one chosen rewrite per step (see the module docstring).

    ``instance``: a bundled name or path, an instance object of the problem, or None for a new
    random instance each episode from the problem's own generator (``size`` is its size class,
    e.g. ``"10x10"`` for the job shop; ``num_jobs`` and ``num_machines`` spell a job-shop size).
    ``init`` is one of the problem's heuristics (default: its default). ``problem_options`` are
    the problem's training options (job shop: ``{"moves": "n7"}``; MRT: ``{"resources": 10}``).
    """

    metadata = {"render_modes": []}

    def __init__(self, problem: str = "jssp", instance=None, init: str | None = None,
                 max_steps: int = 200, max_candidates: int = 1024, *, size: str | None = None,
                 num_jobs: int | None = None, num_machines: int | None = None,
                 problem_options: dict | None = None, normalize_reward: bool = False,
                 include_graph: bool = False, max_nodes: int | None = None):
        spec, self.problem = rewrite_problem_of(problem, problem_options or {})
        self.init = init or spec.default_init
        if self.init not in self.problem.init_rules:
            raise InputError(f"unknown init {self.init!r} for {problem}; expected one of "
                             f"{', '.join(self.problem.init_rules)}")
        if max_steps < 1 or max_candidates < 1:
            raise InputError("max_steps and max_candidates must be at least 1")
        if num_jobs is not None or num_machines is not None:
            if num_jobs is None or num_machines is None or size is not None:
                raise InputError("give num_jobs and num_machines together, or size, not both")
            size = f"{num_jobs}x{num_machines}"
        if isinstance(instance, str):
            instance = spec.load_instance(instance)
        self.fixed_instance, self.size = instance, size
        self.max_steps, self.max_candidates = int(max_steps), int(max_candidates)
        self.normalize_reward, self.include_graph = normalize_reward, include_graph

        # the spaces need the feature widths (and the node count) before the first reset: read
        # them off one initial state (of a fixed-seed sample when instances are random)
        probe_instance = instance if instance is not None else self.problem.sample_instance(
            np.random.default_rng(0), size)
        probe = self.problem.initial_state(probe_instance, self.init, seed=0)
        k = self.max_candidates
        observation = {
            "candidate_features": spaces.Box(-np.inf, np.inf, (k, probe.pair_features), np.float32),
            "candidate_pairs": spaces.Box(-1, np.iinfo(np.int64).max, (k, 2), np.int64),
            "candidate_mask": spaces.Box(0, 1, (k,), np.bool_),
            "search": spaces.Box(-np.inf, np.inf, (len(SEARCH_FEATURES),), np.float32),
        }
        if include_graph:
            graph = probe.graph()
            if max_nodes is None:
                if instance is None:
                    raise InputError("include_graph with random instances needs max_nodes (their "
                                     "node counts may differ)")
                max_nodes = graph.n_nodes
            self.max_nodes = int(max_nodes)
            observation.update(
                node_features=spaces.Box(-np.inf, np.inf, (self.max_nodes, probe.node_features),
                                         np.float32),
                node_parents=spaces.Box(-1, self.max_nodes - 1,
                                        (self.max_nodes, graph.parents.shape[1]), np.int64),
                node_mask=spaces.Box(0, 1, (self.max_nodes,), np.bool_))
        self.observation_space = spaces.Dict(observation)
        self.action_space = spaces.Discrete(k)
        self.state = None  # the RewriteState being rewritten, readable by an agent of its own
        self._terminated = self._truncated = False

    # ---- gymnasium interface -------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Build the ``init`` heuristic's solution of this episode's instance."""
        reset_options(self, options)
        super().reset(seed=seed)
        instance = self.fixed_instance
        if instance is None:
            instance = self.problem.sample_instance(self.np_random, self.size)
        # the heuristic's own seed (used by the random rules) comes from the episode's generator
        init_seed = int(self.np_random.integers(2**31))
        self.state = self.problem.initial_state(instance, self.init, seed=init_seed)
        self.initial_cost = self.best_cost = self.state.cost()
        self.steps = 0
        self._terminated = self._truncated = False
        self._refresh_candidates()
        return self._observation(), self._info()

    def step(self, action):
        """Apply candidate ``action``; the reward is the cost decrease. An action outside the
        action space raises ValueError, a step after the episode ended (terminated or truncated)
        ResetNeeded (:mod:`.checks`)."""
        check_running(self, self.state is not None, self._terminated, self._truncated)
        index = discrete_action(self, action, self.max_candidates)
        if not len(self._pairs):
            # a start with no candidate at all (e.g. an already optimal one): nothing to choose
            self._terminated = True
            info = self._info()
            info["termination"] = "no_candidates"
            return self._observation(), 0.0, True, False, info
        if index >= len(self._pairs):
            self._terminated = True
            info = self._info()
            info.update(illegal_action=True, termination="illegal_action",
                        detail=f"action {index} is not one of the {len(self._pairs)} candidates")
            return self._observation(), 0.0, True, False, info
        before = self.state.cost()
        region, partner = (int(x) for x in self._pairs[index])
        applied = self.state.apply(region, partner)
        after = self.state.cost()
        self.best_cost = min(self.best_cost, after)
        self.steps += 1
        self._refresh_candidates()
        reward = before - after
        if self.normalize_reward:
            reward /= self.state.cost_scale()
        terminated = self._terminated = len(self._pairs) == 0
        truncated = self._truncated = not terminated and self.steps >= self.max_steps
        info = self._info()
        info["applied"] = applied  # False: the rewrite was infeasible and left the state as it was
        if terminated:
            info["termination"] = "no_candidates"
        return self._observation(), float(reward), terminated, truncated, info

    def action_masks(self) -> np.ndarray:
        """(max_candidates,) bool: the indices that name a candidate (MaskablePPO's convention)."""
        mask = np.zeros(self.max_candidates, np.bool_)
        mask[:len(self._pairs)] = True
        return mask

    # ---- observation -------------------------------------------------------------------------
    def _refresh_candidates(self) -> None:
        pairs, features = self.state.candidates()
        self._dropped = max(len(pairs) - self.max_candidates, 0)
        self._pairs = pairs[:self.max_candidates]
        self._features = features[:self.max_candidates]

    def _observation(self) -> dict:
        k, count = self.max_candidates, len(self._pairs)
        features = np.zeros((k, self.observation_space["candidate_features"].shape[1]), np.float32)
        features[:count] = self._features
        pairs = np.full((k, 2), -1, np.int64)
        pairs[:count] = self._pairs
        scale = self.state.cost_scale()
        search = np.array([self.state.cost() / scale, self.best_cost / scale,
                           self.initial_cost / scale, self.steps / self.max_steps, count / k],
                          np.float32)
        obs = {"candidate_features": features, "candidate_pairs": pairs,
               "candidate_mask": self.action_masks(), "search": search}
        if self.include_graph:
            obs.update(self._graph_observation())
        return obs

    def _graph_observation(self) -> dict:
        graph = self.state.graph()
        n = graph.n_nodes
        if n > self.max_nodes:
            raise InputError(f"this solution has {n} nodes, more than max_nodes={self.max_nodes}")
        features = np.zeros((self.max_nodes, graph.features.shape[1]), np.float32)
        features[:n] = graph.features
        parents = np.full((self.max_nodes, graph.parents.shape[1]), -1, np.int64)
        parents[:n] = graph.parents
        mask = np.zeros(self.max_nodes, np.bool_)
        mask[:n] = True
        return {"node_features": features, "node_parents": parents, "node_mask": mask}

    def _info(self) -> dict:
        return {"cost": self.state.cost(), "best_cost": self.best_cost,
                "initial_cost": self.initial_cost, "steps": self.steps,
                "candidates": len(self._pairs), "candidates_dropped": self._dropped,
                "action_mask": self.action_masks()}
