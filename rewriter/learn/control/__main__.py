"""``python -m rewriter.learn.control train --run-dir DIR [--resume] [--OPTION VALUE ...]``: train a
controller of tabu search; every option is a field of :class:`~.config.ControlConfig`."""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import fields

from ...core import interrupt
from ...errors import InputError, is_interrupt
from .config import HELP, ControlConfig


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m rewriter.learn.control",
                                description="Train a controller of tabu search (docs/control.md).")
    p.add_argument("command", choices=("train",))
    p.add_argument("--run-dir", required=True,
                   help="the run directory: config, log, curves, checkpoints and the model")
    p.add_argument("--resume", action="store_true",
                   help="continue the run (only --iterations and --time-limit-minutes may change)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    defaults = ControlConfig()
    for f in fields(ControlConfig):
        default = getattr(defaults, f.name)
        kind = (lambda s: s.split(",")) if isinstance(default, list) else (
            float if f.name == "time_limit_minutes" else type(default))
        p.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=kind, default=None,
                       help=f"{HELP[f.name]} (default: {default})")
    return p


def main(argv=None) -> int:
    from ..construct.train import resume_construct_config
    from ..checkpoint import check_resume_options
    from .train import APPROACH, train_control

    args = parser().parse_args(argv)
    given = {f.name: getattr(args, f.name) for f in fields(ControlConfig)
             if getattr(args, f.name) is not None}
    try:
        if args.resume:
            check_resume_options(given, ("iterations", "time_limit_minutes"))
            cfg = resume_construct_config(args.run_dir, given.get("iterations"),
                                          given.get("time_limit_minutes"), ControlConfig, APPROACH)
        else:
            cfg = ControlConfig.from_dict(given)
        command = "python -m rewriter.learn.control " + " ".join(map(shlex.quote, sys.argv[1:] if argv is None else argv))
        with interrupt.recording():
            summary = train_control(cfg, args.run_dir, resume=args.resume,
                                    progress="off" if args.quiet else "lines", command=command)
    except (InputError, FileExistsError, FileNotFoundError) as exc:
        print(f"rewriter: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, SystemError) as exc:
        if not is_interrupt(exc):  # a SystemError that is no Ctrl-C is a bug: show it
            raise
        print("rewriter: training interrupted; continue it with python -m rewriter.learn.control train "
              f"--run-dir {shlex.quote(str(args.run_dir))} --resume", file=sys.stderr)
        return 130
    if not args.quiet:
        print(f"{summary['status']}: {summary['iterations']} iterations in "
              f"{summary['wall_s'] / 60:.1f} min; best validation gap "
              f"{summary['best_validation']}% (hand rule {summary['hand_validation']:.3f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
