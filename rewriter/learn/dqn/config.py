"""Every hyperparameter of the DQN dispatcher in one dataclass (saved with the run and the model)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..config import ConfigBase
from ...errors import InputError

#: what each field means, for ``rewriter train --approach dqn --help``
HELP = {
    "sizes": "training instances' size classes JOBSxMACHINES, comma-separated; one per episode "
             "in turn",
    "due_dates": "due dates of the training and validation instances: compat (the generator's), "
                 "tight (the tight_ family's draw, sizes.tight_due_dates) or scaled (before the "
                 "makespan bound, tight at every size: sizes.scaled_due_dates)",
    "validation_sizes": "size classes of the fixed validation instances",
    "validation_seeds": "seeds of the validation instances of each size (never the evaluation "
                        "seeds 0-2)",
    "reward": "what the learner optimises: makespan (minus each assignment's increase of the "
              "latest completion), makespan+tardiness (also minus the job's weighted tardiness) or "
              "spec (the environment's deadline minus completion: total completion time)",
    "n_step": "rewards summed before bootstrapping (n-step returns)",
    "demo_episodes": "warm start: episodes of the best of the 18 rules per instance, replayed as "
                     "demonstrations (0: none)",
    "pretrain_updates": "warm start: gradient steps on the demonstrations alone, before the DQN's "
                        "own episodes",
    "demo_share": "share of every later batch drawn from the demonstrations",
    "margin": "large-margin loss: how far the teacher's action must lead the others (scaled "
              "return units)",
    "margin_weight": "weight of the large-margin loss on demonstrations (0: off)",
    "init_model": "start from the weights of this DQN model file (e.g. another size's best.pt) "
                  "instead of random ones; its architecture must match hidden and pair_hidden",
    "hidden": "hidden width of the job and machine MLPs",
    "pair_hidden": "width of their embeddings and of the pair layer",
    "gamma": "discount factor (1: undiscounted, as the MDP defines the return)",
    "double": "double DQN targets (the online network picks, the target network values)",
    "lr": "Adam learning rate",
    "batch_size": "transitions per gradient update",
    "buffer_size": "transitions kept in the replay buffer",
    "warmup": "transitions collected before the first update",
    "train_every": "environment steps per gradient update",
    "target_every": "gradient updates between two copies into the target network",
    "huber_delta": "delta of the Huber TD loss",
    "max_grad_norm": "gradient norm clip",
    "eps_start": "exploration: epsilon at the first step",
    "eps_end": "exploration: epsilon after the decay",
    "eps_decay_steps": "environment steps of epsilon's linear decay",
    "episodes": "training episodes (an upper bound; the time limit usually ends the run first)",
    "time_limit_minutes": "stop after this many minutes of training (resume continues it)",
    "validate_every": "episodes between validations (and checkpoints)",
    "seed": "seed of the whole run (instances, exploration, replay sampling, network)",
    "threads": "torch threads",
}


@dataclass(frozen=True)
class DQNConfig(ConfigBase):
    """Training and network settings. ``sizes`` are the size classes ``NxM`` training draws its
    random :func:`~rewriter.fjsp.generate.compatibility_instance` from, one per episode in turn."""

    # instances
    sizes: tuple[str, ...] = ("50x10",)
    due_dates: str = "compat"     # sizes.DUE_DATES
    validation_sizes: tuple[str, ...] = ("50x10", "100x20")
    validation_seeds: tuple[int, ...] = (100, 101)   # never the evaluation seeds 0-2
    # what is learnt, and the warm start (imitation of the best rule, then DQN)
    reward: str = "makespan"      # envs.compat_mdp.REWARDS
    n_step: int = 3
    demo_episodes: int = 40
    pretrain_updates: int = 1_500
    demo_share: float = 0.25
    margin: float = 0.05
    margin_weight: float = 1.0
    init_model: str = ""          # a DQN model file to start from ("" : random weights)
    # network
    hidden: int = 64              # the job and machine MLPs' hidden layer
    pair_hidden: int = 32         # their embeddings and the pair layer
    # DQN
    gamma: float = 1.0            # undiscounted, as the MDP defines the return
    double: bool = True           # double DQN targets (learn.td_step)
    lr: float = 1e-3              # Adam
    batch_size: int = 64
    buffer_size: int = 50_000     # transitions kept in the replay buffer
    warmup: int = 1_000           # transitions collected before the first update
    train_every: int = 2          # environment steps per gradient update
    target_every: int = 500       # gradient updates between two copies into the target network
    huber_delta: float = 1.0
    max_grad_norm: float = 10.0
    eps_start: float = 0.2        # the warm start already plays about as well as the teacher
    eps_end: float = 0.02
    eps_decay_steps: int = 10_000  # environment steps of the linear decay
    # run
    episodes: int = 100_000       # an upper bound; the time limit usually ends the run first
    time_limit_minutes: float | None = 20.0
    validate_every: int = 50      # episodes
    seed: int = 0
    threads: int = 1

    OPTIONS: ClassVar[str] = "options of --approach dqn"

    @classmethod
    def _prepare(cls, data: dict) -> dict:
        """Lists (JSON's, the command line's) as the tuples the frozen config keeps."""
        return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}

    def check(self) -> "DQNConfig":
        """Self, or an :class:`InputError` naming the first setting out of range."""
        from .sizes import parse_size

        super().check()
        for size in (*self.sizes, *self.validation_sizes):
            parse_size(size)
        if not self.sizes:
            raise InputError("give at least one training size (e.g. 50x10)")
        from ...envs.compat_mdp import REWARDS
        from .sizes import DUE_DATES

        if self.due_dates not in DUE_DATES:
            raise InputError(f"due_dates must be one of {', '.join(DUE_DATES)}, got {self.due_dates!r}")
        if self.reward not in REWARDS:
            raise InputError(f"reward must be one of {', '.join(REWARDS)}, got {self.reward!r}")
        for name in ("demo_episodes", "pretrain_updates", "warmup"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"{name} must be an integer >= 0, got {value!r}")
        if not 0 <= self.demo_share < 1 or not self.margin >= 0 or not self.margin_weight >= 0:
            raise InputError("expected 0 <= demo_share < 1, margin >= 0 and margin_weight >= 0")
        positive = ("hidden", "pair_hidden", "batch_size", "buffer_size", "train_every", "n_step",
                    "target_every", "eps_decay_steps", "episodes", "validate_every", "threads")
        for name in positive:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"{name} must be a positive integer, got {value!r}")
        if not 0 < self.gamma <= 1 or not self.lr > 0 or not self.huber_delta > 0:
            raise InputError("gamma must be in (0, 1], lr and huber_delta positive")
        if not 0 <= self.eps_end <= self.eps_start <= 1:
            raise InputError("expected 0 <= eps_end <= eps_start <= 1")
        return self
