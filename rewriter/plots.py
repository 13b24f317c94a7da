"""Comparison plot: mean gap against the budget, one line per method family."""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path

from .atomic import atomic_open
from .methods import parse_method


def plot_gap_vs_budget(records: list[dict], path, title: str | None = None) -> Path:
    """Mean gap % to the best-known UB against the budget (seconds or steps) of each method.

    Methods with a budget (``tabu:10``, ``tabu:60``, ``cpsat:60``) become lines over their
    budgets; methods without one (dispatching rules, greedy) become horizontal reference lines.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    gaps: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if r.get("gap_percent") is not None:
            gaps[r["method"]].append(r["gap_percent"])
    lines: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    flat: dict[str, float] = {}
    for spec, values in gaps.items():
        m = parse_method(spec)
        mean = statistics.mean(values)
        if m.budget is None:
            flat[spec] = mean
        else:
            label = spec.split(":")[0] + (f"@{m.init}" if "@" in spec else "")
            lines[(label, m.budget_unit or "")].append((m.budget, mean))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (label, unit), points in sorted(lines.items()):
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o",
                label=f"{label} (budget in {'seconds' if unit == 's' else 'steps'})")
    for i, (spec, mean) in enumerate(sorted(flat.items(), key=lambda kv: kv[1])):
        ax.axhline(mean, linestyle="--", linewidth=1, color=f"C{(i + len(lines)) % 10}",
                   label=f"{spec} ({mean:.1f}%)")
    if lines and max(b for pts in lines.values() for b, _ in pts) / max(
            min(b for pts in lines.values() for b, _ in pts), 1e-9) >= 20:
        ax.set_xscale("log")
    ax.set_xlabel("budget")
    ax.set_ylabel("mean gap to best-known UB (%)")
    n_inst = len({r["instance"] for r in records})
    ax.set_title(title or f"mean gap vs budget ({n_inst} instances)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    try:
        with atomic_open(path, "wb") as fh:
            fig.savefig(fh, format="png", dpi=120)
    finally:
        plt.close(fig)
    return Path(path)
