"""``rewriter solve``: build a schedule with a heuristic, improve it by rewriting, write it out."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from pathlib import Path

from .. import registry, warmup
from ..errors import ContradictedBound, InputError
from .common import (FORMATTER, check_output, non_negative_int, positive_seconds, seed,
                     show_progress, table, writing)

EPILOG = """\
INSTANCE is a bundled name (ft06, ta41, dmu16, mrt_d20_test_00000, ... see `rewriter instances`)
or the path of an instance file; the problem is inferred from it unless --problem is given.

The search starts from a heuristic schedule (--init) and applies the rewriting policy
(--policy) for --steps rewrites or until --time-limit seconds pass, whichever comes first.
Ctrl-C stops the search early and still writes the best schedule found (status: interrupted).

examples:
  rewriter solve ft06
  rewriter solve ta01 --init spt --policy greedy --moves n1
  rewriter solve ta41 --policy tabu --steps 0 --time-limit 60 --out ta41.json --gantt ta41.png
  rewriter solve ta41 --steps 5000 --seed 3 --trace ta41.csv --convergence ta41_conv.png
  rewriter solve mrt_d20_test_00000 --steps 50
  rewriter solve my_instance.txt --quiet --out schedule.json

The summary ends with the gap to the best-known upper bound (when known):
gap = (cost - UB) / UB x 100.
"""


def add_parser(sub) -> None:
    names = registry.names()
    p = sub.add_parser("solve", formatter_class=FORMATTER, epilog=EPILOG,
                       help="build and improve a schedule for one instance",
                       description="Build a schedule with a heuristic and improve it by local "
                                   "rewriting; print a summary and write the requested files.")
    p.add_argument("instance", metavar="INSTANCE",
                   help="bundled instance name (e.g. ft06, ta41) or path of an instance file")
    p.add_argument("--problem", choices=names, default=None,
                   help="problem type (default: inferred from INSTANCE): "
                        + "; ".join(f"{n}: {registry.get(n).title}" for n in names))
    g = p.add_argument_group("search")
    g.add_argument("--init", default=None, metavar="RULE",
                   help="heuristic of the initial schedule; "
                        + "; ".join(f"{n}: {', '.join(registry.get(n).init_rules)} (default "
                                    f"{registry.get(n).default_init})" for n in names))
    g.add_argument("--policy", default=None, metavar="POLICY",
                   help="rewriting policy: controlled (tabu search steered by --controller, "
                        "the job shop's default), learned (the shipped neural rewriter, or --model), "
                        "tabu (tabu search), greedy (best-improvement descent), greedy-first "
                        "(first improvement), random (random walk), none (keep the initial "
                        "schedule) or construct (the learned constructive scheduler builds the "
                        "schedule, --samples K keeps the best of K; --construct-model); each "
                        "problem lists its own: "
                        + "; ".join(f"{n}: {', '.join(registry.get(n).policies)} (default "
                                    f"{registry.get(n).default_policy})" for n in names))
    g.add_argument("--model", default="default", metavar="PATH",
                   help="model file: 'default' (the one shipped for the problem and policy), a "
                        "rewriting policy written by `rewriter train` (--policy learned) or a "
                        "controller written by `rewriter train --approach control` (--policy "
                        "controlled); without --policy the file's kind picks the policy; with "
                        "fjsp's --init dqn the DQN dispatcher's model (default: %(default)s)")
    g.add_argument("--samples", type=non_negative_int, default=1, metavar="K",
                   help="--policy learned: K trajectories side by side, the best kept (default: "
                        "%(default)s)")
    g.add_argument("--decoding", choices=("argmax", "sample"), default=None,
                   help="--policy learned: argmax takes the most likely rewrite every step (one "
                        "trajectory), sample draws it from the policy (default: "
                        + "; ".join(f"{n}: {registry.get(n).default_decoding}" for n in names)
                        + "; sample with --samples K > 1)")
    g.add_argument("--steps", type=non_negative_int, default=None, metavar="N",
                   help="maximum number of rewrites, or of tabu moves for tabu and controlled "
                        "(default: "
                        + ", ".join(f"{registry.get(n).default_steps} for {n}" for n in names)
                        + "".join(f"; {s} for {n} --policy {p}" for n in names
                                  for p, s in registry.get(n).policy_steps.items())
                        + "); 0 together with --time-limit means no step limit, 0 alone keeps "
                          "the initial schedule")
    g.add_argument("--time-limit", type=positive_seconds, default=None, metavar="S",
                   help="stop the search after S seconds (positive; default: no limit)")
    g.add_argument("--seed", type=seed, default=0, metavar="N",
                   help="random seed of the search and of random heuristics, 0 <= N < 2**63 (default: "
                        "%(default)s)")
    seen = {a.dest for a in p._actions}
    for name in names:
        spec = registry.get(name)
        for o in spec.solve_options:  # an option two problems share takes both sets of choices
            action = next((a for a in p._actions if a.dest == o.name), None)
            if o.name in seen and o.choices and action is not None and action.choices:
                action.choices = tuple(dict.fromkeys((*action.choices, *o.choices)))
            if o.name in seen and action is not None and action.help and o.help not in action.help:
                action.help += f". {name}: {o.help}"  # what it means for each problem
        options = [o for o in spec.solve_options if o.name not in seen]
        if not options:
            continue
        group = p.add_argument_group(f"{name} options")
        for option in options:
            seen.add(option.name)
            _add_option(group, option)
    o = p.add_argument_group("output")
    o.add_argument("--out", metavar="FILE",
                   help="write the schedule to FILE: .json (the schedule JSON of docs/cli.md), "
                        ".csv (one row per operation), or - for the JSON on standard output (the "
                        "summary then goes to standard error)")
    o.add_argument("--gantt", metavar="FILE",
                   help="write a Gantt chart of the best schedule (PNG, or the format of the "
                        "suffix), for problems that draw one")
    o.add_argument("--trace", metavar="FILE.csv",
                   help="write the convergence trace as CSV: step,time_s,best_<objective>")
    o.add_argument("--convergence", metavar="FILE",
                   help="write a plot of the best cost against the step (PNG)")
    o.add_argument("--quiet", "-q", action="store_true",
                   help="print nothing on success (errors still go to stderr)")
    o.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar on stderr (default: only when stderr is a terminal "
                        "and --quiet is not given)")


def _add_option(group, option) -> None:
    flag = "--" + option.name.replace("_", "-")
    text = option.help + ("" if option.default in (None, False) else " (default: %(default)s)")
    if isinstance(option.default, bool):
        group.add_argument(flag, dest=option.name, action="store_true", default=None, help=text)
    else:
        kind = option.kind or type(option.default)
        metavar = None if option.choices else "N" if kind is int else "X"
        kind = non_negative_int if kind is int else kind
        group.add_argument(flag, dest=option.name, type=kind, choices=option.choices,
                           default=None, metavar=metavar, help=text)


def _policy_of_model(model: str, spec) -> str | None:
    """``--model PATH`` without ``--policy``: the policy the file is for (a rewriting policy is
    for ``learned``, a controller for ``controlled``), where the problem has it; else None."""
    if model in (None, "default") or not Path(model).is_file():
        return None
    from ..learn.checkpoint import model_kind

    policy = {"rewrite": "learned", "control": "controlled"}.get(model_kind(model))
    return policy if policy in spec.policies else None


def run(args) -> int:
    spec = registry.get(args.problem) if args.problem else registry.infer(args.instance)
    options = _problem_options(args, spec)
    init = args.init or spec.default_init
    args.policy = args.policy or _policy_of_model(args.model, spec) or spec.default_policy
    if init not in spec.init_rules:
        raise InputError(f"--init {init}: not a heuristic of {spec.name}; expected one of: "
                         + ", ".join(spec.init_rules))
    if args.policy not in spec.policies:
        raise InputError(f"--policy {args.policy}: not a policy of {spec.name}; expected one of: "
                         + ", ".join(spec.policies))
    if args.samples < 1:
        raise InputError("--samples must be at least 1")
    if args.policy == "construct":
        init = "construct"  # the constructive scheduler builds the schedule; no rule does
    _check_outputs(args, spec)
    instance = spec.load_instance(args.instance)
    steps = spec.steps_for(args.policy) if args.steps is None else args.steps
    if steps == 0 and args.time_limit is not None:
        steps = None  # no step limit: the time limit ends the search
    try:
        result = warmup.solve(spec, instance, init=init, policy=args.policy, steps=steps,
                              time_limit=args.time_limit, seed=args.seed, model=args.model,
                              samples=args.samples, decoding=args.decoding,
                              progress=show_progress(args.progress, args.quiet), **options)
    except ContradictedBound as exc:  # the instance file claimed it: name the file
        raise InputError(exc.reason, path=args.instance) from None
    written = _write_outputs(args, spec, result)
    if not args.quiet:
        report = sys.stderr if args.out == "-" else sys.stdout  # stdout carries the schedule
        for what, path in written:
            print(f"wrote {what}: {path}", file=report)
        if written:
            print(file=report)
        print(summary(result, args, init), file=report)
    return 0


def _problem_options(args, spec) -> dict:
    """The problem's own options that were given; another problem's option is an error."""
    own = {o.name for o in spec.solve_options}
    given = {}
    for name in registry.names():
        for option in registry.get(name).solve_options:
            value = getattr(args, option.name, None)
            if value is None:
                continue
            if option.name not in own:
                raise InputError(f"--{option.name.replace('_', '-')} is not an option of "
                                 f"{spec.name} (it belongs to {name})")
            given[option.name] = value
    return given


def _check_outputs(args, spec) -> None:
    outputs = {"schedule JSON": args.out, "Gantt chart": args.gantt, "trace CSV": args.trace,
               "convergence plot": args.convergence}
    if args.gantt and spec.plot_schedule is None:
        raise InputError(f"--gantt: {spec.name} has no Gantt chart; write the schedule with --out")
    seen: dict[str, str] = {}
    for what, path in outputs.items():
        if path is None or (what == "schedule JSON" and path == "-"):
            continue
        check_output(path, what)
        if what == "schedule JSON" and not _stream(path):
            _suffix(path, (".json", ".csv"), "--out", "- for standard output")
        if what == "trace CSV":
            _suffix(path, (".csv",), "--trace")
        if what in ("Gantt chart", "convergence plot"):
            from ..core.charts import image_format

            image_format(path)
        key = os.path.abspath(path)
        if key in seen:
            raise InputError(f"the {seen[key]} and the {what} would both be written to {path}")
        seen[key] = what


def _stream(path: str) -> bool:
    """A device or pipe (``/dev/stdout``): written in place, as JSON."""
    return Path(path).exists() and not Path(path).is_file() and not Path(path).is_dir()


def _suffix(path: str, allowed: tuple[str, ...], option: str, other: str = "") -> None:
    if Path(path).suffix.lower() not in allowed:
        raise InputError(f"{option}: expected a file name ending in {' or '.join(allowed)}"
                         + (f" (or {other})" if other else ""), path=path)


def schedule_json_text(data: dict) -> str:
    """The schedule JSON as text: one header key per line, and a list of operations (or of
    machine sequences, jobs, ...) one entry per line, each entry written by json's C encoder.
    ``json.dumps(indent=...)`` runs the pure-Python encoder and spreads every operation over
    seven lines: 12 s and 120 MB for a million operations, against about 2 s here."""
    encode = json.JSONEncoder().encode
    entry = _entry_encoder() or encode
    parts = []
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, (dict, list)) for v in value):
            text = "[\n  " + ",\n  ".join(map(entry, value)) + "\n ]"
        else:
            text = json.dumps(value, indent=1).replace("\n", "\n ")
        parts.append(f" {encode(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _entry_encoder():
    """One entry's JSON text by CPython's C encoder, made once: ``JSONEncoder.encode`` builds a
    new one per call, which doubles the time over a million entries. No cycle check (``to_dict``
    holds plain lists, dicts and numbers); None where json has no C encoder."""
    from json import encoder

    if encoder.c_make_encoder is None:
        return None
    make = encoder.c_make_encoder(None, None, encoder.encode_basestring_ascii, None, ": ", ", ",
                                  False, False, True)
    return lambda value: "".join(make(value, 0))


def _write_outputs(args, spec, result) -> list[tuple[str, str]]:
    from ..atomic import write_atomic

    written = []
    if args.out == "-":
        sys.stdout.write(schedule_json_text(result.to_dict()))
        sys.stdout.flush()
    elif args.out:
        text = (schedule_csv(result) if Path(args.out).suffix.lower() == ".csv"
                else schedule_json_text(result.to_dict()))
        with writing(args.out):
            write_atomic(Path(args.out), text)
        written.append(("schedule", args.out))
    if args.trace:
        with writing(args.trace):
            write_atomic(Path(args.trace), trace_csv(result))
        written.append(("trace", args.trace))
    if args.gantt:
        with writing(args.gantt):
            spec.plot_schedule(result, args.gantt)
        written.append(("gantt", args.gantt))
    if args.convergence:
        with writing(args.convergence):
            from ..core.charts import plot_trace

            plot_trace(result, args.convergence)
        written.append(("convergence", args.convergence))
    return written


def schedule_csv(result) -> str:
    """One row per operation (or job) of the schedule: the problem's own columns."""
    rows = next((v for v in result.schedule.values()
                 if isinstance(v, list) and v and all(isinstance(r, dict) for r in v)), None)
    if rows is None:
        raise InputError(f"a {result.problem} schedule has no per-operation rows; write it as .json")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def trace_csv(result) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["step", "time_s", f"best_{result.objective}"])
    best = None
    integral = all(float(v).is_integer() for _, _, v in result.trace)
    for step, seconds, value in result.trace:
        best = value if best is None else min(best, value)
        writer.writerow([int(step), f"{float(seconds):.4f}", int(best) if integral else f"{best:.6f}"])
    return buf.getvalue()


