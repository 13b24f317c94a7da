"""Saving and loading a DQN dispatcher: ``NAME.pt`` (weights and architecture, loaded weights-only)
and its card ``NAME.json``. One model is shipped per training size for the makespan,
``rewriter/models/fjsp_dqn_<n>x<m>.pt`` (:data:`SHIPPED_SIZES`), and for tight due dates
``fjsp_dqn_tardiness_<n>x<m>.pt`` (:data:`TARDINESS_SIZES`, trained on makespan + total weighted
tardiness); an instance gets the one of its objective whose size is nearest its own
(:func:`nearest_size`)."""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache
from pathlib import Path

from ..checkpoint import model_path, read_card, save_model_file, shipped_model, torch_load_safe
from ...errors import InputError
from ...version import __version__
from .network import NetConfig, QNetwork

FORMAT = "rewriter-fjsp-dqn-1"
SHIPPED = "fjsp_dqn"  # rewriter/models/fjsp_dqn_<n>x<m>.pt
SHIPPED_SIZES = ((50, 10), (100, 20), (500, 100))  # the (jobs, machines) each was trained on
TARDINESS_SIZES = ((50, 10), (100, 20))  # 500 x 100 gets the 100 x 20 one


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
    _check_features(path, values)
    net = QNetwork(NetConfig(**values))
    try:
        net.load_state_dict(blob.get("state_dict"))
    except (RuntimeError, TypeError, AttributeError):
        raise InputError(f"{path}: not a valid DQN dispatcher model (its weights do not fit the "
                         "architecture it names)") from None
    net.eval()
    return net, read_card(path.with_suffix(".json")) or {}


def _check_features(path: Path, values: dict) -> None:
    """A model reads the features this version computes, as many of each kind: one from a version
    with other features would be fed columns it never learnt (or too few for its weights)."""
    now = dataclasses.asdict(NetConfig())
    for name in ("job_features", "machine_features", "pair_features", "global_features"):
        if values[name] != now[name]:
            raise InputError(f"{path}: a DQN dispatcher of another version: it reads "
                             f"{values[name]} {name.replace('_', ' ')}, this version computes "
                             f"{now[name]} (train a new one with `rewriter train --approach dqn`)")


def nearest_size(n_jobs: int, n_machines: int, sizes=SHIPPED_SIZES) -> tuple[int, int]:
    """The training size of ``sizes`` nearest (n_jobs, n_machines), by the distance of the
    logarithms (500 x 100 is as far from 250 x 50 as 125 x 25 is; a tie goes to the smaller)."""
    def distance(size):
        return abs(math.log(size[0] / n_jobs)) + abs(math.log(size[1] / n_machines))
    return min(sizes, key=lambda size: (distance(size), size))


def shipped_path(size: tuple[int, int] = SHIPPED_SIZES[0], objective: str = "makespan") -> Path:
    """The path of the shipped model for ``objective`` nearest ``size`` (n_jobs, n_machines): the
    tardiness model for the objectives that count tardiness (``tardiness``, ``combined``), else
    the makespan one (an :class:`InputError` if it is missing)."""
    late = objective in ("tardiness", "combined")
    n, m = nearest_size(*size, TARDINESS_SIZES if late else SHIPPED_SIZES)
    name = f"{SHIPPED}_tardiness_{n}x{m}.pt" if late else f"{SHIPPED}_{n}x{m}.pt"
    train = (f"rewriter train --approach dqn --sizes {n}x{m}"
             + (" --due-dates tight --reward makespan+tardiness" if late else ""))
    return shipped_model(name, "DQN dispatcher", train)


@lru_cache(maxsize=4)
def _cached(path: str) -> tuple[QNetwork, dict]:
    return load_dqn(path)


def resolve_dqn(model=None, size: tuple[int, int] = SHIPPED_SIZES[0],
                objective: str = "makespan") -> tuple[QNetwork, dict]:
    """The network for ``model``: a path, or None / ``"default"`` for the shipped one for
    ``objective`` nearest ``size`` (n_jobs, n_machines) (cached)."""
    path = model_path(model, lambda: shipped_path(size, objective))
    return _cached(str(Path(path).resolve()))
