"""Pictures of a search, for every problem: a convergence plot of the best cost against the step,
and the training curves of the learners. (The Gantt chart over machine rows belongs to the
shops: :mod:`rewriter.shop.gantt`.)

Every chart draws on a given matplotlib ``ax`` and returns the Axes it drew on. Without one it
makes its own figure: a bare :class:`matplotlib.figure.Figure` with the Agg canvas when the
picture goes to a file (the CLI and worker processes never need a display nor touch pyplot's
global state), else pyplot's, so a notebook shows it inline. Files are written atomically: the
image goes to a temporary file beside the target, then it replaces the target, so a reader never
sees half a PNG; a file object (``io.BytesIO``) gets a PNG. :func:`plot_trace` takes any
:class:`Result`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..atomic import atomic_open
from ..errors import InputError

__all__ = ["plot_trace", "image_format", "new_axes", "save_image"]

DPI = 120


# ---- convergence -------------------------------------------------------------------------------
def plot_trace(trace, path=None, title: str | None = None, *, upper_bound=None, lower_bound=None,
               label: str = "best makespan", ax=None):
    """Best cost against the step number (a step plot) on ``ax`` (a new figure without one),
    saved to ``path`` when given; returns the Axes.

    ``trace`` is a list of ``(step, seconds, best cost)`` (``Result.trace``) or a Result, in
    which case the bounds, the label and a default title come from it. Dashed horizontal lines
    mark the best-known upper bound and the lower bound when they are known.
    """
    if hasattr(trace, "trace") and hasattr(trace, "instance"):  # a Result
        result = trace
        upper_bound = result.upper_bound if upper_bound is None else upper_bound
        lower_bound = result.lower_bound if lower_bound is None else lower_bound
        label = "best " + result.objective.replace("_", " ")
        if title is None:
            size = "x".join(str(v) for v in result.sizes.values())
            title = (f"{result.instance.name} ({size}) — {result.method} from {result.init}, "
                     f"best {result.cost:g}")
        trace = result.trace
    rows = [(int(step), float(sec), float(best)) for step, sec, best in trace]
    if not rows:
        raise ValueError("the trace is empty; nothing to plot")
    steps = np.array([r[0] for r in rows])
    best = np.minimum.accumulate(np.array([r[2] for r in rows]))
    fmt = None if path is None else image_format(path)

    ax, own = new_axes(ax, path, (8.0, 4.5))
    if own:
        ax.figure.subplots_adjust(left=0.11, right=0.97, bottom=0.13, top=0.9)
    ax.step(steps, best, where="post", color="tab:blue", linewidth=1.5, label=label)
    ax.plot(steps[[0, -1]], best[[0, -1]], "o", color="tab:blue", markersize=4)
    span = [float(best.min()), float(best.max())]
    if upper_bound:
        ax.axhline(upper_bound, color="tab:green", linestyle="--", linewidth=1.0,
                   label=f"best-known UB {upper_bound}")
        span.append(float(upper_bound))
    if lower_bound and lower_bound != upper_bound:
        ax.axhline(lower_bound, color="tab:red", linestyle=":", linewidth=1.0,
                   label=f"lower bound {lower_bound}")
        span.append(float(lower_bound))
    low, high = min(span), max(span)
    pad = max(1.0, 0.05 * (high - low))
    ax.set_ylim(low - pad, high + pad)
    if steps[-1] > steps[0]:
        ax.set_xlim(steps[0], steps[-1])
    ax.set_xlabel("step")
    ax.set_ylabel(label)
    ax.grid(linestyle=":", linewidth=0.5, alpha=0.7)
    ax.legend(loc="upper right", fontsize=8)
    if title:
        ax.set_title(title, fontsize=11)
    if path is not None:
        save_image(ax.figure, path, fmt)
    return ax


# ---- files -------------------------------------------------------------------------------------
def new_axes(ax, path, size: tuple[float, float]):
    """(the axes to draw on, whether this call made its figure): ``ax`` itself when given; else
    one Axes on a new figure of ``size`` inches: a bare Agg figure when the picture goes to
    ``path`` (no pyplot, no display), else a pyplot figure (Jupyter shows it inline)."""
    if ax is not None:
        return ax, False
    if path is not None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=size, dpi=DPI)
        FigureCanvasAgg(fig)
    else:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=size, dpi=DPI)
    return fig.add_subplot(), True


def image_format(path) -> str:
    """The image format of ``path``'s suffix (png without one, and for a file object); an
    InputError for an unknown one."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if hasattr(path, "write"):
        return "png"
    suffix = Path(path).suffix.lower().lstrip(".") or "png"
    supported = FigureCanvasAgg.get_supported_filetypes()
    if suffix not in supported:
        raise InputError(f"unsupported image format '.{suffix}'; expected one of: "
                         + ", ".join("." + key for key in sorted(supported)), path=path)
    return suffix


def log_series(rows: list[dict], key: str):
    """(iterations, values) of one column of a training log, its empty cells skipped, for
    ``axes.plot(*log_series(rows, key))``."""
    pts = [(int(r["iteration"]), float(r[key])) for r in rows if r.get(key) not in ("", None)]
    return zip(*pts) if pts else ((), ())


def loss_panels(losses, entropy, rows: list[dict]) -> None:
    """Draw an actor-critic run's policy and value losses on the axes ``losses`` and its policy
    entropy on ``entropy``, from the rows of its training log."""
    for key in ("policy_loss", "value_loss"):
        losses.plot(*log_series(rows, key), lw=0.8, label=key)
    losses.set(xlabel="iteration", title="losses")
    losses.legend()
    entropy.plot(*log_series(rows, "entropy"), lw=0.8)
    entropy.set(xlabel="iteration", title="policy entropy")


def save_training_curves(fig, path) -> None:
    """Write a pyplot figure of training curves to ``path`` as a PNG, atomically, and close it."""
    import matplotlib.pyplot as plt

    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)


def save_image(fig, path, fmt: str) -> None:
    """Write ``fig`` to ``path`` atomically (straight into it when it is a file object)."""
    from matplotlib.backend_bases import FigureCanvasBase
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if type(fig.canvas) is FigureCanvasBase:  # a bare Figure (a pyplot figure keeps its canvas)
        FigureCanvasAgg(fig)
    if hasattr(path, "write"):
        fig.savefig(path, format=fmt, dpi=DPI)
        return
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format=fmt, dpi=DPI)
