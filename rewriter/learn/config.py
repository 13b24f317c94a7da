"""Every hyperparameter of a training run, in one dataclass that is saved with the run."""

from __future__ import annotations

import json
import math
import os
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from typing import ClassVar

class ConfigBase:
    """What every training config shares; each is a dataclass deriving from this (the
    rewriter's :class:`TrainConfig`, the constructive, the MRT constructive, the controller's and
    the DQN's). :meth:`from_dict` refuses an unknown or ill-typed option with one line naming it,
    :meth:`check` runs the checks every config has (types, time limit, seed) before a subclass's
    own, :meth:`to_dict` is the JSON-able form saved with a run."""

    #: how an error names this config's options ("unknown OPTIONS: ...")
    OPTIONS: ClassVar[str] = "training options"

    @classmethod
    def from_dict(cls, data: dict):
        """A checked config from saved or given values; an unknown name is an InputError."""
        from ..errors import InputError

        if not isinstance(data, dict):
            raise InputError(f"expected an object of {cls.OPTIONS}, got {json.dumps(data)[:60]}")
        data = cls._prepare(dict(data))
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise InputError(f"unknown {cls.OPTIONS}: {', '.join(unknown)}")
        return cls(**data).check()

    @classmethod
    def _prepare(cls, data: dict) -> dict:
        """The values as the fields take them (a subclass's hook; as given here)."""
        return data

    def check(self):
        """Raise an InputError naming the first option of the wrong type or out of range;
        returns the config, numbers as their field's type."""
        from ..seeding import check_seed

        check_field_types(self)
        limit = getattr(self, "time_limit_minutes", None)
        if limit is not None and not (math.isfinite(limit) and limit > 0):
            raise option_error("time_limit_minutes", "a positive number of minutes (or no limit)",
                               limit)
        check_seed(self.seed)
        return self

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def dumps(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


ALGOS = ("ppo", "reinforce")
ENCODERS = ("treelstm", "hgat")
REWARDS = ("best", "step")
DECODINGS = ("argmax", "sample")  # how a learned search picks each rewrite


@dataclass
class TrainConfig(ConfigBase):
    # problem ---------------------------------------------------------------------------------
    problem: str = ""                     # a registered problem's name ("" = the default one)
    problem_options: dict = field(default_factory=dict)  # the problem's own training options
    # the problem's own when left empty (RewriteProblem.training_defaults)
    sizes: list[str] = field(default_factory=list)  # training size classes
    curriculum: bool = False              # start with the first size, add the others over time
    init_rules: list[str] = field(default_factory=list)  # heuristics of the episodes' starts
    # model -----------------------------------------------------------------------------------
    formulation: str = "arc"              # arc (one policy) | node (region + rule policies)
    encoder: str = "treelstm"             # treelstm | hgat (heterogeneous graph attention)
    hidden: int = 32                      # Tree-LSTM state size (hgat: embedding size)
    hgat_machines: int = 8                # hgat: eligibility messages along K fastest machines (0: all)
    mlp_hidden: int = 64
    reverse: bool = True                  # add the successors-to-predecessors pass
    init_model: str = ""                  # start from this model's weights ("" = random init)
    # algorithm -------------------------------------------------------------------------------
    algo: str = "ppo"
    iterations: int = 2000                # rollout + update rounds
    episodes: int = 8                     # parallel episodes per rollout
    episode_steps: int = 64               # rewrite steps per episode (T)
    reward: str = "best"                  # best: decrease of the best cost so far; step: of the cost
    reward_scale: float = 100.0           # rewards in % of the instance's cost scale
    gamma: float = 0.99
    gae_lambda: float = 0.95              # ppo
    lr: float = 5e-4
    ppo_epochs: int = 3
    minibatch: int = 64                   # steps per gradient step
    clip: float = 0.2
    value_coef: float = 0.5
    entropy_coef: float = 0.01
    imitation_coef: float = 0.0           # weight of -log p(expert's choice), where the problem has an expert
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
    validation_sizes: list[str] = field(default_factory=list)  # the problem's own when empty
    validation_per_size: int = 2
    validation_steps: int = 100
    validation_init: str = ""             # the problem's own when empty
    validation_decoding: str = "argmax"   # argmax (one trajectory) | sample, as at inference
    validate_every: int = 20
    checkpoint_every: int = 1
    time_limit_minutes: float | None = None  # stop (and save) after this much training time
    seed: int = 0
    threads: int = 1

    def check(self) -> "TrainConfig":
        """Raise ValueError (an :class:`~rewriter.errors.InputError`) naming the first option
        of the wrong type or out of range; returns the config, numbers as their field's type."""
        super().check()
        self._check_ranges()
        if self.algo not in ALGOS:
            raise ValueError(f"algo must be one of {ALGOS}, got {self.algo!r}")
        if self.reward not in REWARDS:
            raise ValueError(f"reward must be one of {REWARDS}, got {self.reward!r}")
        if self.validation_decoding not in DECODINGS:
            raise ValueError(f"validation_decoding must be one of {DECODINGS}, got "
                             f"{self.validation_decoding!r}")
        if self.formulation not in ("arc", "node"):
            raise ValueError(f"formulation must be arc or node, got {self.formulation!r}")
        if self.encoder not in ENCODERS:
            raise option_error("encoder", f"one of {', '.join(ENCODERS)}", self.encoder)
        if self.encoder == "hgat" and self.hidden % 4:
            raise option_error("hidden", "a multiple of 4 with --encoder hgat (4 attention heads)",
                       self.hidden)
        for name in ("iterations", "episodes", "episode_steps", "minibatch", "ppo_epochs"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("sizes", "init_rules", "validation_sizes", "validation_init"):
            if not getattr(self, name):
                raise ValueError(f"give {name.replace('_', ' ')} (the problem has no default)")
        return self

    def _check_ranges(self) -> None:
        for name, low, high, text in (
                ("gamma", 0.0, 1.0, "in (0, 1]"), ("lr", 0.0, math.inf, "> 0"),
                ("clip", 0.0, math.inf, "> 0"), ("max_grad_norm", 0.0, math.inf, "> 0"),
                ("reward_scale", 0.0, math.inf, "> 0"), ("pc_decay", 0.0, 1.0, "in (0, 1]")):
            value = getattr(self, name)
            if not (math.isfinite(value) and low < value <= high):
                raise option_error(name, f"a number {text}", value)
        for name in ("gae_lambda", "pc_start", "pc_min"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:  # False for nan too
                raise option_error(name, "a number in [0, 1]", value)
        for name in ("value_coef", "entropy_coef", "imitation_coef", "alpha"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise option_error(name, "a number >= 0", value)
        if self.hgat_machines < 0:
            raise option_error("hgat_machines", "an integer >= 0 (0: all eligible machines)",
                               self.hgat_machines)
        for name in ("hidden", "mlp_hidden", "pc_every", "validation_per_size", "validation_steps",
                     "validate_every", "checkpoint_every", "threads"):
            if getattr(self, name) < 1:
                raise option_error(name, "an integer >= 1", getattr(self, name))
        for name in ("hidden", "mlp_hidden"):
            check_width(name, getattr(self, name))
        # threads beyond the cores only slow training down; thousands crash torch (exit 139)
        if self.threads > machine_cores():
            raise option_error("threads", f"an integer from 1 to {machine_cores()} (this machine's "
                               "cores)", self.threads)

    def with_defaults(self, defaults: dict) -> "TrainConfig":
        """This config with its empty fields filled from ``defaults`` (a problem's own)."""
        fill = {k: v for k, v in defaults.items() if hasattr(self, k) and not getattr(self, k)}
        return replace(self, **fill)

    @classmethod
    def from_dict(cls, data: dict, problem_options: tuple[str, ...] = ()) -> "TrainConfig":
        """A config from saved values; ``problem_options`` names the problem's own options, which
        runs saved before they were grouped kept beside the others."""
        data = dict(data) if isinstance(data, dict) else data
        if isinstance(data, dict):
            nested = data.pop("problem_options", None) or {}
            nested = dict(nested) if isinstance(nested, dict) else nested
            for name in problem_options:
                if name in data and isinstance(nested, dict):
                    nested.setdefault(name, data.pop(name))
            data["problem_options"] = nested
        return super().from_dict(data)


#: one line of help per option, shown by ``rewriter train --help``
HELP = {
    "problem": "problem to train on (see `rewriter train --help` for the registered ones)",
    "problem_options": "the problem's own options (their flags are listed below)",
    "sizes": "training size classes, comma separated (job shop: JOBSxMACHINES, e.g. 10x10,15x15)",
    "curriculum": "train on the first size first and add the others as training proceeds",
    "init_rules": "heuristics that build the episodes' initial solutions, one drawn per episode",
    "formulation": "arc: one policy scores every candidate pair; node: NeuRewriter's region "
                   "policy Q(s, w) then a rule policy within the region",
    "encoder": "treelstm: Child-Sum Tree-LSTM over the solution DAG; hgat: heterogeneous graph "
               "attention over operations and machines (jssp, fjsp; docs/design.md)",
    "hidden": "Tree-LSTM state size (hgat: embedding size, a multiple of 4)",
    "hgat_machines": "hgat: eligibility messages only along each operation's K fastest machines "
                     "plus its current one (0: all); the heads and the capacity mask still see "
                     "every eligible machine",
    "mlp_hidden": "hidden width of the scoring MLPs",
    "reverse": "add the reverse Tree-LSTM pass (successors to predecessors)",
    "init_model": "start from the weights of this model file (e.g. another run's model.pt; same "
                  "architecture; a model trained before pair features were appended gets zero "
                  "weights on the new ones) instead of a random initialisation",
    "algo": "ppo (clipped actor-critic) or reinforce (with a learned baseline)",
    "iterations": "rollout + update rounds",
    "episodes": "episodes rolled out side by side per iteration",
    "episode_steps": "rewrite steps per episode",
    "reward": "best: decrease of the best cost found so far; step: decrease of the current cost",
    "reward_scale": "rewards are cost decreases in percent of the instance's scale times this / 100",
    "gamma": "discount factor",
    "gae_lambda": "GAE lambda (ppo)",
    "lr": "Adam learning rate",
    "ppo_epochs": "passes over each rollout (ppo)",
    "minibatch": "steps per gradient step",
    "clip": "PPO clip range",
    "value_coef": "weight of the value loss",
    "entropy_coef": "weight of the entropy bonus",
    "imitation_coef": "weight of an imitation term, -log p(the problem's expert rewrite), on the "
                      "states the policy visits (job shop: tabu-style steepest move, ties broken by "
                      "pressure); 0 = pure RL",
    "alpha": "reinforce, node formulation: loss = region loss + alpha x rule loss",
    "max_grad_norm": "gradient norm clip",
    "negative_q_resample": "reinforce, node: re-sample a region with Q < 0 with probability 1 - p_c",
    "pc_start": "initial p_c",
    "pc_decay": "p_c is multiplied by this every pc_every training steps",
    "pc_every": "steps between p_c decays",
    "pc_min": "smallest p_c",
    "validation_sizes": "size classes of the fixed validation set",
    "validation_per_size": "validation instances per size class",
    "validation_steps": "rewrite steps per validation instance",
    "validation_init": "heuristic that builds the validation starting solutions",
    "validation_decoding": "how validation searches choose rewrites: argmax (the job-shop "
                           "default at inference) or sample; best.pt is the best validated policy",
    "validate_every": "iterations between validations",
    "checkpoint_every": "iterations between checkpoints",
    "time_limit_minutes": "stop training (and save everything) after this many minutes",
    "seed": "seed of everything random in the run",
    "threads": "torch threads",
}


#: the widest layer a training run may ask for: 32 times the defaults, and the weights grow with
#: its square (100,000,000 asked torch for 160 PB)
MAX_WIDTH = 1024
#: the most stacked layers (attention blocks, message-passing rounds) of a model
MAX_DEPTH = 64


def check_width(name: str, value: int, most: int = MAX_WIDTH) -> None:
    """An InputError naming option ``name`` unless ``value`` is at most ``most``."""
    if value > most:
        raise option_error(name, f"an integer >= 1, at most {most}", value)


def machine_cores() -> int:
    """The most ``threads`` a run may use here: the machine's cores."""
    return os.cpu_count() or 1


def check_field_types(config) -> None:
    """Check every field of the dataclass ``config`` against the type of its default (an
    InputError naming the option otherwise; a tuple: of its first item's type); numbers become
    their field's type. An optional
    ``time_limit_minutes`` (None or a number) is the one field whose default says nothing."""
    def setattr(obj, name, value):  # a frozen config's numbers become their type too
        object.__setattr__(obj, name, value)

    for f in fields(config):
        value, default = getattr(config, f.name), _default(f)
        if f.name == "time_limit_minutes":
            if value is not None and not _is_number(value):
                raise option_error(f.name, "a number of minutes (or null for no limit)", value)
            if value is not None:
                setattr(config, f.name, float(value))
        elif isinstance(default, tuple) and default and isinstance(default[0], int):
            if not isinstance(value, tuple) or not all(
                    isinstance(v, int) and not isinstance(v, bool) for v in value):
                raise option_error(f.name, "a list of integers (e.g. [100, 101])", value)
        elif isinstance(default, tuple):
            if not isinstance(value, tuple) or not all(isinstance(v, str) and v for v in value):
                raise option_error(f.name, "a list of names (e.g. [\"50x10\"])", value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise option_error(f.name, "true or false", value)
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise option_error(f.name, "an integer", value)
        elif isinstance(default, float):
            if not _is_number(value):
                raise option_error(f.name, "a number", value)
            setattr(config, f.name, float(value))
        elif isinstance(default, str):
            if not isinstance(value, str):
                raise option_error(f.name, "a string", value)
        elif isinstance(default, list):
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise option_error(f.name, "a list of names (e.g. [\"10x10\", \"15x15\"])", value)
        elif isinstance(default, dict):
            if not isinstance(value, dict):
                raise option_error(f.name, "an object", value)


def _default(f):
    return f.default_factory() if f.default is MISSING else f.default


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def option_error(name: str, expected: str, value):
    from ..errors import InputError

    shown = json.dumps(value) if isinstance(value, (str, list, tuple, dict)) else value
    error = InputError(f"{name} (--{name.replace('_', '-')}): expected {expected}, got {shown}")
    error.option = name  # the command line says where the value came from
    return error


def defaults() -> dict:
    """Each option's default value."""
    return {f.name: _default(f) for f in fields(TrainConfig)}
