"""Every hyperparameter of a constructive MRT training run, in one dataclass saved with the run."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from ...config import MAX_DEPTH, ConfigBase, check_width, option_error
from ....errors import InputError


@dataclass
class MrtConstructConfig(ConfigBase):
    OPTIONS: ClassVar[str] = "options of --problem mrt --approach construct"

    # problem ---------------------------------------------------------------------------------
    problem: str = "mrt"
    resources: int = 2                    # D: a model is trained for one D, as DeepRM's were
    window: int = 10                      # W: visible waiting jobs (DeepRM: 10)
    # model (rewriter.learn.construct.policy.PolicyConfig) ------------------------------------------
    embed_dim: int = 64
    heads: int = 4
    layers: int = 0
    # algorithm (REINFORCE with a time-dependent baseline) ------------------------------------
    iterations: int = 1000                # rollout + update rounds
    sequences: int = 4                    # training job sequences per iteration
    rollouts: int = 8                     # sampled episodes per sequence (the baseline's sample)
    lr: float = 1e-3
    entropy_coef: float = 0.01
    max_grad_norm: float = 1.0
    # validation and bookkeeping --------------------------------------------------------------
    validation_sequences: int = 16        # the first ones of the data set's validation split
    validate_every: int = 20
    checkpoint_every: int = 1
    time_limit_minutes: float | None = None
    seed: int = 0
    threads: int = 1

    def check(self) -> "MrtConstructConfig":
        """Raise an :class:`InputError` naming the first option of the wrong type or out of
        range; returns the config, numbers as their field's type."""
        from ....mrt.presets import TRAIN_RESOURCES

        super().check()
        if self.problem != "mrt":
            raise InputError(f"this config trains MRT schedulers, not {self.problem!r}")
        low, high = TRAIN_RESOURCES
        if not low <= self.resources <= high:
            raise option_error("resources", f"an integer from {low} to {high}", self.resources)
        if self.layers < 0:
            raise option_error("layers", "an integer >= 0", self.layers)
        for name in ("window", "embed_dim", "heads", "iterations", "sequences",
                     "validation_sequences", "validate_every", "checkpoint_every", "threads"):
            if getattr(self, name) < 1:
                raise option_error(name, "an integer >= 1", getattr(self, name))
        if self.rollouts < 2:  # with one rollout every advantage would be zero
            raise option_error("rollouts", "an integer >= 2", self.rollouts)
        check_width("embed_dim", self.embed_dim)
        check_width("layers", self.layers, MAX_DEPTH)
        if self.embed_dim % self.heads:
            raise option_error("embed_dim", f"a multiple of --heads ({self.heads})", self.embed_dim)
        for name in ("lr", "max_grad_norm"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise option_error(name, "a number > 0", value)
        if not (math.isfinite(self.entropy_coef) and self.entropy_coef >= 0):
            raise option_error("entropy_coef", "a number >= 0", self.entropy_coef)
        return self


#: one line of help per option that only this trainer has (the others are shared flags)
HELP = {
    "window": "--problem mrt: visible waiting jobs the policy chooses from (DeepRM: 10)",
    "sequences": "--problem mrt: training job sequences per iteration",
    "rollouts": "--problem mrt: sampled episodes per sequence; their mean cost from the same "
                "time on is the baseline",
    "validation_sequences": "--problem mrt: validation sequences (the first of the data set's "
                            "validation split), decoded greedily",
}
