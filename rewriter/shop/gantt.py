"""The Gantt chart of a shop's schedule: one bar per operation on its machine's row (the job shop
and the flexible shop hand :func:`gantt` their operations' machine, start, end and job).

Like every chart of the package it draws on a given matplotlib ``ax`` or its own figure, returns
the Axes, and writes its file (when given one) atomically (:mod:`rewriter.core.charts`).
"""

from __future__ import annotations

import numpy as np

from ..core.charts import DPI, image_format, new_axes, save_image

__all__ = ["gantt", "gantt_title", "job_style"]

# Hatch patterns layered over the 20 colours of tab20: 20 x 6 = 120 distinguishable jobs.
_HATCHES = ("", "//", "..", "xx", "\\\\", "++")
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
          makespan: int, title: str | None = None, late=None, ax=None):
    """Draw one bar per operation on its machine's row (M0 on top) on ``ax`` (a new figure sized
    to the shop without one), save it to ``path`` unless None, and return the Axes.

    Bars are coloured (and, past 20 jobs, hatched) by job, with the job index written in bars wide
    enough to hold it (the widest MAX_BAR_LABELS of them); bars of the jobs in ``late`` (a set of
    job indices) get a red edge; a dashed line marks the makespan. ``heading`` names the schedule;
    a given ``title`` goes above it. The figure grows with the number of machines (up to 40
    inches, with smaller labels past 30 machines, so a 150-machine shop stays one row per
    machine). Past MAX_ROW_LABELS machines only the machines some operation runs on get a row,
    and only every k-th row is labelled, so thousands of machines draw in seconds. The image
    format follows the file suffix (png by default, and for a file object such as ``io.BytesIO``).
    """
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    machine, start, end, job = (np.asarray(a, dtype=np.int64) for a in (machine, start, end, job))
    n = n_jobs
    late = set() if late is None else set(late)
    fmt = None if path is None else image_format(path)
    ops = len(start)
    shown, row = _machine_rows(machine, n_machines)
    m = len(shown)

    width_in = 12.0 if ops <= 400 else 15.0
    height_in = float(np.clip(1.3 + 0.38 * m, 3.0, 40.0))
    legend = n <= 20
    # fixed margins (no bbox_inches="tight", which would render the figure twice)
    left, right = 0.75 / width_in, 1.0 - (0.75 if legend else 0.2) / width_in
    bottom, top = 0.6 / height_in, 1.0 - (0.75 if title is None else 0.95) / height_in
    ax, own = new_axes(ax, path, (width_in, height_in))
    if own:
        ax.figure.subplots_adjust(left=left, right=right, bottom=bottom, top=top)
    fig = ax.figure
    box = ax.get_position()  # a given ax's too: bars and labels are sized to its inches
    axes_w_in, axes_h_in = fig.get_figwidth() * box.width, fig.get_figheight() * box.height

    x_max = max(makespan, 1) * 1.02
    px_per_unit = axes_w_in * DPI / x_max
    bar_height = 0.8
    bar_px = axes_h_in * DPI / m * bar_height
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
    if path is not None:
        save_image(fig, path, fmt)
    return ax


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
    needed_px = digits * fontsize * 0.62 * DPI / 72 + 3
    fits = np.flatnonzero((end - start) * px_per_unit >= needed_px)
    if len(fits) > MAX_BAR_LABELS:
        fits = fits[np.argsort(start[fits] - end[fits], kind="stable")[:MAX_BAR_LABELS]]
    for op in fits.tolist():
        rgba = tuple(colour[op])
        ax.text((start[op] + end[op]) / 2, row[op], str(job[op]), ha="center", va="center",
                fontsize=fontsize, color=_text_colour(rgba), clip_on=True,
                bbox=dict(boxstyle="square,pad=0.05", fc=rgba, ec="none") if hatch[op] else None)


