"""The ``rewriter`` command line: ``solve``, ``validate``, ``compare`` and ``instances``.

``main(argv)`` returns the exit code: 0 on success, 1 when ``validate`` finds an infeasible
schedule, 2 for bad input (one ``rewriter: error: ...`` line on stderr, never a traceback), 130
when interrupted outside the search (Ctrl-C during the search itself ends it early and keeps the
best schedule, with status ``interrupted``).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
from pathlib import Path

from .version import __version__
from .errors import InputError

PROG = "rewriter"

_MAIN_EPILOG = """\
examples:
  rewriter solve ft06                                  # tabu search, 200 steps, from MWKR
  rewriter solve ta41 --steps 0 --time-limit 60 --out ta41.json --gantt ta41.png
  rewriter validate ta41 ta41.json                     # independent feasibility check
  rewriter instances --family ta                       # bundled instances with bounds
  rewriter compare --instances ta41-50 --methods mwkr,tabu:60,cpsat:60 --out table.md

exit codes: 0 ok, 1 infeasible schedule (validate), 2 bad input, 130 interrupted.
Run `rewriter COMMAND --help` for the options of a command.
"""

_SOLVE_EPILOG = """\
INSTANCE is a bundled name (ft06, la01, ta41, ta41js, dmu16, ... see `rewriter instances`) or the
path of an instance file (standard / OR-Library, Taillard, JSON or .npy; detected from the content).

The search starts from a dispatching-rule schedule (--init) and applies the local-search policy
(--policy) for --steps moves or until --time-limit seconds pass, whichever comes first. Ctrl-C
stops the search early and still writes the best schedule found (status: interrupted).

examples:
  rewriter solve ft06
  rewriter solve ta01 --init spt --policy greedy --moves n1
  rewriter solve ta41 --steps 5000 --seed 3 --out ta41.json --gantt ta41.png
  rewriter solve ta41 --steps 0 --time-limit 60 --trace ta41.csv --convergence ta41_conv.png
  rewriter solve my_instance.txt --quiet --out schedule.json

The summary ends with the gap to the best-known upper bound (when known):
gap = (makespan - UB) / UB x 100.
"""

_VALIDATE_EPILOG = """\
SCHEDULE.json is the file written by `rewriter solve --out` (keys: makespan, operations =
[{job, op, start, ...}], optionally machine_sequences, n_jobs, n_machines). The check is
independent of the solver: job routes, machine overlaps, the reported makespan, the operations'
machine and end fields, and that machine_sequences agree with the start times.

exit codes: 0 valid, 1 infeasible (the violations are listed), 2 unreadable or malformed input.

examples:
  rewriter solve ta01 --out ta01.json && rewriter validate ta01 ta01.json
"""

_INSTANCES_EPILOG = """\
examples:
  rewriter instances
  rewriter instances --family ta
  rewriter instances --family dmu --format csv > dmu.csv
