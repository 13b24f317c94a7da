"""Playing ``JobShopDispatch-v0`` episodes with a constructive policy, several side by side.

:func:`play` steps a list of environments together: at each step the observations of the
episodes still running are padded into one batch, the policy scores them in one forward pass,
and each environment takes its action. It serves training (sampled actions, every decision
recorded) and decoding (greedy or sampled, only the schedules kept). Every random draw comes from
one numpy generator, so a run is repeatable from its seed.

:class:`EpisodeSource` hands out the environment of each training episode (the one its network
plays): the fixed instance in per-instance mode, or a fresh random instance of a size class
drawn per episode.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ...envs.dispatch import JobShopDispatchEnv
from .config import ConstructConfig, parse_size
from .episode import close_episode, keep_decision
from .policy import ConstructPolicy, NumpyActor, choose, env_action, pad_observations


@dataclass
class Episode:
    """One finished episode: its schedule and, when recorded, every decision."""

    instance: str
    num_machines: int
    makespan: int
    schedule: np.ndarray                                   # (N, K) start times
    jobs: list = field(default_factory=list)               # per decision: (slots, F) features
    valid: list = field(default_factory=list)              # (slots,) real job rows
    mask: list = field(default_factory=list)               # (slots + 1,) legal actions
    actions: list = field(default_factory=list)            # padded action index
    log_probs: list = field(default_factory=list)
    values: list = field(default_factory=list)
    rewards: list = field(default_factory=list)


def play(policy: ConstructPolicy, envs: list[JobShopDispatchEnv], seeds: list[int | None],
         slots: int, rng: np.random.Generator | None, record: bool = False) -> list[Episode]:
    """Run one episode in each environment (reset with its seed) until all have finished.

    ``rng`` None takes the most likely action at every decision (greedy decoding); otherwise
    actions are sampled with draws from ``rng``. ``slots`` is the padded job count (at least
    every environment's number of jobs). With ``record`` every decision is kept for training."""
    observations = [env.reset(seed=seed)[0] for env, seed in zip(envs, seeds)]
    # decoding needs no values and no gradients: the numpy actor is several times faster
    actor = NumpyActor(policy) if not record and not policy.config.layers else None
    episodes: list[Episode | None] = [None] * len(envs)
    logs = [Episode("", env.num_machines, -1, np.empty(0)) for env in envs]
    active = list(range(len(envs)))
    policy.eval()
    while active:
        jobs, valid, mask = pad_observations([observations[i] for i in active], slots)
        if actor is not None:
            log_probs = actor(jobs, valid, mask)
        else:
            with torch.inference_mode():
                log_probs, values = policy(torch.from_numpy(jobs), torch.from_numpy(valid),
                                           torch.from_numpy(mask))
            log_probs = log_probs.numpy()
        actions = choose(log_probs, rng)
        still = []
        for row, i in enumerate(active):
            env = envs[i]
            action = int(actions[row])
            observations[i], reward, terminated, _, info = env.step(
                env_action(action, slots, env.num_jobs))
            if record:
                log = logs[i]
                log.jobs.append(jobs[row])
                log.valid.append(valid[row])
                log.mask.append(mask[row])
                keep_decision(log, action, log_probs[row, action], values[row], reward)
            if not terminated:
                still.append(i)
                continue
            episodes[i] = close_episode(logs[i], info)
        active = still
    return episodes


class EpisodeSource:
    """The environments of training episodes (see the module docstring).

    Each of the ``cfg.episodes`` slots keeps one environment per size class (made once), so a
    size drawn for an episode costs no construction; the instance itself comes from the reset
    seed, drawn from the trainer's generator."""

    def __init__(self, cfg: ConstructConfig, env_type=JobShopDispatchEnv):
        self.cfg = cfg
        self.env_type = env_type
        if cfg.per_instance:
            self.fixed = [self.env_type(instance=cfg.instance) for _ in range(cfg.episodes)]
            self.sizes = [(self.fixed[0].num_jobs, self.fixed[0].num_machines)]
        else:
            self.fixed = None
            self.sizes = [parse_size(s) for s in cfg.sizes]
            self._envs: list[dict] = [{} for _ in range(cfg.episodes)]

    @property
    def slots(self) -> int:
        """The padded job count of every training batch: the most jobs of any size class."""
        return max(n for n, _ in self.sizes)

    def draw(self, rng: np.random.Generator) -> tuple[list, list[int]]:
        """The environments and reset seeds of the next iteration's episodes."""
        seeds = [int(s) for s in rng.integers(2**31, size=self.cfg.episodes)]
        if self.fixed is not None:
            return self.fixed, seeds
        picks = rng.integers(len(self.sizes), size=self.cfg.episodes)
        envs = []
        for slot, pick in enumerate(picks):
            size = self.sizes[int(pick)]
            env = self._envs[slot].get(size)
            if env is None:
                env = self._envs[slot][size] = self.env_type(
                    num_jobs=size[0], num_machines=size[1], low=self.cfg.low, high=self.cfg.high)
            envs.append(env)
        return envs, seeds
