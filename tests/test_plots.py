"""Every chart draws on a given matplotlib Axes or on its own figure, returns the Axes, and writes
a file (a path, atomically, or a file object) only when asked: the Gantt chart of the job shop and
the flexible shop, the convergence plot of any Result, and the comparison plot."""

from __future__ import annotations

import io
import sys

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # before pyplot: the tests never need a display

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

import rewriter  # noqa: E402
from rewriter import __version__  # noqa: E402
from rewriter.compare.plots import plot_gap_vs_budget  # noqa: E402
from rewriter.core.charts import plot_trace  # noqa: E402
from rewriter.errors import InputError  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module", params=["ft06", "mk01"])
def result(request):
    """A solved job shop (ft06) and flexible shop (mk01)."""
    return rewriter.solve(rewriter.load_instance(request.param), policy="tabu", steps=30, seed=0)


def _bars(ax) -> int:
    """The operations drawn: the polygons of the chart's collections."""
    return sum(len(c.get_paths()) for c in ax.collections)


def test_plot_gantt_returns_the_axes_of_a_new_figure_with_a_bar_per_operation(result):
    ax = rewriter.plot_gantt(result)
    assert isinstance(ax, Axes)
    assert _bars(ax) == result.instance.n_operations
    assert ax.figure in [plt.figure(n) for n in plt.get_fignums()]  # pyplot's: Jupyter shows it


def test_plot_gantt_draws_on_a_given_axes(result):
    fig, (left, right) = plt.subplots(1, 2)
    assert rewriter.plot_gantt(result, ax=right) is right
    assert _bars(right) == result.instance.n_operations and _bars(left) == 0
    assert result.plot(ax=left) is left and _bars(left) == result.instance.n_operations


def test_plot_gantt_writes_a_path_without_pyplot_and_a_file_object(result, tmp_path):
    figures = plt.get_fignums()
    ax = rewriter.plot_gantt(result, tmp_path / "g.png")
    assert isinstance(ax, Axes) and (tmp_path / "g.png").read_bytes()[:8] == PNG
    assert plt.get_fignums() == figures  # a file's figure is a bare Agg one, not pyplot's
    assert [p.name for p in tmp_path.iterdir()] == ["g.png"]  # no temporary file left
    buffer = io.BytesIO()
    rewriter.plot_gantt(result, buffer)
    assert buffer.getvalue()[:8] == PNG
    rewriter.plot_gantt(result, tmp_path / "g.svg", title="a title")
    assert b"<svg" in (tmp_path / "g.svg").read_bytes()[:400]


def test_a_given_axes_is_saved_with_its_figure(result, tmp_path):
    fig, ax = plt.subplots()
    assert result.plot(ax=ax, path=tmp_path / "g.png") is ax
    assert (tmp_path / "g.png").read_bytes()[:8] == PNG


def test_the_solution_draws_itself_and_the_job_shop_heading_names_the_method():
    res = rewriter.solve(rewriter.load_instance("ft06"), policy="tabu", steps=5, seed=0)
    assert "[tabu from" in res.plot().get_title()
    ax = rewriter.plot_gantt(res.solution)
    assert _bars(ax) == 36 and "[" not in ax.get_title()
    with pytest.raises(TypeError, match="expected a Result"):
        rewriter.plot_gantt(object())


def test_an_unknown_image_suffix_is_refused_before_drawing(result, tmp_path):
    with pytest.raises(InputError, match="unsupported image format"):
        result.plot(path=tmp_path / "g.xyz")
    assert not (tmp_path / "g.xyz").exists()


def test_the_trace_plot_returns_its_axes_and_draws_on_a_given_one(result, tmp_path):
    ax = result.plot_trace()
    assert isinstance(ax, Axes) and ax.lines and result.instance.name in ax.get_title()
    fig, given = plt.subplots()
    assert result.plot_trace(ax=given) is given and given.lines
    buffer = io.BytesIO()
    plot_trace(result.trace, buffer)
    assert buffer.getvalue()[:8] == PNG
    assert isinstance(plot_trace(result, tmp_path / "t.png"), Axes)
    assert (tmp_path / "t.png").read_bytes()[:8] == PNG


def test_an_mrt_result_has_a_trace_plot_but_no_gantt_chart():
    res = rewriter.solve(rewriter.load_instance("mrt_d20_test_00000"), steps=5, seed=0)
    assert isinstance(res.plot_trace(), Axes)
    with pytest.raises(InputError, match="no Gantt chart"):
        rewriter.plot_gantt(res)


def _records():
    out = []
    for inst, ub, size in (("ta61", 2868, (50, 20)), ("ft06", 55, (6, 6))):
        for method, mk in (("mwkr", int(ub * 1.3)), ("tabu:1", int(ub * 1.1)), ("tabu:60", int(ub * 1.03))):
            out.append({"instance": inst, "method": method, "seed": 0, "version": __version__,
                        "family": inst[:2], "n_jobs": size[0], "n_machines": size[1],
                        "upper_bound": ub, "lower_bound": ub, "makespan": mk, "runtime_s": 1.0,
                        "gap_percent": round(100 * (mk - ub) / ub, 2), "status": "completed"})
    return out


def test_the_comparison_plot_returns_one_axes_per_group():
    panels = plot_gap_vs_budget(_records())
    assert len(panels) == 2 and all(isinstance(p, Axes) for p in panels)
    assert [p.get_title() for p in panels] == ["ta 50x20 (1 instances)", "ft 6x6 (1 instances)"]
    assert all(len(p.lines) == 2 for p in panels)  # the tabu budgets and the mwkr reference line


def test_the_comparison_plot_draws_on_given_axes_and_writes_files(tmp_path):
    fig, axes = plt.subplots(1, 2)
    assert plot_gap_vs_budget(_records(), ax=axes) == list(axes)
    assert all(len(a.lines) == 2 for a in axes)
    one = [r for r in _records() if r["instance"] == "ft06"]
    fig, ax = plt.subplots()
    assert plot_gap_vs_budget(one, ax=ax) == [ax]
    with pytest.raises(ValueError, match="2 groups"):
        plot_gap_vs_budget(_records(), ax=ax)
    figures = plt.get_fignums()
    plot_gap_vs_budget(_records(), tmp_path / "c.png", title="t")
    assert (tmp_path / "c.png").read_bytes()[:8] == PNG and plt.get_fignums() == figures
    buffer = io.BytesIO()
    plot_gap_vs_budget(_records(), buffer)
    assert buffer.getvalue()[:8] == PNG


def test_writing_a_chart_file_never_imports_pyplot(tmp_path):
    """The CLI and worker processes draw files without pyplot's global state."""
    import subprocess

    code = ("import sys, rewriter\n"
            "r = rewriter.solve(rewriter.load_instance('ft06'), policy='tabu', steps=3, seed=0)\n"
            f"r.plot(path={str(tmp_path / 'g.png')!r}); r.plot_trace(path={str(tmp_path / 't.png')!r})\n"
            "print('matplotlib.pyplot' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "False"
