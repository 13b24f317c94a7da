"""Building MRT schedules with a trained constructive policy, without training.

``samples=1`` decodes greedily (deterministic); ``samples=K > 1`` plays K sampled episodes side by
side and keeps the one of the lowest average slowdown. The schedule goes through the package's
validator (:func:`rewriter.mrt.solve.make_result`).
"""

from __future__ import annotations

import time

import numpy as np

from ....envs.mrt_dispatch import MrtDispatchEnv
from ....errors import InputError
from ....mrt.instance import MrtInstance
from ...checkpoint import model_path
from ..policy import ConstructPolicy
from .rollout import Episode, play


def shipped_name(resources: int) -> str:
    """The file name a shipped constructive MRT model for D = ``resources`` would have."""
    return f"mrt_construct_d{resources}.pt"


def decode_episodes(instance: MrtInstance, policy: ConstructPolicy, window: int, samples: int = 1,
                    seed: int = 0) -> list[Episode]:
    """The episode of greedy decoding (``samples=1``) or the ``samples`` sampled ones."""
    if samples < 1:
        raise InputError(f"samples must be >= 1, got {samples}")
    envs = [MrtDispatchEnv(resources=instance.resources, window=window) for _ in range(samples)]
    rng = None if samples == 1 else np.random.default_rng(seed)
    return play(policy, envs, [instance] * samples, rng)


def load_mrt_model(model, resources: int) -> tuple[ConstructPolicy, dict]:
    """(policy, metadata) of a constructive MRT model for D = ``resources``: the file ``model``,
    or the shipped one for that D; a model trained for another D is an InputError."""
    from ..model_file import construct_model, shipped_model_path

    path = model_path(model, lambda: shipped_model_path(shipped_name(resources)))
    policy, meta = construct_model(path, problem="mrt")
    trained = meta["env"].get("resources")
    if trained != resources:
        raise InputError(f"{path}: a constructive model for D = {trained}; the instance has "
                         f"D = {resources} (DeepRM's models, and these, are trained per D)")
    return policy, meta


def construct_mrt(instance: MrtInstance, *, model=None, samples: int = 1, seed: int = 0):
    """A validated :class:`~rewriter.core.result.Result`: the constructive model ``model`` (a
    path, or None for the shipped one of the instance's D) decoded greedily, or the best of
    ``samples`` samples."""
    from ....mrt.solve import make_result

    policy, meta = load_mrt_model(model, instance.resources)
    t0 = time.perf_counter()
    episodes = decode_episodes(instance, policy, meta["env"]["window"], samples, seed)
    best = min(episodes, key=lambda e: e.average_slowdown)
    runtime = time.perf_counter() - t0
    info = {"model": meta.get("card", {}).get("name", str(model or "default")),
            "samples": samples, "decoding": "greedy" if samples == 1 else "sampled"}
    return make_result(instance, best.schedule, "construct", "construct", best.average_slowdown,
                       samples, seed, runtime, "completed",
                       [(samples, round(runtime, 4), best.average_slowdown)], info)
