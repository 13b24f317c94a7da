"""Every hyperparameter of a constructive training run, in one dataclass saved with the run."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

from ..config import MAX_DEPTH, ConfigBase, check_width, option_error
from ...errors import InputError

#: the size mix of the shipped model (jobs x machines), one drawn per episode
DEFAULT_SIZES = ["6x6", "10x5", "10x10", "15x10", "15x15"]


@dataclass
class ConstructConfig(ConfigBase):
    OPTIONS: ClassVar[str] = "options of --approach construct"

    # problem ---------------------------------------------------------------------------------
    problem: str = "jssp"                 # the constructive approach exists for the job shop
    instance: str = ""                    # per-instance mode: train on this instance only
    sizes: list[str] = field(default_factory=lambda: list(DEFAULT_SIZES))  # across-instance mode
    low: int = 1                          # random instances: durations uniform in [low, high]
    high: int = 99
    # model -----------------------------------------------------------------------------------
    network: str = "jobs"                 # jobs: per-job features; graph: the disjunctive graph
    embed_dim: int = 64
    heads: int = 4                        # jobs: attention heads
    layers: int = 0                       # jobs: self-attention blocks (0: pooled context only)
    rounds: int = 3                       # graph: message-passing rounds
    # algorithm (PPO) -------------------------------------------------------------------------
    iterations: int = 1000                # rollout + update rounds
    episodes: int = 16                    # environments stepped side by side, one episode each
    lr: float = 3e-4
    gamma: float = 1.0                    # the makespan counts every step alike
    gae_lambda: float = 0.95
    clip: float = 0.2
    ppo_epochs: int = 4
    minibatch: int = 256                  # decisions per gradient step
    value_coef: float = 0.5
    entropy_coef: float = 0.01
    max_grad_norm: float = 0.5
    reward_per_machine: bool = True       # divide the env's reward by the machine count
    # validation and bookkeeping --------------------------------------------------------------
    validation_sizes: list[str] = field(default_factory=lambda: ["10x10", "15x15", "20x15"])
    validation_per_size: int = 4
    validate_every: int = 20
    checkpoint_every: int = 1
    time_limit_minutes: float | None = None
    seed: int = 0
    threads: int = 1

    @property
    def per_instance(self) -> bool:
        """Tassel's protocol: every episode is the one instance ``instance``."""
        return bool(self.instance)

    def check(self) -> "ConstructConfig":
        """Raise an :class:`InputError` naming the first option of the wrong type or out of
        range; returns the config, numbers as their field's type."""
        super().check()
        if self.problem != "jssp":
            raise InputError(f"--approach construct trains job-shop schedulers only, not "
                             f"{self.problem!r}")
        if self.network not in ("jobs", "graph"):
            raise option_error("network", "jobs or graph", self.network)
        if self.layers < 0:
            raise option_error("layers", "an integer >= 0", self.layers)
        for name in ("embed_dim", "heads", "iterations", "episodes", "ppo_epochs",
                     "minibatch", "validation_per_size", "validate_every", "checkpoint_every",
                     "threads", "low", "rounds"):
            if getattr(self, name) < 1:
                raise option_error(name, "an integer >= 1", getattr(self, name))
        check_width("embed_dim", self.embed_dim)
        for name in ("layers", "rounds"):
            check_width(name, getattr(self, name), MAX_DEPTH)
        if self.network == "jobs" and self.embed_dim % self.heads:
            raise option_error("embed_dim", f"a multiple of --heads ({self.heads})", self.embed_dim)
        if self.high < self.low:
            raise option_error("high", f"an integer >= --low ({self.low})", self.high)
        for name, text in (("lr", "> 0"), ("clip", "> 0"), ("max_grad_norm", "> 0")):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise option_error(name, f"a number {text}", value)
        for name in ("gamma", "gae_lambda"):
            if not 0.0 <= getattr(self, name) <= 1.0:  # False for nan too
                raise option_error(name, "a number in [0, 1]", getattr(self, name))
        for name in ("value_coef", "entropy_coef"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise option_error(name, "a number >= 0", value)
        for name in ("sizes", "validation_sizes"):
            for size in getattr(self, name):
                parse_size(size, name)
        if not self.per_instance and not self.sizes:
            raise option_error("sizes", "at least one size class (or --instance)", self.sizes)
        return self


def parse_size(text: str, option: str = "sizes") -> tuple[int, int]:
    """``"15x10"`` -> (15, 10); anything else is an InputError naming the option."""
    from ...jssp.generate import MAX_OPERATIONS

    jobs, x, machines = text.lower().partition("x")
    if not x or not jobs.isdigit() or not machines.isdigit() or int(jobs) < 1 or int(machines) < 1:
        raise option_error(option, "sizes written JOBSxMACHINES (e.g. 10x10)", text)
    if int(jobs) * int(machines) > MAX_OPERATIONS:
        raise option_error(option, f"sizes of at most {MAX_OPERATIONS:,} operations (jobs x "
                           "machines)", text)
    return int(jobs), int(machines)


#: one line of help per option that only the constructive approach has
HELP = {
    "instance": "per-instance mode (Tassel et al.'s protocol): train on this one instance and "
                "report the best makespan seen; default: random instances of --sizes",
    "low": "random instances: shortest operation",
    "high": "random instances: longest operation",
    "network": "jobs: a policy over per-job features, playing JobShopDispatch-v0 (Tassel et "
               "al.); graph: message passing over the partial disjunctive graph, playing "
               "JobShopGraph-v0 (L2D-style)",
    "embed_dim": "width of the per-job (or per-operation) embedding (--network jobs: a multiple "
                 "of --heads)",
    "heads": "--network jobs: attention heads",
    "layers": "--network jobs: self-attention blocks between the jobs (0: each job sees the "
              "others only through the pooled mean and max embedding)",
    "rounds": "--network graph: message-passing rounds over the graph",
    "reward_per_machine": "divide the environment's reward by the number of machines, so "
                          "instances of several sizes weigh alike",
}