"""


# ---- argument types ----------------------------------------------------------------------------
def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


# ---- parser ------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from .jssp.dispatching import MODES, RULES

    from .core.config import DECODINGS
    from .jssp.solution import MOVE_KINDS
    from .jssp.solve import EXPLORE_AFTER, POLICIES

    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=fmt, epilog=_MAIN_EPILOG,
        description="Job-shop scheduling by local rewriting: build a schedule with a dispatching "
                    "rule, improve it by local search on the disjunctive graph, check and plot it.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    # solve
    p = sub.add_parser("solve", formatter_class=fmt, epilog=_SOLVE_EPILOG,
                       help="build and improve a schedule for one instance",
                       description="Build a schedule with a dispatching rule and improve it by "
                                   "local search; print a summary and write the requested files.")
    p.add_argument("instance", metavar="INSTANCE",
                   help="bundled instance name (e.g. ft06, ta41) or path of an instance file")
    p.add_argument("--problem", choices=("jssp", "mrt"), default="jssp",
                   help="problem type: jssp (job shop, default) or mrt (NeuRewriter's online "
                        "multi-resource jobs; INSTANCE is an MRT JSON file or a bundled sample "
                        "such as mrt_d20_test_00000; --init defaults to ejf, --policy takes "
                        "learned, greedy, random or none)")
    g = p.add_argument_group("search")
    g.add_argument("--method", choices=("search", "cpsat"), default="search",
                   help="search: a dispatching rule improved by --policy (default); cpsat: the "
                        "OR-Tools CP-SAT model, stopped by --time-limit (default 60 s), warm-"
                        "started from the --init schedule with --warm-start")
    g.add_argument("--workers", type=_non_negative_int, default=2, metavar="N",
                   help="CP-SAT search threads (--method cpsat; default: %(default)s)")
    g.add_argument("--warm-start", action="store_true",
                   help="give CP-SAT the --init schedule as a hint (--method cpsat)")
    mrt_rules = ("sjfs", "sjf-offline")
    g.add_argument("--init", choices=tuple(RULES) + mrt_rules, default="mwkr", metavar="RULE",
                   help="heuristic for the initial schedule: " + ", ".join(RULES)
                        + " (jssp; default: %(default)s); ejf, sjf, sjfs, sjf-offline, random "
                          "(mrt; default: ejf)")
    g.add_argument("--init-mode", choices=MODES, default="active",
                   help="schedule generation scheme of the initial schedule: active "
                        "(Giffler-Thompson) or nondelay (default: %(default)s)")
    g.add_argument("--policy", choices=POLICIES, default="learned",
                   help="rewriting policy: learned (the shipped neural rewriter, or --model), "
                        "tabu search, greedy (best-improvement descent), greedy-first (first "
                        "improvement), random (random walk) or none (keep the initial schedule) "
                        "(default: %(default)s)")
    g.add_argument("--model", default="default", metavar="PATH",
                   help="policy checkpoint for --policy learned: 'default' (the model shipped in "
                        "rewriter/models for the --problem) or a model.pt written by `rewriter "
                        "train` (default: %(default)s)")
    g.add_argument("--samples", type=_non_negative_int, default=1, metavar="K",
                   help="--policy learned: K trajectories sampled side by side, the best kept "
                        "(default: %(default)s)")
    g.add_argument("--decoding", choices=DECODINGS, default=None,
                   help="--policy learned: argmax takes the most likely rewrite every step (one "
                        "trajectory), sample draws it from the policy (default: argmax for one "
                        "job-shop trajectory, which is measured to be better, sample with "
                        "--samples K > 1 and for --problem mrt)")
    g.add_argument("--explore-after", type=_non_negative_int, default=EXPLORE_AFTER, metavar="N",
                   help="--policy learned, argmax decoding: sample the rewrites while N or more "
                        "steps have passed without a new best makespan, so the search leaves a "
                        "local optimum it would otherwise circle; 0 = never (default: "
                        "%(default)s)")
    g.add_argument("--greedy", dest="decoding", action="store_const", const="argmax",
                   help="same as --decoding argmax")
    g.add_argument("--moves", choices=MOVE_KINDS, default=None,
                   help="neighbourhood: n5 (swap at critical block ends), n1 (any adjacent pair on "
                        "the critical path), adjacent (any adjacent pair on a machine) or n7 (N5 "
                        "plus insertions to and from the ends of critical blocks) (default: the "
                        "model's own for --policy learned, n5 otherwise)")
    g.add_argument("--tie-break", choices=("random", "pressure"), default="random",
                   help="--policy tabu: how moves of equal makespan are chosen: random, or "
                        "pressure (every move evaluated exactly, the one leaving the fewest "
                        "operations near the makespan wins) (default: %(default)s)")
    g.add_argument("--steps", type=_non_negative_int, default=200, metavar="N",
                   help="maximum number of moves (default: %(default)s); 0 together with "
                        "--time-limit means no step limit, 0 alone keeps the initial schedule")
    g.add_argument("--time-limit", type=_positive_seconds, default=None, metavar="S",
                   help="stop the search after S seconds (positive; default: no limit)")
    g.add_argument("--seed", type=_integer, default=0, metavar="N",
                   help="random seed of the search and of the random rule (default: %(default)s)")
    o = p.add_argument_group("output")
    o.add_argument("--out", metavar="FILE", help="write the schedule JSON (see DESIGN.md) to FILE")
    o.add_argument("--gantt", metavar="FILE",
                   help="write a Gantt chart of the best schedule (PNG, or the format of the suffix)")
    o.add_argument("--trace", metavar="FILE",
                   help="write the convergence trace as CSV: step,time_s,best_makespan")
    o.add_argument("--convergence", metavar="FILE",
                   help="write a plot of the best makespan against the step (PNG)")
    o.add_argument("--quiet", "-q", action="store_true",
                   help="print nothing on success (errors still go to stderr)")
    o.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar on stderr (default: only when stderr is a terminal "
                        "and --quiet is not given)")

    # validate
    p = sub.add_parser("validate", formatter_class=fmt, epilog=_VALIDATE_EPILOG,
                       help="check a schedule JSON against an instance",
                       description="Check a schedule file with the independent validator; print "
                                   "'valid: makespan N' or the violations.")
    p.add_argument("instance", metavar="INSTANCE",
                   help="bundled instance name or path of the instance file the schedule is for")
    p.add_argument("schedule", metavar="SCHEDULE.json",
                   help="schedule JSON as written by `rewriter solve --out`")

    # compare
    p = sub.add_parser("compare", formatter_class=fmt, epilog=_COMPARE_EPILOG,
                       help="run methods on instance sets and print comparison tables",
                       description="Run every method on every instance (resumable: finished cells "
                                   "are kept in the results file and skipped on re-runs), then "
                                   "print the per-instance and per-group tables.")
    p.add_argument("--problem", choices=("jssp", "mrt"), default="jssp",
                   help="jssp (default) or mrt: rows D = --resources on the first --count "
                        "sequences of --split, methods ejf, sjf, sjfs, sjf-offline, random, "
                        "cpsat:S, rewriter:STEPS, and greedy:STEPS / random-walk:STEPS (greedy "
                        "descent / random walk over the rewriter's own rewrites from EJF)")
    p.add_argument("--resources", metavar="LIST", help="mrt: resource counts D (default: 2,5,10,20)")
    p.add_argument("--split", choices=("train", "validation", "test"), default="test",
                   help="mrt: data split (default: %(default)s)")
    p.add_argument("--count", type=_non_negative_int, default=100, metavar="N",
                   help="mrt: sequences per D (default: %(default)s)")
    p.add_argument("--cpsat-count", type=_non_negative_int, default=None, metavar="N",
                   help="mrt: run CP-SAT on the first N sequences only (default: --count)")
    p.add_argument("--model", default="default", metavar="PATH",
                   help="policy of the rewriter method (default: the shipped model)")
    p.add_argument("--instances", metavar="SPEC",
                   help="instances: ranges and families, comma separated (ta41-50, dmu16-20, ta, "
                        "ft06,la01, paths)")
    p.add_argument("--methods", metavar="SPECS",
                   help="methods with budgets, comma separated: dispatching rules (fifo, mwkr, "
                        "spt-nd, ...), tabu:SECONDS, greedy, random:STEPS, cpsat:SECONDS; "
                        "searches start from MWKR unless @RULE is appended (tabu:60@spt)")
    p.add_argument("--seeds", default="0", metavar="LIST",
                   help="comma-separated seeds, one cell per seed (default: %(default)s)")
    p.add_argument("--workers", type=_non_negative_int, default=1, metavar="N",
                   help="cells run in parallel processes (default: %(default)s)")
    p.add_argument("--cpsat-workers", type=_non_negative_int, default=2, metavar="N",
                   help="CP-SAT threads per cell; keep workers x cpsat-workers <= cores "
                        "(default: %(default)s)")
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
                   help="leave out the quoted published results (rewriter/data/published.json)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar over cells on stderr (default: when stderr is a terminal)")

    from . import cli_train
    cli_train.add_parser(sub, fmt)

    # instances
    p = sub.add_parser("instances", formatter_class=fmt, epilog=_INSTANCES_EPILOG,
                       help="list the bundled benchmark instances with sizes and bounds",
                       description="List the bundled instances: name, family, size (jobs x "
                                   "machines), best-known lower and upper bound, status.")
    p.add_argument("--family", metavar="NAME",
                   help="only this family (ft, la, abz, orb, swv, yn, ta, dmu)")
    p.add_argument("--format", choices=("md", "csv"), default="md",
                   help="output format: md (aligned markdown table) or csv (default: %(default)s)")
    return parser


# ---- entry point -------------------------------------------------------------------------------
def main(argv=None) -> int:
    """Run the command line; returns the exit code."""
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version, or an argparse usage error (code 2)
            return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        from .cli_train import cmd_train
        return {"solve": _cmd_solve, "validate": _cmd_validate, "instances": _cmd_instances,
                "compare": _cmd_compare, "train": cmd_train}[
            args.command](args)
    except InputError as exc:
        return _error(str(exc))
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        return _error(_os_message(exc))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `rewriter instances | head`: the reader left, nothing to report
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 0


def _error(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def _os_message(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


# ---- compare -----------------------------------------------------------------------------------
_COMPARE_EPILOG = """\
examples:
  rewriter compare --instances ta41-50,dmu16-20 --methods fifo,mwkr,greedy,tabu:60,cpsat:60 \\
      --workers 2 --cpsat-workers 1 --results results.jsonl --out table.md --plot gap.png
  rewriter compare --results results.jsonl --out table.tex      # tables from the file alone

