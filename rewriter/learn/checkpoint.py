"""Saving and loading trained policies: a small ``.pt`` file and a JSON card beside it."""

from __future__ import annotations

import io
import json
import pickle
import subprocess
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import torch

from ..version import __version__
from ..atomic import write_atomic
from ..errors import InputError
from .policy import ModelConfig, RewritePolicy

FORMAT = "rewriter-policy-1"

#: every model file this package writes, by format: the kind of model it holds and what uses it
#: (a file of one kind handed to the other is one error naming both)
MODEL_KINDS = {
    FORMAT: ("rewrite", "a learned rewriting policy (for --policy learned and the rewriter "
                        "method)"),
    "rewriter-construct-1": ("construct", "a learned constructive scheduler (for --policy "
                                          "construct, --init construct and the construct method)"),
    "rewriter-control-1": ("control", "a learned controller of tabu search (for --policy "
                                      "controlled --controller learned)"),
    "rewriter-regions-1": ("regions", "a learned region picker of large-neighbourhood "
                                      "rewriting (for --policy lns --selector learned)"),
    "rewriter-crew-1": ("crew", "a crew network (orders onto operators: for the crew "
                                "problem's --init network)"),
    "rewriter-fjsp-hierarchical-1": ("hierarchical", "a hierarchical job -> machine policy of "
                                                     "the flexible shop (for --init "
                                                     "hierarchical)"),
}


#: the package the shipped model files are in, found through importlib.resources (so from an
#: installed wheel as from a source checkout)
SHIPPED_PACKAGE = "rewriter.models"


def shipped_model(name: str, kind: str = "model", train_with: str = "rewriter train") -> Path:
    """The model file ``name`` shipped in ``rewriter/models/`` (``jssp.pt``, ``fjsp_dqn_50x10.pt``,
    ``jssp_control.pt``, ...); when it is missing, an :class:`InputError` naming the ``kind`` of
    model and the command ``train_with`` that trains one. Every shipped model is found here."""
    path = Path(str(resources.files(SHIPPED_PACKAGE).joinpath(name)))
    if not path.is_file():
        raise InputError(f"no shipped {kind} {name} in {path.parent}; train one with "
                         f"`{train_with}` and pass its model.pt (--model PATH)")
    return path


def model_path(model, shipped: Callable[[], Path]) -> Path:
    """The model file ``model`` names: a path, or None / ``"default"`` for the shipped one,
    ``shipped()`` (asked only then: a missing shipped file is no error when a path is given)."""
    return shipped() if model in (None, "default") else Path(model)


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
        else:
            try:
                with open(path, "rb") as fh:
                    head = fh.read(4)
            except OSError:
                head = b""
            if not head:
                reason = "the file is empty"
            elif not head.startswith(b"PK\x03\x04") and not head.startswith(b"\x80"):
                reason = "not a file written by torch.save"
            elif isinstance(exc, (KeyError, EOFError, pickle.UnpicklingError)) or "zip" in reason:
                reason = "a torch file that is cut short or damaged"
        raise InputError(f"{path}: not a valid {what} ({reason})") from None


def save_model(path, model: RewritePolicy, problem: str, options: dict, card: dict | None = None) -> Path:
    """Write the policy to ``path`` and, when given, its card to ``path`` with ``.json``."""
    return save_model_file(path, {"format": FORMAT, "problem": problem, "options": options,
                                   "model_config": model.config.to_dict(), "version": __version__,
                                   "state_dict": model.state_dict()}, card)


def save_model_file(path, blob: dict, card: dict | None = None) -> Path:
    """Write a model's ``blob`` (weights and what rebuilds it) to ``path`` atomically and, when
    given, its card beside it (``path`` with ``.json``); every kind of model file goes this way."""
    path = Path(path)
    torch_save_atomic(blob, path)
    if card is not None:
        write_atomic(path.with_suffix(".json"), json.dumps(card, indent=2) + "\n")
    return path


def load_model(path) -> tuple[RewritePolicy, dict]:
    """(policy in eval mode, metadata: problem, options, version, card if present).

    Anything but a model file written by :func:`save_model` (another torch file, weights of
    another architecture, a text file) is one :class:`InputError` naming the file. A card
    (``.json`` beside it) that cannot be read is warned about once and left out: it describes
    the model, the model does not need it."""
    path = Path(path)
    what = "rewriter model file"
    blob = read_model_blob(path, "rewrite")
    problem, options = blob.get("problem"), blob.get("options", {})
    if not isinstance(problem, str) or not isinstance(options, dict):
        raise InputError(f"{path}: not a valid {what} (its problem or options are missing)")
    model = RewritePolicy(_model_config(path, blob.get("model_config")))
    weights = blob.get("state_dict")
    if not isinstance(weights, dict) or not all(isinstance(v, torch.Tensor) for v in weights.values()):
        raise InputError(f"{path}: not a valid {what} (its weights are missing)")
    try:
        model.load_state_dict(weights)
    except RuntimeError:
        expected = model.state_dict()
        missing = sorted(set(expected) - set(weights))
        unexpected = sorted(set(weights) - set(expected))
        shaped = sorted(k for k in set(expected) & set(weights)
                        if tuple(expected[k].shape) != tuple(weights[k].shape))
        details = ", ".join(f"{len(keys)} {label}" for keys, label in (
            (missing, "missing"), (unexpected, "unexpected"), (shaped, "of another shape"))
            if keys)
        raise InputError(f"{path}: not a valid {what}: its weights do not fit the architecture "
                         f"it names (tensors: {details})") from None
    model.eval()
    meta = {"problem": problem, "options": options, "version": blob.get("version")}
    card = read_card(path.with_suffix(".json"))
    if card is not None:
        meta["card"] = card
    return model, meta