def _number(value) -> str:
    if value is None:
        return "n/a"
    return str(value) if float(value).is_integer() else f"{value:.4f}"


def _time_text(result) -> str:
    """The search's time, and apart from it the kernels' compiling (or loading) before it."""
    text = f"{result.runtime_s:.2f} s"
    if result.compile_s >= 0.05:
        text += f" (+ {result.compile_s:.2f} s preparing kernels, before the clock)"
    return text


def summary(result, args, init: str) -> str:
    objective = result.objective.replace("_", " ")
    ub, lb, gap = result.upper_bound, result.lower_bound, result.gap_percent
    if gap is None:
        gap_text = "n/a (no known upper bound)"
    else:
        optimal = getattr(result.instance, "optimal", False) and result.cost == ub
        gap_text = f"{gap:.2f} % to UB {ub}" + (" (optimal)" if optimal else "")
    steps = f"{result.steps}" + (f" / {args.steps}" if args.steps and args.time_limit is None else "")
    details = [result.info[k] if k != "samples" else f"{result.info[k]} samples"
               for k in ("moves", "decoding", "samples") if k in result.info
               and (k != "samples" or result.info[k] > 1)]
    if "controller" in result.info:
        details.insert(0, f"{result.info['controller']} controller")
    if result.info.get("batches", 1) > 1:
        details.append(f"{result.info['batches']} batches")
    if "window" in result.info:
        details.append(f"{result.info['windows']} windows of {result.info['window']} operations")
    dims = [f"{v} {k.removeprefix('n_')}" for k, v in result.sizes.items()]
    size = " x ".join(dims[:2]) + "".join(f", {d}" for d in dims[2:])
    rows = [("instance", result.instance.name), ("problem", result.problem), ("size", size),
            ("init rule", init),
            ("policy", f"{args.policy} (" + ", ".join([*map(str, details), f"seed {args.seed}"]) + ")"),
            (f"initial {objective}", _number(result.init_cost)),
            (f"final {objective}", _number(result.cost)),
            ("lower bound", _number(lb)), ("upper bound", _number(ub)),
            ("steps", steps), ("restarts", str(result.restarts)), ("status", result.status),
            ("time", _time_text(result)), ("gap", gap_text)]
    return table(("field", "value"), rows)
