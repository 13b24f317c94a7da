"""Playing ``MrtDispatch-v0`` episodes with a constructive policy, several side by side.

:func:`play` steps a list of environments together, one batched forward pass per decision over
the episodes still running. The policy sees each visible slot's job features with the cluster's
state appended (:func:`policy_inputs`), so the job shop's network serves unchanged: empty slots
are its padding rows and "advance" its no-op. It serves training (sampled actions, every decision
recorded) and decoding (greedy or sampled). Every random draw comes from one numpy generator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ....envs.mrt_dispatch import MrtDispatchEnv, cluster_features, job_features
from ....mrt.instance import MrtInstance
from ..policy import ConstructPolicy, NumpyActor, choose


def input_features(resources: int) -> int:
    """The width of a policy input row for D = ``resources``."""
    return len(job_features(resources)) + len(cluster_features(resources))


def policy_inputs(observations: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(B, W, F) rows (job features, then the cluster's), (B, W) real slots, (B, W + 1) mask."""
    jobs = np.stack([o["jobs"] for o in observations])
    cluster = np.stack([o["cluster"] for o in observations])
    rows = np.concatenate([jobs, np.repeat(cluster[:, None, :], jobs.shape[1], 1)], -1)
    return rows, jobs[..., 0] > 0, np.stack([o["action_mask"] for o in observations])


@dataclass
class Episode:
    """One finished episode: its schedule and, when recorded, every decision."""

    instance: MrtInstance
    schedule: np.ndarray = None                             # start time per job
    average_slowdown: float = float("nan")
    inputs: list = field(default_factory=list)              # per decision: (W, F) rows
    valid: list = field(default_factory=list)               # (W,) real slots
    mask: list = field(default_factory=list)                # (W + 1,) legal actions
    actions: list = field(default_factory=list)
    times: list = field(default_factory=list)               # the time of each decision


def play(policy: ConstructPolicy, envs: list[MrtDispatchEnv], instances: list[MrtInstance],
         rng: np.random.Generator | None, record: bool = False) -> list[Episode]:
    """Run one episode of ``instances[i]`` in ``envs[i]`` until all have finished; ``rng`` None
    takes the most likely action at every decision, otherwise actions are sampled from ``rng``."""
    observations = [env.reset(options={"instance": inst})[0] for env, inst in zip(envs, instances)]
    # decoding needs no gradients: the numpy actor skips torch's per-operation overhead
    actor = NumpyActor(policy) if not record and not policy.config.layers else None
    episodes = [Episode(inst) for inst in instances]
    active = list(range(len(envs)))
    policy.eval()
    while active:
        rows, valid, mask = policy_inputs([observations[i] for i in active])
        if actor is not None:
            log_probs = actor(rows, valid, mask)
        else:
            with torch.inference_mode():
                log_probs = policy(torch.from_numpy(rows), torch.from_numpy(valid),
                                   torch.from_numpy(mask))[0].numpy()
        actions = choose(log_probs, rng)
        still = []
        for row, i in enumerate(active):
            episode, action = episodes[i], int(actions[row])
            if record:
                episode.inputs.append(rows[row])
                episode.valid.append(valid[row])
                episode.mask.append(mask[row])
                episode.actions.append(action)
                episode.times.append(envs[i].cluster.time)
            observations[i], _, terminated, _, info = envs[i].step(action)
            if not terminated:
                still.append(i)
            elif info["termination"] != "done":  # the mask is followed, so this is a bug
                raise RuntimeError(f"episode on {info['instance']} ended by "
                                   f"{info['termination']}: {info.get('detail', '')}")
            else:
                episode.schedule = info["schedule"]
                episode.average_slowdown = float(info["average_slowdown"])
        active = still
    return episodes
