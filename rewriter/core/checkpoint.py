"""Saving and loading trained policies: a small ``.pt`` file and a JSON card beside it."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import torch

from ..version import __version__
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


def torch_load_safe(path, what: str) -> object:
    """Load a torch file without running code from it.

    ``weights_only=True`` only rebuilds tensors and plain containers: a file someone hands over
    (a model, a run directory to resume) cannot execute a pickled payload. Anything that fails to
    load, a payload included, is one :class:`InputError` naming the file and what was expected.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a directory; expected a {what}")
    if not path.is_file():
        raise InputError(f"{path}: {what} not found")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for a corrupt or unsafe file
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        if "Weights only load failed" in reason or "weights_only" in str(exc):
            reason = "it holds objects other than tensors and plain data, which are never loaded"
        raise InputError(f"{path}: not a valid {what} ({reason})") from None


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
    blob = torch_load_safe(path, "rewriter model file")
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
