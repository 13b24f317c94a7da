"""Every hyperparameter of a training run, in one dataclass that is saved with the run."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields

ALGOS = ("ppo", "reinforce")
REWARDS = ("best", "step")


@dataclass
class TrainConfig:
    # problem ---------------------------------------------------------------------------------
    problem: str = "jssp"
    moves: str = "n5"                     # jssp: candidate set (adjacent | n1 | n5)
    resources: int = 20                   # mrt: resource types D
    sizes: list[str] = field(default_factory=lambda: ["10x10", "15x15"])  # training size classes
    curriculum: bool = False              # start with the first size, add the others over time
    init_rules: list[str] = field(default_factory=lambda: ["mwkr", "spt", "fifo", "mor", "random"])
    # model -----------------------------------------------------------------------------------
    formulation: str = "arc"              # arc (one policy) | node (region + rule policies)
    hidden: int = 32                      # Tree-LSTM state size
    mlp_hidden: int = 64
    reverse: bool = True                  # add the successors-to-predecessors pass
    # algorithm -------------------------------------------------------------------------------
    algo: str = "ppo"
    iterations: int = 300                 # rollout + update rounds
    episodes: int = 16                    # parallel episodes per rollout
    episode_steps: int = 32               # rewrite steps per episode (T)
    reward: str = "best"                  # best: decrease of the best cost so far; step: of the cost
    reward_scale: float = 100.0           # rewards in % of the instance's cost scale
    gamma: float = 0.99
    gae_lambda: float = 0.95              # ppo
    lr: float = 3e-4
    ppo_epochs: int = 3
    minibatch: int = 128                  # steps per gradient step
    clip: float = 0.2
    value_coef: float = 0.5
    entropy_coef: float = 0.01
    alpha: float = 10.0                   # reinforce node formulation: region loss + alpha x rule loss
    max_grad_norm: float = 1.0
    # NeuRewriter's region re-sampling (reinforce, node formulation): keep a region with Q < 0 only
    # with probability p_c, p_c decaying from pc_start by pc_decay every pc_every steps to pc_min
    negative_q_resample: bool = False
    pc_start: float = 0.5
    pc_decay: float = 0.8
    pc_every: int = 1000
    pc_min: float = 0.01
    # validation and bookkeeping --------------------------------------------------------------
    validation_sizes: list[str] = field(default_factory=lambda: ["15x15", "20x15"])
    validation_per_size: int = 3
    validation_steps: int = 100
    validation_init: str = "mwkr"
    validate_every: int = 20
    checkpoint_every: int = 1
    time_limit_minutes: float | None = None  # stop (and save) after this much training time
    seed: int = 0
    threads: int = 1

    def check(self) -> "TrainConfig":
        if self.algo not in ALGOS:
            raise ValueError(f"algo must be one of {ALGOS}, got {self.algo!r}")
        if self.reward not in REWARDS:
            raise ValueError(f"reward must be one of {REWARDS}, got {self.reward!r}")
        if self.formulation not in ("arc", "node"):
            raise ValueError(f"formulation must be arc or node, got {self.formulation!r}")
        for name in ("iterations", "episodes", "episode_steps", "minibatch", "ppo_epochs"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not self.sizes:
            raise ValueError("give at least one training size")
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown training options: {', '.join(unknown)}")
        return cls(**data).check()

    def dumps(self) -> str:
        return json.dumps(self.to_dict(), indent=2)