def read_model_blob(path, kind: str) -> dict:
    """The contents of a model file of ``kind`` (a kind of :data:`MODEL_KINDS`), loaded without
    running code; a file of another kind, or no model file at all, is one :class:`InputError`."""
    path = Path(path)
    blob = torch_load_safe(path, "rewriter model file")
    found = _kind_entry(blob)
    if found is None:
        raise InputError(f"{path}: not a rewriter model file (expected format "
                         f"{' or '.join(MODEL_KINDS)}, as `rewriter train` writes it)")
    if found[0] != kind:
        wanted = next(use for k, use in MODEL_KINDS.values() if k == kind)
        raise InputError(f"{path}: this file holds {found[1]}; expected {wanted}")
    return blob


def model_kind(path) -> str | None:
    """The kind (:data:`MODEL_KINDS`) of the model file at ``path``; None for a torch file that
    is no model file of this package. A file torch cannot read is one :class:`InputError`."""
    found = _kind_entry(torch_load_safe(Path(path), "rewriter model file"))
    return None if found is None else found[0]


def _kind_entry(blob) -> tuple[str, str] | None:
    """The :data:`MODEL_KINDS` entry of a loaded model file's contents; None for anything else."""
    return MODEL_KINDS.get(blob.get("format")) if isinstance(blob, dict) else None


def _model_config(path: Path, values) -> ModelConfig:
    """The architecture a model file names, every field checked."""
    import dataclasses

    from .policy import ENCODERS, FORMULATIONS

    names = {f.name for f in dataclasses.fields(ModelConfig)}
    if not isinstance(values, dict) or not {"node_features", "pair_features"} <= set(values) \
            or not set(values) <= names:
        raise InputError(f"{path}: not a valid rewriter model file (its architecture, "
                         f"model_config, must name {', '.join(sorted(names))})")
    config = ModelConfig(**values)
    for name in ("node_features", "pair_features", "hidden", "mlp_hidden", "layers", "heads"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{path}: not a valid rewriter model file (model_config {name} "
                             f"must be a positive integer, found {value!r})")
    k = config.hgat_machines
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise InputError(f"{path}: not a valid rewriter model file (model_config hgat_machines "
                         f"must be an integer >= 0, found {k!r})")
    if not isinstance(config.reverse, bool) or config.formulation not in FORMULATIONS:
        raise InputError(f"{path}: not a valid rewriter model file (model_config reverse or "
                         f"formulation is {config.reverse!r}, {config.formulation!r})")
    if config.encoder not in ENCODERS or config.hidden % config.heads:
        raise InputError(f"{path}: not a valid rewriter model file (model_config encoder "
                         f"{config.encoder!r} is not one of {', '.join(ENCODERS)}, or hidden "
                         f"{config.hidden} is not a multiple of heads {config.heads})")
    return config


def read_card(path: Path) -> dict | None:
    """A model card, or None when there is none; an unreadable one is a warning, not an error."""
    import warnings

    from ..errors import InputError
    from ..textfile import read_json

    if not path.is_file():
        return None
    try:
        card = read_json(path, "a model card (JSON)")
    except InputError as exc:  # unreadable, not UTF-8, invalid JSON, too deep, a huge integer
        reason = "invalid JSON" if exc.reason.startswith("invalid JSON") else exc.reason.split(";")[0]
        reason += f" at line {exc.line}" if exc.line is not None else ""
        card = None
    else:
        reason = None if isinstance(card, dict) else f"a JSON {type(card).__name__}, not an object"
    if reason is not None:
        warnings.warn(f"{path}: the model card cannot be read ({reason}); the model is loaded "
                      "without it", stacklevel=2)
        return None
    return card


def check_resume_options(given: dict, may_change: tuple[str, ...]) -> None:
    """Refuse, in one :class:`InputError` naming them, the options ``given`` on a ``--resume``
    other than ``may_change`` (a resumed run continues its saved config)."""
    from ..errors import InputError

    extra = sorted(set(given) - set(may_change))
    if extra:
        raise InputError("--resume continues the saved config; cannot change "
                         + ", ".join("--" + n.replace("_", "-") for n in extra))
