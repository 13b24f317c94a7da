"""Pictures of a schedule, for every problem: a Gantt chart over machine rows and a convergence
plot of the best cost against the step.

Both draw on a bare :class:`matplotlib.figure.Figure` with the Agg canvas, so they never need a
display and never touch pyplot's global state (safe inside notebooks and worker processes). Files
are written atomically: the image goes to a temporary file beside the target, then it replaces
the target, so a reader never sees half a PNG. A problem hands :func:`gantt` one bar per
operation (machine, start, end, job); :func:`plot_trace` takes any :class:`Result`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..atomic import atomic_open
from ..errors import InputError

__all__ = ["gantt", "plot_trace", "image_format", "job_style"]

# Hatch patterns layered over the 20 colours of tab20: 20 x 6 = 120 distinguishable jobs.
_HATCHES = ("", "//", "..", "xx", "\\\\", "++")
_DPI = 120
# A chart is at most 40 inches high: past this many machine rows, only every k-th row is labelled
# (tens of thousands of tick labels took minutes to draw and could not be read).
MAX_ROW_LABELS = 300
# At most this many job numbers are written in bars (the widest bars get them).
MAX_BAR_LABELS = 3000


# ---- styling -----------------------------------------------------------------------------------
def job_style(job: int, n_jobs: int) -> tuple[tuple[float, float, float, float], str]:
    """(RGBA colour, hatch) of a job: tab10 up to 10 jobs, tab20 up to 20, then tab20 + hatches up
    to 120, and tab20 alone beyond (the job index is written in the bars that hold it)."""
    from matplotlib import colormaps

    if n_jobs <= 10:
        return colormaps["tab10"](job % 10), ""
    colour = colormaps["tab20"](job % 20)
    if n_jobs > 20 * len(_HATCHES):  # past 120 jobs hatches cannot tell them apart: colours only
        return colour, ""
    return colour, _HATCHES[(job // 20) % len(_HATCHES)]


def _text_colour(rgba) -> str:
    r, g, b = rgba[:3]
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


def gantt_title(instance, makespan: int) -> str:
    """``ta41 (30x20) — makespan 2087, gap 4.09% to UB 2005`` (the gap only when the UB is known)."""
    text = f"{instance.name} ({instance.n_jobs}x{instance.n_machines}) — makespan {makespan}"
    ub = instance.upper_bound
    if ub:
        text += f", gap {100.0 * (makespan - ub) / ub:.2f}% to UB {ub}"
    return text


# ---- Gantt chart -------------------------------------------------------------------------------
def gantt(path, machine, start, end, job, n_machines: int, n_jobs: int, heading: str,
          makespan: int, title: str | None = None, late=None):
    """Draw one bar per operation on its machine's row (M0 on top) and save it to ``path``.

    Bars are coloured (and, past 20 jobs, hatched) by job, with the job index written in bars wide
    enough to hold it (the widest MAX_BAR_LABELS of them); bars of the jobs in ``late`` (a set of
    job indices) get a red edge; a dashed line marks the makespan. ``heading`` names the schedule;
    a given ``title`` goes above it. The figure grows with the number of machines (up to 40
    inches, with smaller labels past 30 machines, so a 150-machine shop stays one row per
    machine). Past MAX_ROW_LABELS machines only the machines some operation runs on get a row,
    and only every k-th row is labelled, so thousands of machines draw in seconds. The image
    format follows the file suffix (png by default). Returns ``path``.
    """
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    machine, start, end, job = (np.asarray(a, dtype=np.int64) for a in (machine, start, end, job))
    n = n_jobs
    late = set() if late is None else set(late)
    fmt = image_format(path)
    ops = len(start)
    shown, row = _machine_rows(machine, n_machines)
    m = len(shown)

    width_in = 12.0 if ops <= 400 else 15.0
    height_in = float(np.clip(1.3 + 0.38 * m, 3.0, 40.0))
    legend = n <= 20
    # fixed margins (no bbox_inches="tight", which would render the figure twice)
    left, right = 0.75 / width_in, 1.0 - (0.75 if legend else 0.2) / width_in
    bottom, top = 0.6 / height_in, 1.0 - (0.75 if title is None else 0.95) / height_in
    fig = Figure(figsize=(width_in, height_in), dpi=_DPI)
    fig.subplots_adjust(left=left, right=right, bottom=bottom, top=top)
    ax = fig.add_subplot()

    x_max = max(makespan, 1) * 1.02
    px_per_unit = width_in * (right - left) * _DPI / x_max
    bar_height = 0.8
    bar_px = height_in * (top - bottom) * _DPI / m * bar_height
    fontsize = 7 if bar_px >= 11 else 5.5
    edge = 0.4 if ops <= 2000 else (0.25 if bar_px >= 3 else 0.0)  # black lines would hide thin bars

    colour, hatch = _job_styles(job, n)
    is_late = np.isin(job, np.fromiter(late, np.int64, len(late)))
    y0, y1 = row - bar_height / 2, row + bar_height / 2
    verts = np.stack([np.stack([start, y0], 1), np.stack([start, y1], 1),
                      np.stack([end, y1], 1), np.stack([end, y0], 1)], axis=1)
    edges = np.where(is_late[:, None], [1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 1.0])
    # one collection per hatch (a collection has one): a handful of artists however many jobs
    for h in np.unique(hatch).tolist():
        mine = np.flatnonzero(hatch == h)
        ax.add_collection(PolyCollection(verts[mine], facecolors=colour[mine], edgecolors=edges[mine],
                                         linewidths=np.where(is_late[mine], 3 * max(edge, 0.25), edge),
                                         hatch=_HATCHES[h] or None))
    if bar_px >= 7:
        _bar_labels(ax, start, end, row, job, colour, hatch, fontsize, px_per_unit)

    handles = []
    if legend:
        for j in np.unique(job).tolist():
            rgba, pattern = job_style(j, n)
            handles.append(Patch(facecolor=rgba, edgecolor="black", linewidth=edge,
                                 hatch=pattern or None, label=f"J{j}"))
    ax.axvline(makespan, color="black", linestyle="--", linewidth=1.0)
    ax.annotate(f"Cmax {makespan}", xy=(makespan, 1.0), xycoords=("data", "axes fraction"),
                xytext=(-3, 3), textcoords="offset points", ha="right", va="bottom", fontsize=8)
    ax.set_xlim(0, x_max)
    ax.set_ylim(m - 0.5, -0.5)  # M0 on top
    ticks = np.arange(0, m, -(-m // MAX_ROW_LABELS))
    ax.set_yticks(ticks)
    ax.set_yticklabels([f"M{shown[i]}" for i in ticks.tolist()],
                       fontsize=8 if m <= 30 else (6 if m <= 60 else 4))
    ax.set_xlabel("time")
    ax.set_ylabel("machine")
    ax.grid(axis="x", linestyle=":", linewidth=0.5, alpha=0.6)
    ax.set_axisbelow(True)
    if legend:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=7, frameon=False,
                  title="job", title_fontsize=8, ncol=1 if n <= 2 * m + 2 else 2)
    if m < n_machines:
        heading += f"; {n_machines - m} idle machines not shown"
    if late:
        heading += f"; late jobs (red edge): {len(late)}"
    ax.set_title(heading if title is None else f"{title}\n{heading}", fontsize=11)
    _save_atomic(fig, path, fmt)
    return path


def _machine_rows(machine: np.ndarray, n_machines: int) -> tuple[np.ndarray, np.ndarray]:
    """(the machine of each row, the row of each operation): every machine up to MAX_ROW_LABELS
    of them, else only the machines used (a row of an idle machine among thousands shows nothing)."""
    if n_machines <= MAX_ROW_LABELS:
        return np.arange(n_machines), machine
    shown = np.unique(machine)
    return shown, np.searchsorted(shown, machine)


def _job_styles(job: np.ndarray, n_jobs: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`job_style` of every entry of ``job`` at once: (RGBA rows, index into _HATCHES)."""
    from matplotlib import colormaps

    if n_jobs <= 10:
        return colormaps["tab10"](job % 10), np.zeros(len(job), np.int64)
    hatch = np.zeros(len(job), np.int64)
    if n_jobs <= 20 * len(_HATCHES):
        hatch = (job // 20) % len(_HATCHES)
    return colormaps["tab20"](job % 20), hatch


def _bar_labels(ax, start, end, row, job, colour, hatch, fontsize: float, px_per_unit: float) -> None:
    """The job index in each bar wide enough to hold it; the widest MAX_BAR_LABELS if more are."""
    digits = np.floor(np.log10(np.maximum(job, 1))).astype(np.int64) + 1
    needed_px = digits * fontsize * 0.62 * _DPI / 72 + 3
    fits = np.flatnonzero((end - start) * px_per_unit >= needed_px)
    if len(fits) > MAX_BAR_LABELS:
        fits = fits[np.argsort(start[fits] - end[fits], kind="stable")[:MAX_BAR_LABELS]]
    for op in fits.tolist():
        rgba = tuple(colour[op])
        ax.text((start[op] + end[op]) / 2, row[op], str(job[op]), ha="center", va="center",
                fontsize=fontsize, color=_text_colour(rgba), clip_on=True,
                bbox=dict(boxstyle="square,pad=0.05", fc=rgba, ec="none") if hatch[op] else None)


# ---- convergence -------------------------------------------------------------------------------
def plot_trace(trace, path, title: str | None = None, *, upper_bound=None, lower_bound=None,
               label: str = "best makespan"):
    """Best cost against the step number (a step plot), saved to ``path``; returns ``path``.

    ``trace`` is a list of ``(step, seconds, best cost)`` (``Result.trace``) or a Result, in
    which case the bounds, the label and a default title come from it. Dashed horizontal lines
    mark the best-known upper bound and the lower bound when they are known.
    """
    from matplotlib.figure import Figure

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
    fmt = image_format(path)

    fig = Figure(figsize=(8.0, 4.5), dpi=_DPI)
    fig.subplots_adjust(left=0.11, right=0.97, bottom=0.13, top=0.9)
    ax = fig.add_subplot()
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
    _save_atomic(fig, path, fmt)
    return path


# ---- files -------------------------------------------------------------------------------------
def image_format(path) -> str:
    """The image format of ``path``'s suffix (png without one); an InputError for an unknown one."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

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


def _save_atomic(fig, path, fmt: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format=fmt, dpi=_DPI)
