"""``rewriter train``: the options are generated from :class:`TrainConfig`, one per field."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from .. import registry
from ..errors import InputError, is_interrupt
from ..textfile import read_json
from . import train_construct, train_control, train_dqn, train_hierarchical
from .common import FORMATTER, long_progress
from .train_options import RUN_OPTIONS, flag

#: every way to train, and the module that trains it (None: this one, the rewriter)
APPROACHES = {"rewriter": None, "construct": train_construct, "control": train_control,
              "dqn": train_dqn, "hierarchical": train_hierarchical}

EPILOG = """\
The rewriter's options are the fields of TrainConfig (rewriter/learn/config.py) and the problem's
own options (listed under its name); each problem sets its own defaults (sizes, starts,
validation; some more, see docs/training.md). Every other approach reads its group of options
and the shared ones its group names, with its own defaults (fields of ConstructConfig,
MrtConstructConfig, ControlConfig, DQNConfig, HierarchicalConfig); an option it does not have is refused by name.
A --config file (a JSON object of a config's fields, or a run's config.json) and explicit
options win over the defaults.

The run directory keeps
config.json (all of them, plus approach, version and git commit), log.csv, curves.png,
checkpoint.pt (after every iteration, dqn: every validation; written atomically), best.pt, and
model.pt + model.json at the end.
Ctrl-C stops the run; the same command with --resume continues it from the last checkpoint and
gives the same result as an uninterrupted run (the approach is read from the run directory;
only --iterations, --episodes for dqn, --timesteps for hierarchical, and
--time-limit-minutes may change; the rewriter and
construct accept a repeated option equal to the saved one).

examples:
  rewriter train --problem jssp --run-dir runs/jssp --time-limit-minutes 60
  rewriter train --problem jssp --algo reinforce --formulation node --run-dir runs/jssp-node
  rewriter train --problem jssp --run-dir runs/jssp --resume --iterations 600
  rewriter train --problem jssp --approach construct --run-dir runs/construct --iterations 1000
  rewriter train --problem mrt --resources 20 --algo reinforce --formulation node \\
      --negative-q-resample --run-dir runs/mrt20
  rewriter train --approach control --run-dir runs/control --iterations 120
  rewriter train --approach dqn --run-dir runs/dqn --sizes 50x10,100x20 --time-limit-minutes 20
  rewriter train --approach hierarchical --run-dir runs/fjsp-h --time-limit-minutes 30
  torchrun --nproc-per-node 2 -m rewriter train --problem jssp --run-dir runs/jssp-2x

