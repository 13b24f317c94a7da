"""Saving and loading trained policies: a small ``.pt`` file and a JSON card beside it."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import torch

from .. import __version__
from ..atomic import write_atomic
from ..errors import InputError
from .policy import ModelConfig, RewritePolicy

FORMAT = "rewriter-policy-1"


def git_commit() -> str:
    """The commit of the source tree this package runs from ("unknown" outside a git clone)."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                                text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not commit:
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def torch_save_atomic(obj, path) -> Path:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return write_atomic(path, buffer.getvalue())


def save_model(path, model: RewritePolicy, problem: str, options: dict, card: dict | None = None) -> Path:
    """Write the policy to ``path`` and, when given, its card to ``path`` with ``.json``."""
    path = Path(path)
    torch_save_atomic({"format": FORMAT, "problem": problem, "options": options,
                       "model_config": model.config.to_dict(), "version": __version__,
                       "state_dict": model.state_dict()}, path)
    if card is not None:
        write_atomic(path.with_suffix(".json"), json.dumps(card, indent=2) + "\n")
    return path


def load_model(path) -> tuple[RewritePolicy, dict]:
    """(policy in eval mode, metadata: problem, options, version, card if present)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: model file not found")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for a corrupt file
        raise InputError(f"{path}: not a rewriter model file ({exc.__class__.__name__})") from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise InputError(f"{path}: not a rewriter model file (expected format {FORMAT})")
    model = RewritePolicy(ModelConfig(**blob["model_config"]))
    model.load_state_dict(blob["state_dict"])
    model.eval()
    meta = {k: blob[k] for k in ("problem", "options", "version")}
    card_path = path.with_suffix(".json")
    if card_path.is_file():
        meta["card"] = json.loads(card_path.read_text())
    return model, meta
