"""``rewriter compare``: every method on every instance, resumable, then the tables."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from .. import registry
from ..errors import InputError, is_interrupt
from .common import FORMATTER, PROG, check_output, long_progress, non_negative_int

EPILOG = """\
examples:
  rewriter compare --instances ta41-50,dmu16-20 --methods fifo,mwkr,greedy,tabu:60,cpsat:60 \\
      --workers 2 --cpsat-workers 1 --results results.jsonl --out table.md --plot gap.png
  rewriter compare --problem mrt --instances d20:test:0-99 --methods ejf,sjf-offline,rewriter:50
  rewriter compare --results results.jsonl --out table.tex      # tables from the file alone
  rewriter compare --instances ta21-28 --methods tabu:60 --executor dask --workers 2
  rewriter compare --instances ta01-80 --methods tabu:60,cpsat:60 --seeds 0,1,2 \
      --executor dask://scheduler.example.org:8786 --results study.jsonl   # docs/scale-out.md

Cells are keyed by instance, method, seed and package version; an interrupted run is resumed by
running the same command again. Gap = (cost - best-known UB) / UB x 100.
"""


def add_parser(sub) -> None:
    names = registry.names()
    p = sub.add_parser("compare", formatter_class=FORMATTER, epilog=EPILOG,
                       help="run methods on instance sets and print comparison tables",
                       description="Run every method on every instance (resumable: finished cells "
                                   "are kept in the results file and skipped on re-runs), then "
                                   "print the per-instance and per-group tables.")
    p.add_argument("--problem", choices=names, default=names[0],
                   help="problem of the instances (default: %(default)s)")
    p.add_argument("--instances", metavar="SPEC",
                   help="instances, comma separated; "
                        + "; ".join(f"{n}: {registry.get(n).instances_help}" for n in names))
    p.add_argument("--methods", metavar="SPECS",
                   help="methods with budgets, comma separated: NAME[:BUDGET][@RULE]; "
                        + "; ".join(f"{n}: " + ", ".join(_shown(m) for m in registry.get(n).methods().values())
                                    for n in names)
                        + ". Searches start from the problem's default heuristic unless @RULE "
                          "is appended (tabu:60@spt)")
    p.add_argument("--seeds", default="0", metavar="LIST",
                   help="comma-separated seeds, one cell per seed (default: %(default)s)")
    p.add_argument("--workers", type=non_negative_int, default=1, metavar="N",
                   help="cells run in parallel processes (default: %(default)s)")
    p.add_argument("--executor", default="local", metavar="WHERE",
                   help="where the cells run: local (a process pool of --workers processes), "
                        "dask (a local Dask cluster of --workers processes), or "
                        "dask://HOST:PORT (a running Dask scheduler, docs/scale-out.md); Dask "
                        "needs pip install 'dask[distributed]' (default: %(default)s)")
    p.add_argument("--cpsat-workers", type=non_negative_int, default=2, metavar="N",
                   help="CP-SAT threads per cell; keep workers x cpsat-workers <= cores "
                        "(default: %(default)s)")
    p.add_argument("--construct-model", metavar="PATH",
                   help="model file of the construct and construct:K methods (written by "
                        "`rewriter train --approach construct`), instead of the shipped one; "
                        "recorded in each result's params")
    p.add_argument("--results", metavar="FILE.jsonl",
                   help="JSON-lines results file: finished cells are appended at once and "
                        "skipped when the command is run again (default: "
                        "compare-results.jsonl); with no --instances/--methods, the tables are "
                        "rebuilt from this file alone")
    p.add_argument("--out", metavar="FILE",
                   help="also write the tables to FILE; the format follows the suffix: .md, "
                        ".csv or .tex")
    p.add_argument("--plot", metavar="FILE.png",
                   help="plot the mean gap against the budget per method")
    p.add_argument("--no-quoted", action="store_true",
                   help="leave out the quoted published results (rewriter/data/*.json)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress over cells on stderr: a bar on a terminal, otherwise a line "
                        "every 30 s (default: on; --no-progress: off)")


def _shown(method) -> str:
    from ..compare.methods import BUDGET_SHOWN

    return (method.spec_name or method.name) + BUDGET_SHOWN.get(method.budget, "")


def run(args) -> int:
    from ..compare.grid import plan_cells, read_results, run_cells, tabulated
    from ..compare.tables import render

    warnings.formatwarning = lambda message, *rest, **kw: f"{PROG}: warning: {message}\n"
    results = args.results or "compare-results.jsonl"
    fmt = None
    if args.out:
        fmt = Path(args.out).suffix.lower().lstrip(".")
        fmt = {"markdown": "md", "latex": "tex"}.get(fmt, fmt)
        if fmt not in ("md", "csv", "tex"):
            raise InputError(f"--out {args.out}: expected a .md, .csv or .tex file")
        check_output(args.out, "table")
    if args.plot:
        check_output(args.plot, "plot")
    if (args.instances is None) != (args.methods is None):
        raise InputError("give both --instances and --methods, or neither (tables from --results)")
    if args.executor != "local":
        from ..compare.dask_cluster import parse_executor

        parse_executor(args.executor)  # a bad address or no Dask: one line, before anything
    if args.instances is None:
        if not args.results:
            raise InputError("nothing to do: give --instances and --methods, or --results FILE")
        if not Path(results).exists():
            raise InputError("no such results file", path=results)
        records = tabulated(read_results(results))
    else:
        try:
            seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
        except ValueError:
            raise InputError(f"--seeds: expected comma-separated integers, found {args.seeds!r}") from None
        if args.workers < 1 or args.cpsat_workers < 1:
            raise InputError("--workers and --cpsat-workers must be at least 1")
        cells = plan_cells(args.instances, args.methods, seeds or [0], args.cpsat_workers,
                           problem=args.problem, model=args.construct_model)
        try:
            records = run_cells(cells, results, workers=args.workers,
                                progress=long_progress(args.progress), executor=args.executor)
        except (KeyboardInterrupt, SystemError) as exc:
            if not is_interrupt(exc):  # a SystemError that is no Ctrl-C is a bug: show it
                raise
            print(f"{PROG}: interrupted; the finished cells are kept in {results}: the same "
                  "command continues the run", file=sys.stderr)
            return 130
    if not records:
        raise InputError("no results to tabulate", path=results)
    print(render(records, "md", quoted=not args.no_quoted))
    if args.out:
        from ..atomic import write_atomic
        write_atomic(args.out, render(records, fmt, quoted=not args.no_quoted))
        print(f"wrote tables: {args.out}")
    if args.plot:
        from ..compare.plots import plot_gap_vs_budget
        plot_gap_vs_budget(records, args.plot)
        print(f"wrote plot: {args.plot}")
    print(f"results: {results}", file=sys.stdout)
    if args.instances is not None and len(records) < len(cells):
        print(f"{PROG}: {len(cells) - len(records)} of {len(cells)} cells failed (see the "
              "warnings); the tables hold the others; the same command runs them again",
              file=sys.stderr)
        return 1
    return 0
