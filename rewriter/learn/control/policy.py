"""The learned controller's network and its model file.

A small actor-critic MLP over the observation (:mod:`.observe`). Its ``forward`` has the
signature of :class:`rewriter.learn.construct.policy.ConstructPolicy` (features, validity, action
mask -> log-probabilities, values), so the constructive scheduler's PPO update
(:func:`rewriter.learn.construct.ppo.ppo_update`) trains it unchanged; the validity argument has no
meaning here (one observation is one row) and is ignored.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from ..checkpoint import read_card, read_model_blob, save_model_file, shipped_model
from ...errors import InputError
from ...version import __version__
from .observe import FEATURES
from .search import ACTIONS

FORMAT = "rewriter-control-1"


@dataclass(frozen=True)
class ControlPolicyConfig:
    features: int = len(FEATURES)
    actions: int = len(ACTIONS)
    hidden: int = 64


class ControlPolicy(nn.Module):
    def __init__(self, config: ControlPolicyConfig = ControlPolicyConfig()):
        super().__init__()
        self.config = config
        h = config.hidden
        self.body = nn.Sequential(nn.Linear(config.features, h), nn.Tanh(), nn.Linear(h, h),
                                  nn.Tanh())
        self.actor = nn.Linear(h, config.actions)
        self.critic = nn.Linear(h, 1)

    def forward(self, obs: torch.Tensor, valid, mask: torch.Tensor):
        """(B, F) observations, ignored, (B, A) legal actions -> ((B, A) log-probabilities,
        (B,) values)."""
        h = self.body(obs)
        logits = self.actor(h).masked_fill(~mask, -torch.inf)
        return torch.log_softmax(logits, -1), self.critic(h).squeeze(-1)


def save_control_model(path, policy: ControlPolicy, card: dict | None = None) -> Path:
    return save_model_file(path, {"format": FORMAT, "kind": "control", "problem": "jssp",
                                  "policy_config": asdict(policy.config), "version": __version__,
                                  "state_dict": policy.state_dict()}, card)


def shipped_control_path() -> Path:
    """The shipped controller, ``rewriter/models/jssp_control.pt``."""
    return shipped_model("jssp_control.pt", "controller", "rewriter train --approach control")


def load_control_model(path) -> tuple[ControlPolicy, dict]:
    """(policy in eval mode, metadata); anything but a controller model file is one InputError."""
    path = Path(path)
    blob = read_model_blob(path, "control")
    values = blob.get("policy_config")
    names = {f.name for f in dataclasses.fields(ControlPolicyConfig)}
    if not isinstance(values, dict) or set(values) != names:
        raise InputError(f"{path}: not a valid controller model file (policy_config)")
    config = ControlPolicyConfig(**values)
    if (config.features, config.actions) != (len(FEATURES), len(ACTIONS)):
        raise InputError(f"{path}: a controller of {config.features} features and "
                         f"{config.actions} actions; this version has {len(FEATURES)} and "
                         f"{len(ACTIONS)}")
    policy = ControlPolicy(config)
    try:
        policy.load_state_dict(blob.get("state_dict"))
    except (RuntimeError, TypeError, AttributeError):
        raise InputError(f"{path}: not a valid controller model file (weights)") from None
    policy.eval()
    return policy, {"path": str(path), "card": read_card(path.with_suffix(".json"))}
