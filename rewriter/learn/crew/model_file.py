"""The crew network's model file (kind ``rewriter-crew-1`` of
:data:`rewriter.learn.checkpoint.MODEL_KINDS`): weights, the architecture and a card beside it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ...errors import InputError
from ...version import __version__
from ..checkpoint import model_path, read_card, read_model_blob, save_model_file, shipped_model
from .model import CrewNet, NetConfig

__all__ = ["FORMAT", "KIND", "SHIPPED", "save_crew_model", "load_crew_model", "resolve_crew_model"]

FORMAT = "rewriter-crew-1"
KIND = "crew"
SHIPPED = "crew.pt"


def save_crew_model(path, net: CrewNet, card: dict | None = None) -> Path:
    return save_model_file(path, {"format": FORMAT, "problem": "crew", "version": __version__,
                                  "model_config": net.config.to_dict(),
                                  "state_dict": net.state_dict()}, card)


def load_crew_model(path) -> tuple[CrewNet, dict | None]:
    """(the network in eval mode, its card or None); any other file is one InputError."""
    path = Path(path)
    blob = read_model_blob(path, KIND)
    values = blob.get("model_config")
    names = {f.name for f in dataclasses.fields(NetConfig)}
    if blob.get("problem") != "crew" or not isinstance(values, dict) or set(values) != names \
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                       for v in values.values()):
        raise InputError(f"{path}: not a valid crew model file (its problem or architecture, "
                         f"model_config with {', '.join(sorted(names))}, is missing or wrong)")
    try:
        net = CrewNet(NetConfig(**values))
        net.load_state_dict(blob.get("state_dict") or {})
    except (RuntimeError, ValueError, TypeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: not a valid crew model file: its weights do not fit the "
                         f"architecture it names ({reason[:120]})") from None
    net.eval()
    return net, read_card(path.with_suffix(".json"))


def resolve_crew_model(model=None) -> tuple[CrewNet, dict | None]:
    """The network of ``model`` (a path; None or "default": the shipped ``crew.pt``)."""
    path = model_path(model, lambda: shipped_model(SHIPPED, "crew network",
                                                   "python -m rewriter.learn.crew.train"))
    return load_crew_model(path)
