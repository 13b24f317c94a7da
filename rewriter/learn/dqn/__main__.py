"""``python -m rewriter.learn.dqn train --run-dir runs/NAME [--resume] [--FIELD VALUE ...]``:
train a DQN dispatcher; every :class:`~rewriter.learn.dqn.config.DQNConfig` field is an option."""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import fields

from ...core import interrupt
from ...errors import InputError, is_interrupt
from .config import DQNConfig


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m rewriter.learn.dqn",
                                description="Train the flexible-shop DQN dispatcher on random "
                                            "compatibility instances (docs/fjsp_dqn.md).")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train into a new run directory, or resume one")
    t.add_argument("--run-dir", required=True, metavar="DIR",
                   help="the run directory: config, log, curves, checkpoint and the models")
    t.add_argument("--resume", action="store_true",
                   help="continue the run in --run-dir from its last checkpoint (only --episodes "
                        "and --time-limit-minutes may change)")
    t.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    defaults = DQNConfig()
    for f in fields(DQNConfig):
        value = getattr(defaults, f.name)
        flag = "--" + f.name.replace("_", "-")
        if isinstance(value, tuple):
            kind = int if value and isinstance(value[0], int) else str
            t.add_argument(flag, dest=f.name, default=None, metavar="A,B",
                           type=lambda s, k=kind: tuple(k(x) for x in s.split(",") if x.strip()),
                           help=f"(default: {','.join(map(str, value))})")
        elif isinstance(value, bool):
            t.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None,
                           help=f"(default: {value})")
        else:
            kind = float if f.name == "time_limit_minutes" else type(value)
            t.add_argument(flag, dest=f.name, type=kind, default=None,
                           help=f"(default: {value})")
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and train; an :class:`InputError` is one line on stderr and exit code 2."""
    from ..checkpoint import check_resume_options
    from .train import resume_config, train

    args = _parser().parse_args(argv)
    given = {f.name: getattr(args, f.name) for f in fields(DQNConfig)
             if getattr(args, f.name) is not None}
    argv = sys.argv[1:] if argv is None else argv
    command = "python -m rewriter.learn.dqn " + " ".join(shlex.quote(a) for a in argv)
    try:
        if args.resume:
            check_resume_options(given, ("episodes", "time_limit_minutes"))
            cfg = resume_config(args.run_dir, given.get("episodes"),
                                given.get("time_limit_minutes"))
        else:
            cfg = DQNConfig.from_dict(given)
        with interrupt.recording():
            summary = train(cfg, args.run_dir, resume=args.resume,
                            progress="off" if args.quiet else "lines", command=command)
    except (InputError, FileExistsError) as exc:
        print(f"rewriter: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, SystemError) as exc:
        if not is_interrupt(exc):  # a SystemError that is no Ctrl-C is a bug: show it
            raise
        print("rewriter: training interrupted; continue it from its last validation with "
              f"python -m rewriter.learn.dqn train --run-dir {shlex.quote(str(args.run_dir))} "
              "--resume", file=sys.stderr)
        return 130
    if not args.quiet:
        print(f"{summary.status}: {summary.episodes} episodes, {summary.steps} steps in "
              f"{summary.wall_s / 60:.1f} min; best validation return {summary.best_validation}; "
              f"model: {summary.run_dir / 'model.pt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