Under torchrun (WORLD_SIZE set; the rewriter only) the processes share the episodes of every
iteration and average their gradients (gloo); rank 0 writes the run directory; --resume needs
the same number of processes. Several machines: docs/scale-out.md.
"""


def _list(text: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list")
    return items


def add_parser(sub) -> None:
    from ..learn.config import HELP, defaults

    p = sub.add_parser("train", formatter_class=FORMATTER, epilog=EPILOG,
                       help="train a learned policy: a rewriter, a constructive scheduler, a "
                            "controller of tabu search, a DQN dispatcher or a hierarchical "
                            "job -> machine policy",
                       description="Train a learned policy on random instances; everything is "
                                   "written to --run-dir. Five approaches (--approach): "
                                   + "; ".join(f"{k}: {v}" for k, v in APPROACH_HELP.items())
                                   + ".")
    p.add_argument("--approach", type=_approach, choices=list(APPROACHES), default=None,
                   help="what to train (default: rewriter; a resumed run keeps its own): "
                        + "; ".join(f"{k}: {v}" for k, v in APPROACH_HELP.items()) + ". Each "
                        "reads the options of its group below and the shared ones it names, "
                        "with its own defaults; an option of another approach is refused")
    p.add_argument("--run-dir", required=True, metavar="DIR",
                   help="directory of the run (created; e.g. runs/NAME)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --run-dir from its last checkpoint with its saved "
                        "config: the command that started it may be repeated; only --iterations "
                        "and --time-limit-minutes may differ")
    p.add_argument("--config", metavar="FILE.json",
                   help="read options from a JSON object of TrainConfig fields (command-line "
                        "options given explicitly win)")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress or summary (progress: a bar on a terminal, otherwise a line "
                        "on stderr every 30 s)")
    g = p.add_argument_group("training options (TrainConfig; the rewriter's, and the shared "
                             "ones)")
    values = defaults()
    values.pop("problem_options")
    values["problem"] = registry.names()[0]
    for name, default in values.items():
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
    # a problem's own options; one flag per name, shared by the problems that have it (each
    # problem checks the value against its own choices: _problem_options)
    by_name: dict[str, list] = {}
    for problem in registry.names():
        for option in registry.get(problem).train_options:
            if option.name not in values:
                by_name.setdefault(option.name, []).append((problem, option))
    group = p.add_argument_group("problem options")
    for name, owners in by_name.items():
        first = owners[0][1]
        kind = int if isinstance(first.default, int) else str
        choices = list(dict.fromkeys(c for _, o in owners for c in (o.choices or ()))) or None
        text = "; ".join(f"{problem}: {o.help} (default: {o.default})" for problem, o in owners)
        group.add_argument("--" + name.replace("_", "-"), dest=name, type=kind, choices=choices,
                           default=None, metavar=None if choices else "N" if kind is int else "NAME",
                           help=text)
    for module in APPROACHES.values():  # after the problems' options: MRT's --resources is one
        if module is not None:
            module.add_options(p)


APPROACH_HELP = {
    "rewriter": "the Tree-LSTM (or graph-attention) rewriting policy, PPO or REINFORCE, for every "
                "problem with a learned policy (docs/training.md)",
    "construct": "a constructive scheduler, PPO for the job shop (docs/construct.md), REINFORCE "
                 "as DeepRM for MRT with --problem mrt (docs/construct-mrt.md)",
    "control": "a controller of the job shop's tabu search, PPO (docs/control.md)",
    "dqn": "the flexible shop's DQN dispatcher (docs/fjsp_dqn.md)",
    "hierarchical": "the flexible shop's hierarchical job -> machine policy, PPO "
                    "(docs/fjsp_hierarchical.md)",
}


def _approach(text: str) -> str:
    """An approach's name; ``rewrite``, its name in run directories, is the rewriter."""
    return "rewriter" if text == "rewrite" else text


def approach_of(args) -> str:
    """The approach this ``rewriter train`` runs: the one asked for, or a resumed run's own (a
    different one asked for is an InputError)."""
    saved = _saved_approach(args.run_dir) if args.resume else None
    if args.approach is not None and saved is not None and args.approach != saved:
        raise InputError(f"--resume: {args.run_dir} holds a run of --approach {saved}, not "
                         f"{args.approach}")
    return args.approach or saved or "rewriter"


def _saved_approach(run_dir) -> str | None:
    """The approach of a run directory, None without a readable one. Runs of the rewriter name
    none (their config has a formulation), nor do DQN runs written before the approaches shared
    this command (their config has a replay buffer)."""
    try:
        data = read_json(Path(run_dir) / "config.json", "a run's config.json")
    except InputError:
        return None
    if not isinstance(data, dict):
        return None
    if "approach" in data:
        return _approach(str(data["approach"]))
    config = data.get("config")
    if isinstance(config, dict) and "buffer_size" in config:
        return "dqn"
    if isinstance(config, dict) and "formulation" in config:
        return "rewriter"
    return None  # the trainer asked for says what is wrong with it


def _refuse_other_approaches(args) -> None:
    """The rewriter's run: a flag only another approach has is refused by name."""
    from ..learn.config import defaults

    ours = set(defaults()) | {o.name for n in registry.names()
                              for o in registry.get(n).train_options}
    foreign = sorted(k for k, v in vars(args).items()
                     if v is not None and k not in RUN_OPTIONS and k not in ours)
    if foreign:
        raise InputError("; ".join(f"{flag(n)}: an option of --approach {_owners(n)} only"
                                   for n in foreign)
                         + " (not of the rewriter, the default approach)")


def _owners(name: str) -> str:
    """The approaches that have the option ``name``."""
    return " or ".join(a for a, module in APPROACHES.items()
                       if module is not None and name in module.option_names())


def _problem_options(spec, values: dict, args) -> dict:
    """The problem's own options: its defaults, then the config's, then the command line's."""
    options = {o.name: o.default for o in spec.train_options}
    options.update(values.get("problem_options") or {})
    for option in spec.train_options:
        if option.name in values:  # a config file written before the options were grouped
            options[option.name] = values.pop(option.name)
        given = getattr(args, option.name, None)
        if given is not None:
            if option.choices and given not in option.choices:
                raise InputError(f"--{option.name.replace('_', '-')} {given} is not an option of "
                                 f"{spec.name}; expected one of: {', '.join(option.choices)}")
            options[option.name] = given
    return options


