"""Comparison plot: mean gap (or, for a problem without bounds, the mean objective) against the
budget, one panel per group of instances."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict

import numpy as np

from .. import registry
from ..atomic import atomic_open
from .methods import parse_method
from .tables import _group, _measure, _missing, _objective, with_gaps


def _parse(label: str, problem: str | None):
    spec = label.partition(" ")[0]
    return parse_method(spec, registry.get(problem) if problem else None)


def _series(label: str, problem: str | None = None) -> tuple[str, bool]:
    """The legend entry of a column label, and whether it has a budget axis."""
    spec, _, threads = label.partition(" ")
    m = _parse(label, problem)
    if m.budget is None:
        return label, False
    unit = {"seconds": "s", "samples": "samples"}.get(m.method.budget, "steps")
    name = spec.split(":")[0] + (f"@{m.init}" if "@" in spec else "")
    return f"{name} {threads} [{unit}]".replace("  ", " "), True


def _value(record: dict, measure: str):
    return record.get("gap_percent") if measure == "mean gap %" else record[_objective(record)]


def _draw_group(ax, records: list[dict], title: str, colours: dict[str, str]) -> None:
    from .grid import column_label

    measure = _measure(records)
    problem = records[0].get("problem")
    gaps: dict[str, list[float]] = defaultdict(list)
    incomplete = {column_label(r) for r in records if _missing(r)}  # no mean over the others
    for r in records:
        if _value(r, measure) is not None and column_label(r) not in incomplete:
            gaps[column_label(r)].append(_value(r, measure))
    lines: dict[str, list[tuple[float, float]]] = defaultdict(list)
    flat: dict[str, float] = {}
    for label, values in gaps.items():
        series, has_budget = _series(label, problem)
        mean = statistics.mean(values)
        if has_budget:
            lines[series].append((_parse(label, problem).budget, mean))
        else:
            flat[series] = mean
    for label, points in sorted(lines.items()):
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label,
                color=colours[label])
    for label, mean in sorted(flat.items(), key=lambda kv: kv[1]):
        unit = "%" if measure == "mean gap %" else ""
        ax.axhline(mean, linestyle="--", linewidth=1, color=colours[label],
                   label=f"{label} ({mean:.2f}{unit})")
    budgets = [b for pts in lines.values() for b, _ in pts]
    if budgets and max(budgets) / max(min(budgets), 1e-9) >= 20:
        ax.set_xscale("log")
    ax.set_xlabel("budget (seconds or steps, see legend)")
    ax.set_ylabel("mean gap to best-known UB (%)" if measure == "mean gap %" else
                  measure)
    ax.set_title(f"{title} ({len({r['instance'] for r in records})} instances)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)


def plot_gap_vs_budget(records: list[dict], path=None, title: str | None = None, ax=None) -> list:
    """Mean gap % to the best-known UB against each method's budget, one panel per group of
    instances; returns the panels' Axes, one per group.

    Methods with a budget (``tabu:10``, ``tabu:60``, ``cpsat:60``) become lines over their
    budgets; methods without one (dispatching rules, greedy) become horizontal reference lines.
    ``ax`` is one Axes per group (a single Axes for records of one group); without it the panels
    get a new figure (shown inline in Jupyter). The figure is saved to ``path`` when given (a PNG,
    written atomically; a file object is written into).
    """
    from .grid import column_label

    records = with_gaps(records)
    groups: dict[str, list[dict]] = {}
    for r in records:
        groups.setdefault(_group(r), []).append(r)
    panels = _panels(ax, len(groups), path)
    names = sorted({_series(column_label(r), r.get("problem"))[0] for r in records})
    colours = {name: f"C{i % 10}" for i, name in enumerate(names)}  # same colour in every panel
    for panel, (name, members) in zip(panels, groups.items()):
        _draw_group(panel, members, name, colours)
    for spare in panels[len(groups):]:  # the rest of a new figure's last row
        spare.set_visible(False)
    fig = panels[0].figure
    if title:
        fig.suptitle(title)
    if ax is None:
        fig.tight_layout()
    if path is not None:
        _save(fig, path)
    return panels[:len(groups)]


def _panels(ax, n_groups: int, path) -> list:
    """The given Axes (one per group), or a new figure's grid of up to 3 columns: a bare Agg
    figure when it goes to a file (the CLI never touches pyplot), else pyplot's."""
    if ax is not None:
        given = list(np.ravel(np.asarray(ax, dtype=object)))
        if len(given) != n_groups:
            raise ValueError(f"the records have {n_groups} groups of instances; got {len(given)} axes")
        return given
    cols = max(1, min(3, n_groups))
    rows = max(1, math.ceil(n_groups / cols))
    size = (6.5 * cols, 4.5 * rows)
    if path is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=size)
    else:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=size)
        FigureCanvasAgg(fig)
    return list(fig.subplots(rows, cols, squeeze=False).flat)


def _save(fig, path) -> None:
    if hasattr(path, "write"):
        fig.savefig(path, format="png", dpi=110)
        return
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110)
