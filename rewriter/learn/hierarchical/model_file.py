"""Saving and loading a hierarchical policy: ``NAME.pt`` (weights, architecture, the env setting it
was trained with; loaded weights-only) and its card ``NAME.json``. The shipped one is
``rewriter/models/fjsp_hierarchical.pt``."""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from pathlib import Path

import torch

from ..checkpoint import model_path, read_card, read_model_blob, save_model_file, shipped_model
from ...errors import InputError
from ...version import __version__
from .policy import HierarchicalPolicy, PolicyConfig

FORMAT = "rewriter-fjsp-hierarchical-1"
SHIPPED = "fjsp_hierarchical.pt"
TRAIN_WITH = "rewriter train --approach hierarchical"


def save_hierarchical(path, policy: HierarchicalPolicy, card: dict | None = None,
                      jobs: str = "active") -> Path:
    """Write the policy to ``path`` and, when given, its card beside it (``.json``)."""
    return save_model_file(path, {"format": FORMAT, "version": __version__, "jobs": jobs,
                                  "policy_config": policy.config.to_dict(),
                                  "state_dict": policy.state_dict()}, card)


def load_hierarchical(path) -> tuple[HierarchicalPolicy, dict]:
    """(policy in eval mode, metadata: jobs, version, path, card); any other file is one
    :class:`InputError` naming it (and what it holds, if it is another model of the package)."""
    path = Path(path)
    blob = read_model_blob(path, "hierarchical")  # any other file: one error naming its kind
    names = {f.name for f in dataclasses.fields(PolicyConfig)}
    values = blob.get("policy_config")
    if not isinstance(values, dict) or set(values) != names or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values.values()):
        raise InputError(f"{path}: not a valid hierarchical policy model (its policy_config must "
                         f"name {', '.join(sorted(names))} as positive integers)")
    if blob.get("jobs") not in ("active", "all"):
        raise InputError(f"{path}: not a valid hierarchical policy model (jobs must be active "
                         f"or all, got {blob.get('jobs')!r})")
    policy = HierarchicalPolicy(PolicyConfig(**values))
    weights = blob.get("state_dict")
    if not isinstance(weights, dict) or not all(isinstance(v, torch.Tensor) for v in weights.values()):
        raise InputError(f"{path}: not a valid hierarchical policy model (its weights are missing)")
    try:
        policy.load_state_dict(weights)
    except RuntimeError:
        raise InputError(f"{path}: not a valid hierarchical policy model (its weights do not fit "
                         "the architecture it names)") from None
    policy.eval()
    meta = {"jobs": blob["jobs"], "version": blob.get("version"), "path": str(path),
            "card": read_card(path.with_suffix(".json")) or {}}
    return policy, meta


def shipped_path() -> Path:
    """The shipped model's path (an :class:`InputError` naming how to train one if missing)."""
    return shipped_model(SHIPPED, "hierarchical policy", TRAIN_WITH)


@lru_cache(maxsize=4)
def _cached(path: str) -> tuple[HierarchicalPolicy, dict]:
    return load_hierarchical(path)


def resolve_hierarchical(model=None) -> tuple[HierarchicalPolicy, dict]:
    """(policy, metadata) for ``model``: a path, or None / ``"default"`` for the shipped one;
    each file is read once per process."""
    path = model_path(model, shipped_path)
    return _cached(str(Path(path).resolve()))
