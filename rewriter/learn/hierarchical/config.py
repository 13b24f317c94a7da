"""Every hyperparameter of the hierarchical policy's training in one dataclass (saved with the run
and the model)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from ..config import ConfigBase, option_error
from ...errors import InputError


def parse_size(text: str, option: str = "sizes") -> tuple[int, int]:
    """``"411x149"`` -> (411, 149); anything else is an InputError naming the option."""
    jobs, x, machines = str(text).lower().partition("x")
    if not x or not jobs.isdigit() or not machines.isdigit() or int(jobs) < 1 or int(machines) < 1:
        raise option_error(option, "sizes written JOBSxMACHINES (e.g. 100x50)", text)
    return int(jobs), int(machines)


#: one line per option, for ``rewriter train --approach hierarchical --help``
HELP = {
    "stages": "the curriculum: sizes JOBSxMACHINES of random prod instances, one stage per equal "
              "share of the run (of --timesteps or of the time limit, whichever is further along)",
    "validation_sizes": "sizes of the fixed validation instances (greedy makespan vs the rules)",
    "validation_seeds": "seeds of the validation instances (never the evaluation seeds 0-2)",
    "jobs": "which jobs the job decision may pick: active (the conflict set, as the rules) or all",
    "hidden": "width of the job and machine embeddings and of the heads",
    "init_model": "start from the weights of this hierarchical model file (e.g. the shipped "
                  "rewriter/models/fjsp_hierarchical.pt); they are validated first and best.pt "
                  "is only written for a policy better than them",
    "imitation_iterations": "warm-start iterations imitating mwkr-eet before PPO (0: none)",
    "imitation_lr": "learning rate of the warm start",
    "timesteps": "environment steps of the whole run, two per operation placed",
    "decisions_per_iteration": "operations placed per PPO rollout (whole episodes)",
    "lr": "Adam learning rate of PPO",
    "gamma": "discount (1: the return is minus the makespan)",
    "gae_lambda": "GAE lambda",
    "clip": "PPO clip range",
    "ppo_epochs": "passes over each rollout",
    "minibatch": "decisions per gradient step",
    "value_coef": "weight of the critic's loss",
    "entropy_coef": "weight of the entropy bonus",
    "max_grad_norm": "gradient norm clip",
    "time_limit_minutes": "stop after this much training wall time",
    "validate_every": "iterations between validations",
    "seed": "seed of the instances drawn and of the sampling",
    "threads": "torch threads",
}


@dataclass(frozen=True)
class HierarchicalConfig(ConfigBase):
    """``stages``: the curriculum, one size class ``JOBSxMACHINES`` of random ``prod``-family
    instances per stage, each trained for an equal share of the run: of ``timesteps``
    (environment steps, two per operation: the job and the machine decision) or of the time
    limit, whichever is further along."""

    # instances: the curriculum and validation (training seeds are drawn from 1000 up, validation
    # seeds are fixed apart from them: never the evaluation seeds 0-2)
    stages: tuple[str, ...] = ("50x30", "100x50", "250x100", "411x149", "500x149")
    validation_sizes: tuple[str, ...] = ("100x50", "411x149")
    validation_seeds: tuple[int, ...] = (100, 101)
    jobs: str = "active"          # which jobs the job decision may pick (FlexibleShop-v0's jobs=)
    # network
    hidden: int = 32              # job and machine embeddings, head widths
    init_model: str = ""          # a hierarchical model file to start from ("": random weights)
    # the warm start: iterations imitating mwkr-eet (stages in turn) before PPO
    imitation_iterations: int = 30
    imitation_lr: float = 1e-3
    # PPO
    timesteps: int = 2_000_000    # environment steps over the whole run (the plan's budget)
    decisions_per_iteration: int = 4096  # operations placed per rollout (whole episodes)
    lr: float = 3e-4
    gamma: float = 1.0            # the return is minus the makespan, every step alike
    gae_lambda: float = 0.95
    clip: float = 0.2
    ppo_epochs: int = 3
    minibatch: int = 256          # decisions per gradient step
    value_coef: float = 0.5
    entropy_coef: float = 0.001
    max_grad_norm: float = 0.5
    # run
    time_limit_minutes: float | None = 30.0
    validate_every: int = 5       # iterations
    seed: int = 0
    threads: int = 1

    OPTIONS: ClassVar[str] = "options of the hierarchical trainer"

    @classmethod
    def _prepare(cls, data: dict) -> dict:
        """Lists (JSON's) as the tuples the frozen config keeps."""
        return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}

    def check(self) -> "HierarchicalConfig":
        """Self, or an :class:`InputError` naming the first setting out of range."""
        super().check()
        if not self.stages:
            raise InputError("give at least one curriculum stage (e.g. 50x30)")
        for name in ("stages", "validation_sizes"):
            for size in getattr(self, name):
                parse_size(size, name)
        if any(seed in (0, 1, 2) for seed in self.validation_seeds):
            raise option_error("validation_seeds", "seeds other than the evaluation seeds 0-2",
                               self.validation_seeds)
        if self.jobs not in ("active", "all"):
            raise option_error("jobs", "active or all", self.jobs)
        for name in ("hidden", "timesteps", "decisions_per_iteration", "ppo_epochs", "minibatch",
                     "validate_every", "threads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise option_error(name, "an integer >= 1", value)
        if isinstance(self.imitation_iterations, bool) or not isinstance(
                self.imitation_iterations, int) or self.imitation_iterations < 0:
            raise option_error("imitation_iterations", "an integer >= 0", self.imitation_iterations)
        for name in ("lr", "imitation_lr", "clip", "max_grad_norm"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise option_error(name, "a number > 0", value)
        for name in ("gamma", "gae_lambda"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise option_error(name, "a number in [0, 1]", getattr(self, name))
        for name in ("value_coef", "entropy_coef"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise option_error(name, "a number >= 0", value)
        return self

    def stage_of(self, steps: int, wall_s: float) -> int:
        """The curriculum stage a run is in after ``steps`` environment steps and ``wall_s``
        seconds of training."""
        done = steps / self.timesteps
        if self.time_limit_minutes is not None:
            done = max(done, wall_s / (self.time_limit_minutes * 60))
        return min(int(done * len(self.stages)), len(self.stages) - 1)
