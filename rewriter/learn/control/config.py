"""Every hyperparameter of a controller training run, in one dataclass saved with the run."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

from ..config import ConfigBase, option_error


#: what each field means, for ``rewriter train --approach control --help``
HELP = {
    "sizes": "random training instances' sizes JOBSxMACHINES, comma-separated; one drawn per episode",
    "low": "random instances: shortest duration",
    "high": "random instances: longest duration",
    "slice_moves": "tabu moves between two controller decisions",
    "slices": "decisions per training episode (an episode is slices x slice-moves moves)",
    "elite": "how many distinct good solutions the elite pool keeps for restart-elite",
    "hidden": "width of the actor-critic MLP's two hidden layers",
    "iterations": "rollout + PPO update rounds",
    "episodes": "episodes played per iteration",
    "lr": "Adam learning rate",
    "gamma": "discount per decision of the reward (the best's decrease over the next slice)",
    "gae_lambda": "GAE lambda of the advantage estimate",
    "clip": "PPO ratio clip",
    "ppo_epochs": "passes over an iteration's decisions per update",
    "minibatch": "decisions per PPO minibatch",
    "value_coef": "weight of the value loss",
    "entropy_coef": "weight of the entropy bonus",
    "max_grad_norm": "gradient norm clip",
    "validation_per_size": "fixed validation instances per size class",
    "validate_every": "validate every this many iterations (and at the end)",
    "checkpoint_every": "write checkpoint.pt every this many iterations",
    "time_limit_minutes": "stop after this many minutes of training (resume continues it)",
    "seed": "seed of the whole run (instances, search, policy, sampling)",
    "threads": "torch threads",
}


@dataclass
class ControlConfig(ConfigBase):
    OPTIONS: ClassVar[str] = "options of --approach control"

    # episodes: a controlled tabu run of `slices` slices on a fresh random instance ---------------
    sizes: list[str] = field(default_factory=lambda: ["20x15", "30x20"])  # one drawn per episode
    low: int = 1                          # random instances: durations uniform in [low, high]
    high: int = 99
    slice_moves: int = 2000               # tabu moves between two decisions
    slices: int = 50                      # decisions per episode
    elite: int = 8                        # size of the elite pool
    # model -------------------------------------------------------------------------------------
    hidden: int = 64
    # algorithm (PPO, rewriter.learn.construct.ppo) ---------------------------------------------------
    iterations: int = 100                 # rollout + update rounds
    episodes: int = 4                     # episodes per iteration
    lr: float = 3e-4
    gamma: float = 0.95                   # a decision's effect fades over a few slices
    gae_lambda: float = 0.95
    clip: float = 0.2
    ppo_epochs: int = 4
    minibatch: int = 64
    value_coef: float = 0.5
    entropy_coef: float = 0.01
    max_grad_norm: float = 0.5
    # validation and bookkeeping ----------------------------------------------------------------
    validation_per_size: int = 2
    validate_every: int = 10
    checkpoint_every: int = 1
    time_limit_minutes: float | None = None
    seed: int = 0
    threads: int = 1

    #: the reward is already scaled by the instance's bound (construct.ppo reads this)
    reward_per_machine = False

    def check(self) -> "ControlConfig":
        from ..construct.config import parse_size

        super().check()
        for name in ("low", "slice_moves", "slices", "elite", "hidden", "iterations", "episodes",
                     "ppo_epochs", "minibatch", "validation_per_size", "validate_every",
                     "checkpoint_every", "threads"):
            if getattr(self, name) < 1:
                raise option_error(name, "an integer >= 1", getattr(self, name))
        if self.high < self.low:
            raise option_error("high", f"an integer >= --low ({self.low})", self.high)
        for name in ("lr", "clip", "max_grad_norm"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise option_error(name, "a number > 0", getattr(self, name))
        for name in ("gamma", "gae_lambda"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise option_error(name, "a number in [0, 1]", getattr(self, name))
        for name in ("value_coef", "entropy_coef"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise option_error(name, "a number >= 0", getattr(self, name))
        if not self.sizes:
            raise option_error("sizes", "at least one size class", self.sizes)
        for size in self.sizes:
            parse_size(size, "sizes")
        return self
