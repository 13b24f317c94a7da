"""Saving and loading a DQN dispatcher: ``NAME.pt`` (weights and architecture, loaded weights-only)
and its card ``NAME.json``. The shipped one is ``rewriter/models/fjsp_dqn.pt``."""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from pathlib import Path

from ..checkpoint import model_path, read_card, save_model_file, shipped_model, torch_load_safe
from ...errors import InputError
from ...version import __version__
from .network import NetConfig, QNetwork

FORMAT = "rewriter-fjsp-dqn-1"
SHIPPED = "fjsp_dqn"  # rewriter/models/fjsp_dqn.pt


def save_dqn(path, net: QNetwork, card: dict | None = None) -> Path:
    """Write the network to ``path`` and, when given, its card beside it (``.json``)."""
    return save_model_file(path, {"format": FORMAT, "version": __version__,
                                  "net_config": dataclasses.asdict(net.config),
                                  "state_dict": net.state_dict()}, card)


def load_dqn(path) -> tuple[QNetwork, dict]:
    """(network in eval mode, its card or {}); any other file is one :class:`InputError`."""
    path = Path(path)
    blob = torch_load_safe(path, "DQN dispatcher model")
    kind = blob.get("format") if isinstance(blob, dict) else None
    if kind != FORMAT:
        what = ("a rewrite policy written by `rewriter train`" if kind == "rewriter-policy-1"
                else f"a file of format {kind!r}" if kind else "no rewriter model")
        raise InputError(f"{path}: not a DQN dispatcher model ({what}; expected format {FORMAT}, "
                         "as `rewriter train --approach dqn` writes it)")
    names = {f.name for f in dataclasses.fields(NetConfig)}
    values = blob.get("net_config")
    if not isinstance(values, dict) or set(values) != names or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values.values()):
        raise InputError(f"{path}: not a valid DQN dispatcher model (its architecture must name "
                         f"{', '.join(sorted(names))} as positive integers)")
    net = QNetwork(NetConfig(**values))
    try:
        net.load_state_dict(blob.get("state_dict"))
    except (RuntimeError, TypeError, AttributeError):
        raise InputError(f"{path}: not a valid DQN dispatcher model (its weights do not fit the "
                         "architecture it names)") from None
    net.eval()
    return net, read_card(path.with_suffix(".json")) or {}


def shipped_path() -> Path:
    """The shipped model's path (an :class:`InputError` if it is missing)."""
    return shipped_model(SHIPPED + ".pt", "DQN dispatcher", "rewriter train --approach dqn")


@lru_cache(maxsize=4)
def _cached(path: str) -> tuple[QNetwork, dict]:
    return load_dqn(path)


def resolve_dqn(model=None) -> tuple[QNetwork, dict]:
    """The network for ``model``: a path, or None / ``"default"`` for the shipped one (cached)."""
    path = model_path(model, shipped_path)
    return _cached(str(Path(path).resolve()))