Cells are keyed by instance, method, seed and package version; an interrupted run is resumed by
running the same command again. Gap = (makespan - best-known UB) / UB x 100.
"""


def _cmd_compare(args) -> int:
    from .compare import plan_cells, read_results, run_cells
    from .tables import render

    import warnings

    warnings.formatwarning = lambda message, *rest, **kw: f"{PROG}: warning: {message}\n"
    if args.problem == "mrt":
        from .cli_mrt import cmd_compare_mrt
        return cmd_compare_mrt(args)
    results = args.results or "compare-results.jsonl"
    fmt = None
    if args.out:
        fmt = Path(args.out).suffix.lower().lstrip(".")
        fmt = {"markdown": "md", "latex": "tex"}.get(fmt, fmt)
        if fmt not in ("md", "csv", "tex"):
            raise InputError(f"--out {args.out}: expected a .md, .csv or .tex file")
        _check_output(args.out, "table")
    if args.plot:
        _check_output(args.plot, "plot")
    if (args.instances is None) != (args.methods is None):
        raise InputError("give both --instances and --methods, or neither (tables from --results)")
    if args.instances is None:
        if not args.results:
            raise InputError("nothing to do: give --instances and --methods, or --results FILE")
        if not Path(results).exists():
            raise InputError("no such results file", path=results)
        records = read_results(results)
        latest = {}
        for r in records:  # the same cell run by several versions: keep the last line
            latest[(r["instance"], r["method"], json.dumps(r.get("params", {})), r["seed"])] = r
        records = list(latest.values())
    else:
        try:
            seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
        except ValueError:
            raise InputError(f"--seeds: expected comma-separated integers, found {args.seeds!r}") from None
        if args.workers < 1 or args.cpsat_workers < 1:
            raise InputError("--workers and --cpsat-workers must be at least 1")
        cells = plan_cells(args.instances, args.methods, seeds or [0], args.cpsat_workers)
        progress = args.progress if args.progress is not None else sys.stderr.isatty()
        records = run_cells(cells, results, workers=args.workers, progress=progress)
    if not records:
        raise InputError("no results to tabulate", path=results)
    print(render(records, "md", quoted=not args.no_quoted))
    if args.out:
        from .atomic import write_atomic
        write_atomic(args.out, render(records, fmt, quoted=not args.no_quoted))
        print(f"wrote tables: {args.out}")
    if args.plot:
        from .plots import plot_gap_vs_budget
        plot_gap_vs_budget(records, args.plot)
        print(f"wrote plot: {args.plot}")
    print(f"results: {results}")
    return 0


# ---- solve -------------------------------------------------------------------------------------
def _cmd_solve(args) -> int:
    from .jssp.bundled import load_instance
    from .jssp.solve import TabuSettings, solve

    if args.samples < 1:
        raise InputError("--samples must be at least 1")
    if args.problem == "mrt":
        from .cli_mrt import cmd_solve_mrt
        for what, path in (("schedule JSON", args.out),):
            if path is not None:
                _check_output(path, what)
        if args.gantt or args.trace or args.convergence or args.method != "search":
            raise InputError("--problem mrt writes the schedule (--out) only; --gantt, --trace, "
                             "--convergence and --method cpsat are job-shop options")
        return cmd_solve_mrt(args)
    if args.init in ("sjfs", "sjf-offline"):
        raise InputError(f"--init {args.init} is an MRT heuristic; job-shop rules are listed in --help")
    outputs = {"schedule JSON": args.out, "Gantt chart": args.gantt, "trace CSV": args.trace,
               "convergence plot": args.convergence}
    for what, path in outputs.items():
        if path is not None:
            _check_output(path, what)
    seen: dict[str, str] = {}
    for what, path in outputs.items():
        if path is not None:
            key = os.path.abspath(path)
            if key in seen:
                raise InputError(f"the {seen[key]} and the {what} would both be written to {path}")
            seen[key] = what

    instance = load_instance(args.instance)
    steps = None if args.steps == 0 and args.time_limit is not None else args.steps
    progress = args.progress
    if progress is None:
        progress = not args.quiet and sys.stderr.isatty()
    if args.method == "cpsat":
        from .baselines.cpsat import solve_cpsat, to_result

        from .jssp.solve import initial_solution

        if args.workers < 1:
            raise InputError("--workers must be at least 1")
        hint = initial_solution(instance, args.init, args.init_mode, args.seed) if args.warm_start else None
        result = to_result(instance, solve_cpsat(
            instance, time_limit=args.time_limit or 60.0, workers=args.workers, seed=args.seed,
            warm_start=hint))
    else:
        result = solve(instance, init=args.init, init_mode=args.init_mode, policy=args.policy,
                       steps=steps, time_limit=args.time_limit, moves=args.moves, seed=args.seed,
                       progress=progress, model=args.model, samples=args.samples,
                       greedy=None if args.decoding is None else args.decoding == "argmax",
                       tabu=TabuSettings(tie_break=args.tie_break),
                       explore_after=args.explore_after)

    written = []
    if args.out:
        from .atomic import write_atomic
        with _writing(args.out):
            write_atomic(Path(args.out), json.dumps(result.to_dict(), indent=1) + "\n")
        written.append(("schedule", args.out))
    if args.trace:
        from .atomic import write_atomic
        with _writing(args.trace):
            write_atomic(Path(args.trace), _trace_csv(result.trace))
        written.append(("trace", args.trace))
    if args.gantt:
        from .jssp.gantt import plot_gantt
        with _writing(args.gantt):
            plot_gantt(result, args.gantt)
        written.append(("gantt", args.gantt))
    if args.convergence:
        from .jssp.gantt import plot_trace
        with _writing(args.convergence):
            plot_trace(result, args.convergence)
        written.append(("convergence", args.convergence))

    if not args.quiet:
        for what, path in written:
            print(f"wrote {what}: {path}")
        if written:
            print()
        print(_summary(result, args))
    return 0


def _trace_csv(trace) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["step", "time_s", "best_makespan"])
    best = None
    for step, seconds, value in trace:
        best = value if best is None else min(best, value)
        writer.writerow([int(step), f"{float(seconds):.4f}", int(best)])
    return buf.getvalue()


def _summary(result, args) -> str:
    inst = result.instance
    ub, lb = inst.upper_bound, inst.lower_bound
    gap = result.gap_percent
    if gap is None:
        gap_text = "n/a (no known upper bound)"
    else:
        gap_text = f"{gap:.2f} % to UB {ub}" + (" (optimal)" if inst.optimal and result.makespan == ub else "")
    steps = f"{result.steps}" + (f" / {args.steps}" if args.steps and args.time_limit is None else "")
    rows = [
        ("instance", inst.name),
        ("size", f"{inst.n_jobs} jobs x {inst.n_machines} machines"),
        ("init rule", f"{result.init} ({args.init_mode})"),
        ("policy", f"{args.policy} ({result.info.get('moves', args.moves or 'n5')} moves, "
                   + (f"{result.info['decoding']}, " if "decoding" in result.info else "")
                   + (f"{result.info['samples']} samples, " if result.info.get("samples", 1) > 1
                      else "") + f"seed {args.seed})"),
        ("initial makespan", str(result.init_makespan)),
        ("final makespan", str(result.makespan)),
        ("lower bound", "n/a" if lb is None else str(lb)),
        ("upper bound", "n/a" if ub is None else str(ub)),
        ("steps", steps),
        ("restarts", str(result.restarts)),
        ("status", result.status),
        ("time", f"{result.runtime_s:.2f} s"),
        ("gap", gap_text),
    ]
    return _table(("field", "value"), rows)


def _table(header, rows) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
                      *(line(row) for row in rows)])


def _check_output(path: str, what: str) -> None:
    """Fail before the search, not after it, when an output file cannot be written."""
    target = Path(path)
    if target.is_dir():
        raise InputError(f"is a directory; expected a file name for the {what}", path=path)
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"cannot write the {what}: directory '{parent}' does not exist", path=path)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"cannot write the {what}: directory '{parent}' is not writable", path=path)
    if what in ("Gantt chart", "convergence plot"):
        from .jssp.gantt import _format_of
        _format_of(path)


class _writing:
    """Turn an OSError while writing ``path`` into one InputError naming the file."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is not None and isinstance(exc, OSError):
            raise InputError(f"cannot write the file: {exc.strerror or exc}", path=self.path) from None
        return False


