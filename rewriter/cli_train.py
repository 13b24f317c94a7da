"""``rewriter train``: the options are generated from :class:`TrainConfig`, one per field."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from .errors import InputError

EPILOG = """\
Every option maps to one field of TrainConfig (rewriter/core/config.py). With --problem mrt the
defaults follow NeuRewriter: reinforce, node formulation, Q < 0 re-sampling, EJF starts, episodes
of 50 steps, step reward (explicit options still win).

The run directory keeps
config.json (all of them, plus version and git commit), log.csv, curves.png, checkpoint.pt
(after every iteration, written atomically), best.pt, and model.pt + model.json at the end.
Ctrl-C stops the run; the same command with --resume continues it from the last checkpoint and
gives the same result as an uninterrupted run.

examples:
  rewriter train --problem jssp --run-dir runs/jssp --time-limit-minutes 60
  rewriter train --problem jssp --algo reinforce --formulation node --run-dir runs/jssp-node
  rewriter train --problem jssp --run-dir runs/jssp --resume --iterations 600
  rewriter train --problem mrt --resources 20 --algo reinforce --formulation node \\
      --negative-q-resample --run-dir runs/mrt20
"""


def _list(text: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list")
    return items


def add_parser(sub, fmt) -> None:
    from .core.config import HELP, defaults

    p = sub.add_parser("train", formatter_class=fmt, epilog=EPILOG,
                       help="train a rewrite policy (JSSP or MRT)",
                       description="Train a Tree-LSTM rewrite policy with PPO or REINFORCE on "
                                   "random instances; everything is written to --run-dir.")
    p.add_argument("--run-dir", required=True, metavar="DIR",
                   help="directory of the run (created; e.g. runs/NAME)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --run-dir from its last checkpoint (the saved "
                        "config is used; only --iterations and --time-limit-minutes may change)")
    p.add_argument("--config", metavar="FILE.json",
                   help="read options from a JSON object of TrainConfig fields (command-line "
                        "options given explicitly win)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")
    g = p.add_argument_group("training options (TrainConfig)")
    for name, default in defaults().items():
        flag = "--" + name.replace("_", "-")
        text = HELP[name] + (f" (default: {default})" if default not in (None, [], "") else "")
        text = text.replace("%", "%%")
        if isinstance(default, bool):
            g.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None,
                           help=text)
        elif isinstance(default, list):
            g.add_argument(flag, dest=name, type=_list, default=None, metavar="A,B", help=text)
        elif isinstance(default, int):
            g.add_argument(flag, dest=name, type=int, default=None, metavar="N", help=text)
        else:  # floats, and the optional time limit
            kind = str if isinstance(default, str) else float
            g.add_argument(flag, dest=name, type=kind, default=None,
                           metavar="X" if kind is float else "PATH" if name.endswith("model")
                           else "NAME", help=text)


def cmd_train(args) -> int:
    from .core.config import PRESETS, TrainConfig, defaults
    from .core.train import resume_config, train
    from .problems import make_problem

    values = defaults()
    if args.config:
        try:
            loaded = json.loads(Path(args.config).read_text())
        except json.JSONDecodeError as exc:
            raise InputError(f"line {exc.lineno}: not valid JSON ({exc.msg})", path=args.config) from None
        if not isinstance(loaded, dict):
            raise InputError("expected a JSON object of training options", path=args.config)
        values.update(loaded.get("config", loaded))  # a run's config.json works too
    given = {k: getattr(args, k) for k in defaults() if getattr(args, k) is not None}
    problem_name = given.get("problem", values["problem"])
    if problem_name in PRESETS and not args.config:
        values.update(PRESETS[problem_name])
    values.update(given)
    try:
        if args.resume:
            extra = sorted(set(given) - {"iterations", "time_limit_minutes"})
            if extra or args.config:
                raise InputError("--resume continues the saved config; only --iterations and "
                                 "--time-limit-minutes may be given, not: "
                                 + ", ".join("--" + e.replace("_", "-") for e in extra or ["config"]))
            cfg = resume_config(args.run_dir, given.get("iterations"),
                                given.get("time_limit_minutes"))
        else:
            cfg = TrainConfig.from_dict(values)
        problem = make_problem(cfg.problem, moves=cfg.moves, resources=cfg.resources)
    except (ValueError, FileNotFoundError) as exc:
        raise InputError(str(exc)) from None
    command = "rewriter " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv else None
    try:
        summary = train(cfg, problem, args.run_dir, resume=args.resume,
                        progress=not args.quiet and sys.stderr.isatty(), command=command)
    except (FileExistsError, FileNotFoundError) as exc:
        raise InputError(str(exc)) from None
    except KeyboardInterrupt:
        print(f"rewriter: training interrupted; continue with the same command and --resume "
              f"(run directory {args.run_dir})", file=sys.stderr)
        return 130
    if not args.quiet:
        best = "-" if summary.best_validation is None else f"{summary.best_validation:.2f}%"
        print(f"{summary.status}: {summary.iterations} iterations in {summary.wall_s / 60:.1f} min; "
              f"best validation improvement {best}; model: {Path(args.run_dir) / 'model.pt'}")
    return 0
