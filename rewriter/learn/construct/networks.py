"""The two networks of the constructive approach, behind one set of calls.

``jobs`` (the default): the per-job policy over ``JobShopDispatch-v0`` (:mod:`.policy`,
:mod:`.rollout`). ``graph``: message passing over the partial disjunctive graph of
``JobShopGraph-v0`` (:mod:`.graph`). Training, decoding and model files ask here which
environment, policy, rollout and PPO batch go with a network, so neither of them branches on it.
"""

from __future__ import annotations

from .config import ConstructConfig
from .graph.policy import GraphConstructPolicy, GraphPolicyConfig
from .policy import ConstructPolicy, PolicyConfig

NETWORKS = ("jobs", "graph")


def network_of(policy) -> str:
    return "graph" if isinstance(policy, GraphConstructPolicy) else "jobs"


def env_type(network: str):
    """The environment class a network's policy plays."""
    if network == "graph":
        from ...envs.graph import JobShopGraphEnv

        return JobShopGraphEnv
    from ...envs.dispatch import JobShopDispatchEnv

    return JobShopDispatchEnv


def new_policy(cfg: ConstructConfig):
    """A freshly initialised policy of ``cfg.network`` with ``cfg``'s architecture."""
    if cfg.network == "graph":
        return GraphConstructPolicy(GraphPolicyConfig(embed_dim=cfg.embed_dim, layers=cfg.rounds))
    return ConstructPolicy(PolicyConfig(embed_dim=cfg.embed_dim, heads=cfg.heads,
                                        layers=cfg.layers))


def policy_types(network: str) -> tuple[type, type]:
    """(architecture config type, policy type) of a network."""
    if network == "graph":
        return GraphPolicyConfig, GraphConstructPolicy
    return PolicyConfig, ConstructPolicy


def play_episodes(policy, envs: list, seeds: list, slots: int, rng, record: bool = False):
    """One episode in each environment (see :func:`.rollout.play`); ``slots`` pads the per-job
    policy's batches and means nothing to the graph policy."""
    if isinstance(policy, GraphConstructPolicy):
        from ...core.threads import limit_threads
        from .graph.rollout import play_graph

        if record:  # training: the trainer set the threads
            return play_graph(policy, envs, seeds, rng, record)
        # decoding: one small forward pass per decision gains nothing from more threads, and
        # processes side by side (compare's workers) each spinning several would slow every one
        # of them many times over (measured: a 50x20 greedy schedule took 417 s instead of 18 s)
        with limit_threads(1):
            return play_graph(policy, envs, seeds, rng, record)
    from .rollout import play

    return play(policy, envs, seeds, slots, rng, record)


def ppo_step(policy, optimizer, episodes: list, cfg: ConstructConfig, rng) -> tuple[dict, int]:
    """One PPO update on the recorded episodes: (mean losses, number of decisions)."""
    from .ppo import ppo_update, rollout_batch

    if isinstance(policy, GraphConstructPolicy):
        from .graph.rollout import evaluate_graphs, graph_batch

        batch = graph_batch(episodes, cfg)
        return ppo_update(policy, optimizer, batch, cfg, rng, evaluate_graphs), len(batch["actions"])
    batch = rollout_batch(episodes, cfg)
    return ppo_update(policy, optimizer, batch, cfg, rng), len(batch["actions"])
