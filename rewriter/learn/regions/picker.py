"""``--selector learned``: a trained :class:`~.model.RegionScorer` chooses where a large rewrite
frees the schedule.

At each rewrite, every hand rule draws a few regions at the size the search has adapted to
(:func:`.features.candidates`), the scorer scores them in one encoder pass, and the best-scored
one is freed; the tally of the search reports which rule drew it. A model file holds the
scorer's weights and the problem it was trained on; one trained on another problem is refused.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import torch

from ...errors import InputError
from ..checkpoint import model_path, read_model_blob, read_card, save_model_file, shipped_model
from .features import candidates, region_features, view_graph
from .model import RegionScorer

FORMAT = "rewriter-regions-1"
#: the regions each hand rule draws per decision
PER_RULE = 2


def shipped(problem: str) -> Path:
    return shipped_model(f"{problem}_regions.pt", "region picker",
                         "python -m rewriter.learn.regions.train")


def save_scorer(path, scorer: RegionScorer, problem: str, card: dict | None = None) -> Path:
    return save_model_file(path, {"format": FORMAT, "problem": problem, "config": scorer.config,
                                  "per_rule": PER_RULE, "state_dict": scorer.state_dict()}, card)


def load_scorer(path, problem: str) -> RegionScorer:
    """The scorer of the model file ``path``, trained for ``problem`` (else one InputError)."""
    path = Path(path)
    blob = read_model_blob(path, "regions")
    if blob.get("problem") != problem:
        raise InputError(f"{path}: this region picker was trained on {blob.get('problem')!r} "
                         f"instances; expected one trained on {problem!r}")
    config = blob.get("config")
    if not isinstance(config, dict) or set(config) != {"hidden", "layers", "heads", "mlp"}:
        raise InputError(f"{path}: not a valid region picker file (its config must name hidden, "
                         "layers, heads and mlp)")
    scorer = RegionScorer(**config)
    try:
        scorer.load_state_dict(blob["state_dict"])
    except (KeyError, RuntimeError) as exc:
        raise InputError(f"{path}: the region picker's weights do not fit its config "
                         f"({str(exc).splitlines()[0]})") from None
    scorer.eval()
    scorer.card = read_card(path.with_suffix(".json"))
    return scorer


class LearnedPicker:
    """A chooser (:mod:`rewriter.shop.regions`) that asks the scorer among drawn candidates."""

    def __init__(self, scorer: RegionScorer, per_rule: int = PER_RULE):
        self.scorer = scorer
        self.per_rule = per_rule
        self.chosen = Counter()

    def region(self, view, size: int, rng: np.random.Generator) -> tuple[str, np.ndarray]:
        drawn = candidates(view, size, rng, self.per_rule)
        scores = self.scores(view, drawn)
        rule, free = drawn[int(np.argmax(scores))]
        self.chosen[rule] += 1
        return rule, free

    def scores(self, view, drawn: list[tuple[str, np.ndarray]]) -> np.ndarray:
        features = np.stack([region_features(view, free, rule) for rule, free in drawn])
        with torch.no_grad():
            return self.scorer(view_graph(view), [free for _, free in drawn], features).numpy()

    def update(self, rule: str, gain: float, seconds: float) -> None:
        """The trained model does not adapt during a search."""

    def state(self) -> dict:
        return {"chosen": dict(sorted(self.chosen.items())), "per_rule": self.per_rule}


def learned_picker(model, *, problem: str) -> LearnedPicker:
    """The chooser of ``model`` (a path; None: the problem's shipped model)."""
    torch.set_num_threads(1)  # the sub-solves use the cores; the scorer is small
    return LearnedPicker(load_scorer(model_path(model, lambda: shipped(problem)), problem))