# ---- validate ----------------------------------------------------------------------------------
def _cmd_validate(args) -> int:
    from .jssp.bundled import load_instance
    from .jssp.validate import schedule_violations

    instance = load_instance(args.instance)
    data = _read_schedule_json(args.schedule)
    starts, problems = _parse_schedule(data, instance, args.schedule)
    problems = schedule_violations(instance, starts, data["makespan"], limit=50) + problems
    name = data.get("instance")
    if isinstance(name, str) and name != instance.name:
        print(f"note: the schedule names instance {name!r}; checking it against {instance.name!r}",
              file=sys.stderr)
    if problems:
        print(f"invalid: {len(problems)} violation{'s' if len(problems) != 1 else ''}"
              f"{' (first 50 shown)' if len(problems) >= 50 else ''}")
        for problem in problems[:50]:
            print(f"  - {problem}")
        return 1
    makespan = int(data["makespan"])
    print(f"valid: makespan {makespan}")
    if instance.upper_bound:
        ub = instance.upper_bound
        print(f"gap {100.0 * (makespan - ub) / ub:.2f}% to UB {ub}")
    return 0


def _read_schedule_json(path: str) -> dict:
    p = Path(path)
    if p.is_dir():
        raise InputError("is a directory; expected a schedule JSON file", path=path)
    if not p.exists():
        raise InputError("no such file", path=path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text; expected a schedule JSON file", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path=path) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} (column {exc.colno}); expected a schedule "
                         "written by `rewriter solve --out`", path=path, line=exc.lineno) from None
    if not isinstance(data, dict):
        raise InputError(f"expected a JSON object with 'makespan' and 'operations', found a "
                         f"{type(data).__name__}", path=path)
    for key in ("makespan", "operations"):
        if key not in data:
            raise InputError(f"missing key '{key}'; expected a schedule written by "
                             "`rewriter solve --out` (keys makespan, operations, ...)", path=path)
    if not _is_int(data["makespan"]):
        raise InputError(f"'makespan' must be an integer, found {data['makespan']!r}", path=path)
    return data


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_schedule(data: dict, instance, path: str):
    """(start matrix, consistency problems) of a schedule dict; format errors raise InputError."""
    n, m = instance.n_jobs, instance.n_machines
    for key, size in (("n_jobs", n), ("n_machines", m)):
        if key in data and data[key] != size:
            raise InputError(f"'{key}' is {data[key]!r} but instance {instance.name} has {size}; "
                             f"expected a schedule for a {n}x{m} instance", path=path)
    ops = data["operations"]
    if not isinstance(ops, list) or len(ops) != n * m:
        found = f"{len(ops)} entries" if isinstance(ops, list) else f"a {type(ops).__name__}"
        raise InputError(f"'operations' must list {n * m} operations ({n} jobs x {m}) of "
                         f"instance {instance.name}, found {found}", path=path)
    starts = [[None] * m for _ in range(n)]
    problems = []
    for i, entry in enumerate(ops):
        if not isinstance(entry, dict):
            raise InputError(f"operations[{i}]: expected an object {{job, op, start, ...}}, "
                             f"found {entry!r}", path=path)
        for key in ("job", "op", "start"):
            if not _is_int(entry.get(key)):
                raise InputError(f"operations[{i}]: '{key}' must be an integer, found "
                                 f"{entry.get(key)!r}", path=path)
        job, op, start = entry["job"], entry["op"], entry["start"]
        if not (0 <= job < n and 0 <= op < m):
            raise InputError(f"operations[{i}]: (job {job}, op {op}) out of range; expected job "
                             f"0..{n - 1} and op 0..{m - 1}", path=path)
        if starts[job][op] is not None:
            raise InputError(f"operations[{i}]: job {job} op {op} is listed twice", path=path)
        starts[job][op] = start
        duration, machine = int(instance.durations[job, op]), int(instance.machines[job, op])
        if "machine" in entry and entry["machine"] != machine:
            problems.append(f"job {job} op {op} is listed on machine {entry['machine']!r} but "
                            f"runs on machine {machine}")
        if "end" in entry and entry["end"] != start + duration:
            problems.append(f"job {job} op {op}: end {entry['end']!r} != start {start} + "
                            f"duration {duration}")
    if data.get("machine_sequences") is not None:
        problems += _sequence_problems(data["machine_sequences"], instance, starts, path)
    return starts, problems


