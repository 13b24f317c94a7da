"""What the learned region picker adds to the shops: ``--policy lns --selector learned``.

Imported by the registry when it builds a spec; it installs the picker's factory with
:func:`rewriter.shop.regions.install_learned` (torch is imported only when one is built)."""

from __future__ import annotations

from functools import partial

from ...core.spec import ProblemSpec
from ...shop.regions import install_learned

SERVES = ("jssp", "fjsp")


def register(spec: ProblemSpec) -> ProblemSpec:
    if spec.name in SERVES:
        install_learned(spec.name, partial(_build, problem=spec.name))
    return spec


def _build(model, *, problem: str):
    from .picker import learned_picker

    return learned_picker(model, problem=problem)
