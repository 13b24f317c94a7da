"""Shipped policies: ``PROBLEM.pt`` and its card ``PROBLEM.json``, one per problem that ships one,
and ``fjsp_dqn.pt`` + ``fjsp_dqn.json``, the flexible shop's DQN dispatcher
(:mod:`rewriter.learn.dqn.model` loads it).

``default_model_path(problem)`` finds them through importlib.resources, so they work from an
installed wheel as well as from a source checkout.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import InputError


def default_model_path(problem: str) -> Path:
    path = Path(str(resources.files(__name__).joinpath(f"{problem}.pt")))
    if not path.is_file():
        raise InputError(f"no shipped model for {problem} in {path.parent}; train one with "
                         f"`rewriter train --problem {problem}` and pass --model PATH")
    return path


@lru_cache(maxsize=8)
def _load(path: str):
    from ..learn.checkpoint import load_model
    return load_model(path)


def load_policy(model: str | Path | None, problem: str):
    """(policy, metadata) for ``model`` (a path, or None / "default" for the shipped one)."""
    path = default_model_path(problem) if model in (None, "default") else Path(model)
    policy, meta = _load(str(Path(path).resolve()))
    if meta["problem"] != problem:
        raise InputError(f"{path}: this model was trained for {meta['problem']}, not {problem}")
    return policy, meta