def _sequence_problems(sequences, instance, starts, path: str) -> list[str]:
    n, m = instance.n_jobs, instance.n_machines
    if not isinstance(sequences, list) or len(sequences) != m:
        found = f"{len(sequences)} lists" if isinstance(sequences, list) else f"a {type(sequences).__name__}"
        raise InputError(f"'machine_sequences' must hold one list per machine ({m}), found {found}",
                         path=path)
    problems = []
    seen = set()
    for machine, seq in enumerate(sequences):
        if not isinstance(seq, list):
            raise InputError(f"machine_sequences[{machine}]: expected a list of [job, op] pairs",
                             path=path)
        previous = None
        for pos, pair in enumerate(seq):
            if (not isinstance(pair, list) or len(pair) != 2 or not all(map(_is_int, pair))
                    or not (0 <= pair[0] < n and 0 <= pair[1] < m)):
                raise InputError(f"machine_sequences[{machine}][{pos}]: expected [job, op] with job "
                                 f"0..{n - 1} and op 0..{m - 1}, found {pair!r}", path=path)
            job, op = pair
            if (job, op) in seen:
                problems.append(f"machine_sequences: job {job} op {op} appears more than once")
            seen.add((job, op))
            if int(instance.machines[job, op]) != machine:
                problems.append(f"machine_sequences[{machine}] lists job {job} op {op}, which runs "
                                f"on machine {int(instance.machines[job, op])}")
            elif previous is not None:
                pj, po = previous
                end = starts[pj][po] + int(instance.durations[pj, po])
                if starts[job][op] < end:
                    problems.append(
                        f"machine {machine}: the sequence puts job {pj} op {po} (start "
                        f"{starts[pj][po]}, end {end}) before job {job} op {op} (start "
                        f"{starts[job][op]}), which the start times contradict")
            if int(instance.machines[job, op]) == machine:
                previous = (job, op)
    missing = n * m - len(seen)
    if missing:
        problems.append(f"machine_sequences: {missing} operation{'s' if missing != 1 else ''} missing")
    return problems


# ---- instances ---------------------------------------------------------------------------------
def _cmd_instances(args) -> int:
    from .jssp.bundled import bundled_instances

    rows = bundled_instances()
    if args.family:
        families = sorted({row["family"] for row in rows})
        family = args.family.strip().lower()
        if family not in families:
            raise InputError(f"unknown family {args.family!r}; expected one of: {', '.join(families)}")
        rows = [row for row in rows if row["family"] == family]
    if args.format == "csv":
        keys = ("name", "family", "n_jobs", "n_machines", "lower_bound", "upper_bound", "status")
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(keys)
        writer.writerows([row[key] for key in keys] for row in rows)
        return 0
    table = [(row["name"], row["family"], f"{row['n_jobs']}x{row['n_machines']}",
              str(row["lower_bound"]), str(row["upper_bound"]), row["status"]) for row in rows]
    print(_table(("name", "family", "size", "lower bound", "upper bound", "status"), table))
    print(f"\n{len(rows)} instance{'s' if len(rows) != 1 else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