def _given_train_options(args) -> list[str]:
    return [o.name for n in registry.names() for o in registry.get(n).train_options
            if getattr(args, o.name, None) is not None]


def run(args) -> int:
    from ..learn.config import TrainConfig, defaults
    from ..learn.distributed import world_rank
    from ..learn.train import train

    module = APPROACHES[approach_of(args)]
    if module is not None:  # another approach: its own trainer
        return module.run(args)
    _refuse_other_approaches(args)
    values = defaults()
    loaded = {}
    if args.config:
        loaded = read_json(Path(args.config), "a JSON object of training options")
        if not isinstance(loaded, dict):
            raise InputError("expected a JSON object of training options", path=args.config)
        loaded = loaded.get("config", loaded)  # a run's config.json works too
    given = {k: getattr(args, k) for k in defaults() if getattr(args, k, None) is not None}
    saved = _saved_problem(args.run_dir) if args.resume else None  # a run resumes its own problem
    spec = registry.get(given.get("problem") or saved or loaded.get("problem") or registry.names()[0])
    if spec.rewrite_problem is None:
        raise InputError(f"{spec.name} has no learned policy to train yet")
    values.update(spec.train_presets)  # the problem's defaults, then the file, then the flags
    values.update(loaded)
    values.update(given)
    values["problem"] = spec.name
    try:
        if args.resume:
            cfg = _resume(args, spec, given)
        else:
            values["problem_options"] = _problem_options(spec, values, args)
            cfg = TrainConfig.from_dict(values)
        problem = spec.rewrite_problem(cfg.problem_options)
    except (ValueError, FileNotFoundError) as exc:
        option = getattr(exc, "option", None)
        if args.config and option in loaded and option not in given:
            raise InputError(str(exc), path=args.config) from None  # the file gave it
        raise InputError(str(exc)) from None
    command = "rewriter " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv else None
    rank = world_rank()  # under torchrun, rank 0 alone speaks: the others fail or stop silently
    try:
        summary = train(cfg, problem, args.run_dir, resume=args.resume,
                        progress=long_progress(None, args.quiet), command=command)
    except (FileExistsError, FileNotFoundError, InputError) as exc:
        if rank:
            return 2
        if isinstance(exc, InputError):
            raise
        raise InputError(str(exc)) from None
    except (KeyboardInterrupt, SystemError) as exc:
        if not is_interrupt(exc):  # a SystemError that is no Ctrl-C is a bug: show it
            raise
        if not rank:
            print(f"rewriter: training interrupted; continue with the same command and --resume "
                  f"(run directory {args.run_dir})", file=sys.stderr)
        return 130
    if not args.quiet and not rank:
        best = "-" if summary.best_validation is None else f"{summary.best_validation:.2f}%"
        print(f"{summary.status}: {summary.iterations} iterations in {summary.wall_s / 60:.1f} min; "
              f"best validation improvement {best}; model: {Path(args.run_dir) / 'model.pt'}")
    return 0


def _saved_problem(run_dir) -> str | None:
    """The problem a run directory's config.json names (None when there is none to read)."""
    try:
        data = read_json(Path(run_dir) / "config.json", "a run's config.json")
        return data["config"]["problem"] or None
    except (ValueError, KeyError, TypeError):  # InputError included
        return None  # resume_config says what is wrong with it


def _resume(args, spec, given: dict):
    """The saved config; options repeated from it are fine, a different one is refused by name."""
    from ..learn.train import resume_config

    names = tuple(o.name for o in spec.train_options)
    saved = resume_config(args.run_dir, problem_options=names)
    if args.config:
        raise InputError("--resume continues the saved config; --config cannot be given with it")
    changed = []
    for key, value in given.items():
        if key in ("iterations", "time_limit_minutes"):
            continue
        if getattr(saved, key, None) != value:
            changed.append(key)
    for name in _given_train_options(args):
        if saved.problem_options.get(name) != getattr(args, name):
            changed.append(name)
    if changed:
        raise InputError("--resume continues the saved config; these differ from it: "
                         + ", ".join("--" + c.replace("_", "-") for c in changed)
                         + " (only --iterations and --time-limit-minutes may change)")
    return resume_config(args.run_dir, given.get("iterations"), given.get("time_limit_minutes"),
                         problem_options=names)
