"""Constructive model files: ``.pt`` weights of kind ``construct`` and a JSON card beside them.

The file records its kind (:data:`rewriter.learn.checkpoint.MODEL_KINDS`), so a rewriting policy
handed over as a constructive one, or the reverse, is one error naming both kinds. Loading never
runs code from the file (weights-only). The shipped model is ``rewriter/models/jssp_construct.pt``.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from pathlib import Path

import torch

from ..checkpoint import model_path, read_card, read_model_blob, save_model_file, shipped_model
from ...errors import InputError
from ...version import __version__
from .networks import NETWORKS, network_of, policy_types

FORMAT = "rewriter-construct-1"
SHIPPED = "jssp_construct.pt"
SHIPPED_GRAPH = "jssp_construct_graph.pt"  # --network graph, the construct-graph method


def save_construct_model(path, policy, card: dict | None = None, *,
                         problem: str = "jssp", env: dict | None = None) -> Path:
    """Write the policy to ``path`` and, when given, its card to ``path`` with ``.json``.
    ``env``: the environment settings the policy's inputs depend on (MRT: resources, window)."""
    return save_model_file(path, {"format": FORMAT, "kind": "construct", "problem": problem,
                                  "network": network_of(policy),
                                  "env": env or {}, "policy_config": policy.config.to_dict(),
                                  "version": __version__, "state_dict": policy.state_dict()}, card)


def load_construct_model(path) -> tuple:
    """(policy in eval mode, metadata: problem, network, env settings, version, path and the
    card if there is one; files written before MRT's say nothing of the problem: jssp, and
    before the graph network nothing of the network: jobs). Anything but a constructive model
    file is one :class:`InputError` naming the file."""
    path = Path(path)
    blob = read_model_blob(path, "construct")
    network = blob.get("network", "jobs")
    if network not in NETWORKS:
        raise InputError(f"{path}: not a valid constructive model file (network {network!r}; "
                         f"expected {' or '.join(NETWORKS)})")
    config_type, policy_type = policy_types(network)
    names = {f.name for f in dataclasses.fields(config_type)}
    values = blob.get("policy_config")
    if not isinstance(values, dict) or set(values) != names or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= (0 if k == "layers" else 1)
            for k, v in values.items()):
        raise InputError(f"{path}: not a valid constructive model file (its policy_config must "
                         f"give {', '.join(sorted(names))} as integers, layers >= 0 and the "
                         f"others >= 1)")
    policy = policy_type(config_type(**values))
    weights = blob.get("state_dict")
    if not isinstance(weights, dict) or not all(isinstance(v, torch.Tensor)
                                                for v in weights.values()):
        raise InputError(f"{path}: not a valid constructive model file (its weights are missing)")
    try:
        policy.load_state_dict(weights)
    except RuntimeError:
        raise InputError(f"{path}: not a valid constructive model file: its weights do not fit "
                         f"the architecture it names") from None
    policy.eval()
    meta = {"problem": blob.get("problem", "jssp"), "network": network,
            "env": blob.get("env") or {},
            "version": blob.get("version"), "path": str(path)}
    card = read_card(path.with_suffix(".json"))
    if card is not None:
        meta["card"] = card
    return policy, meta


def shipped_model_path(name: str = SHIPPED) -> Path:
    """The constructive model ``name`` shipped with the package (default: the job shop's)."""
    return shipped_model(name, "constructive model", "rewriter train --approach construct")


def construct_model(model: str | Path | None = None,
                    problem: str = "jssp") -> tuple:
    """(policy, metadata) for ``model``: a path, or None / "default" for the shipped one; each
    file is read once per process. A model of another problem is an InputError."""
    path = model_path(model, shipped_model_path)
    policy, meta = _cached(str(path.resolve()))
    if meta["problem"] != problem:
        raise InputError(f"{path}: a constructive model for {meta['problem']}, not {problem}")
    return policy, meta


@lru_cache(maxsize=8)
def _cached(path: str) -> tuple:
    return load_construct_model(path)
