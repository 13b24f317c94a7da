"""Shipped policies: ``PROBLEM.pt`` and its card ``PROBLEM.json``, one per problem that ships one,
and ``fjsp_dqn_<n>x<m>.pt`` + ``.json``, the flexible shop's DQN dispatchers, one per training
size (:mod:`rewriter.learn.dqn.model` loads them).

``default_model_path(problem)`` finds a problem's through
:func:`rewriter.learn.checkpoint.shipped_model` (importlib.resources, so they work from an
installed wheel as well as from a source checkout), as every learner finds its own.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..errors import InputError
from ..learn.checkpoint import load_model, model_path, shipped_model


def default_model_path(problem: str) -> Path:
    """The rewriting policy shipped for ``problem`` (:func:`~rewriter.learn.checkpoint.shipped_model`
    finds every shipped model)."""
    return shipped_model(f"{problem}.pt", "rewriting policy",
                         f"rewriter train --problem {problem}")


@lru_cache(maxsize=8)
def _load(path: str):
    return load_model(path)


def load_policy(model: str | Path | None, problem: str):
    """(policy, metadata) for ``model`` (a path, or None / "default" for the shipped one)."""
    path = model_path(model, lambda: default_model_path(problem))
    policy, meta = _load(str(Path(path).resolve()))
    if meta["problem"] != problem:
        raise InputError(f"{path}: this model was trained for {meta['problem']}, not {problem}")
    return policy, meta
