"""Playing ``JobShopGraph-v0`` episodes with the graph policy, several side by side.

The same loop as :func:`rewriter.learn.construct.rollout.play`: at each step the graphs of the
episodes still running are stacked into one batch (:class:`~.policy.GraphBatch`), the policy
scores them in one forward pass, and each environment places its job's next operation. Every
episode takes exactly N x M decisions. Everything the policy reads comes from the observation:
the candidates are each job's first unplaced operation, the arcs are the job arcs and the
machine orders (:func:`rewriter.envs.graph.graph_arcs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import torch

from ....envs.graph import FEATURES, JobShopGraphEnv, graph_arcs, job_arcs
from ..policy import choose
from ..episode import close_episode, keep_decision
from .policy import GraphBatch, GraphConstructPolicy

PLACED = FEATURES.index("placed")


@dataclass
class GraphEpisode:
    """One finished episode: its schedule and, when recorded, every decision."""

    instance: str
    num_machines: int
    makespan: int
    schedule: np.ndarray                                   # (N, M) start times
    states: list = field(default_factory=list)             # (features, arcs, candidates, mask)
    actions: list = field(default_factory=list)
    log_probs: list = field(default_factory=list)
    values: list = field(default_factory=list)
    rewards: list = field(default_factory=list)


@lru_cache(maxsize=64)
def _job_arcs(num_jobs: int, num_machines: int) -> np.ndarray:
    return job_arcs(num_jobs, num_machines).astype(np.int32)


def graph_state(observation: dict, num_jobs: int, num_machines: int) -> tuple:
    """(features, arcs, candidates, mask) of one observation, as :meth:`GraphBatch.collate`
    takes them."""
    placed = observation["features"][:, PLACED].reshape(num_jobs, num_machines).sum(1)
    candidates = np.arange(num_jobs) * num_machines + np.minimum(placed.astype(np.int64),
                                                                 num_machines - 1)
    arcs = graph_arcs(observation["machine_order"].astype(np.int32),
                      _job_arcs(num_jobs, num_machines))
    return observation["features"], arcs, candidates, observation["action_mask"]


def play_graph(policy: GraphConstructPolicy, envs: list[JobShopGraphEnv],
               seeds: list[int | None], rng: np.random.Generator | None,
               record: bool = False) -> list[GraphEpisode]:
    """Run one episode in each environment (reset with its seed) until all have finished:
    greedy with ``rng`` None, else sampled with draws from ``rng``; with ``record`` every
    decision is kept for training."""
    observations = [env.reset(seed=seed)[0] for env, seed in zip(envs, seeds)]
    logs = [GraphEpisode("", env.num_machines, -1, np.empty(0)) for env in envs]
    active = list(range(len(envs)))
    policy.eval()
    while active:
        states = [graph_state(observations[i], envs[i].num_jobs, envs[i].num_machines)
                  for i in active]
        with torch.inference_mode():
            log_probs, values = policy(GraphBatch.collate(states))
        log_probs = log_probs.numpy()
        actions = choose(log_probs, rng)
        still = []
        for row, i in enumerate(active):
            action = int(actions[row])
            observations[i], reward, terminated, _, info = envs[i].step(action)
            if record:
                logs[i].states.append(states[row])
                keep_decision(logs[i], action, log_probs[row, action], values[row], reward)
            if terminated:
                close_episode(logs[i], info)
            else:
                still.append(i)
        active = still
    return logs


def graph_batch(episodes: list[GraphEpisode], cfg) -> dict:
    """Every decision of the episodes for :func:`~rewriter.learn.construct.ppo.ppo_update`: the
    states (collated per minibatch by :func:`evaluate_graphs`), actions, old log-probabilities,
    advantages and returns."""
    from ..ppo import targets

    advantages, returns = targets(episodes, cfg)
    return {"states": [s for e in episodes for s in e.states],
            "actions": torch.tensor([a for e in episodes for a in e.actions], dtype=torch.int64),
            "log_probs": torch.tensor([p for e in episodes for p in e.log_probs],
                                      dtype=torch.float32),
            "advantages": advantages, "returns": returns}


def evaluate_graphs(policy: GraphConstructPolicy, batch: dict, idx: torch.Tensor):
    """(log-probabilities, values) of the decisions ``idx`` of a :func:`graph_batch`."""
    return policy(GraphBatch.collate([batch["states"][i] for i in idx.tolist()]))
