"""``rewriter warmup``: compile every method's numba kernels into numba's cache ahead of time."""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from .. import registry, warmup
from ..errors import InputError
from .common import FORMATTER

EPILOG = """\
numba compiles a kernel the first time it is called and keeps the result in its cache (beside
the package's sources, or in ~/.cache/numba), so only the first run after an install pays for
it. `make install` runs this command; run it yourself after `pip install`, or before timing
anything. `rewriter solve` prepares the kernels it needs before its clock starts in any case,
so a cold cache never eats into --time-limit; it only delays the start.

examples:
  rewriter warmup                                  # every policy of every problem
  rewriter warmup --problem fjsp                   # the flexible shop's policies
  rewriter warmup --problem jssp --policy controlled,tabu
"""


def add_parser(sub) -> None:
    p = sub.add_parser("warmup", formatter_class=FORMATTER,
                       epilog=EPILOG,
                       help="compile the numba kernels of every method once, ahead of time",
                       description="Run each policy once on its problem's small warm-up instance "
                                   "so that numba compiles its kernels into its cache; later runs "
                                   "load them in a fraction of a second.")
    p.add_argument("--problem", choices=registry.names(), action="append", default=None,
                   help="only this problem (repeatable; default: every problem)")
    p.add_argument("--policy", metavar="P[,P...]", default=None,
                   help="only these policies (default: every policy of each problem)")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), metavar="N",
                   help="problems compiled side by side in N processes (default: %(default)s)")


def run(args) -> int:
    problems = args.problem or registry.names()
    wanted = None if args.policy is None else [p.strip() for p in args.policy.split(",") if p.strip()]
    jobs = [(spec, policy) for spec in map(registry.get, problems)
            for policy in spec.policies if wanted is None or policy in wanted]
    unknown = sorted(set(wanted or ()) - {policy for _, policy in jobs})
    if unknown:
        raise InputError(f"--policy {','.join(unknown)}: not a policy of "
                         f"{', '.join(problems)}")
    if args.jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {args.jobs}")
    started = time.perf_counter()
    groups = [[p for s, p in jobs if s.name == name] for name in problems]
    tasks = [(name, policies) for name, policies in zip(problems, groups) if policies]
    if args.jobs == 1 or len(tasks) == 1:
        for name, policies in tasks:
            _prepare_problem(name, policies, report=True)
    else:
        # each problem's kernels in a process of their own (numba compiles on one core)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(args.jobs, len(tasks)), mp_context=context) as pool:
            for lines in pool.map(_prepare_problem, *zip(*tasks)):
                for line in lines:
                    print(line, file=sys.stderr, flush=True)
    print(f"kernels ready: {len(jobs)} methods in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    return 0


def _prepare_problem(name: str, policies: list[str], report: bool = False) -> list[str]:
    """Prepare ``policies`` of problem ``name``; a line per policy, printed at once if
    ``report``, else returned."""
    spec, lines = registry.get(name), []
    for policy in policies:
        seconds = warmup.prepare(spec, init=spec.default_init, policy=policy, stream=_Quiet())
        lines.append(f"{name:5} {policy:13} {seconds:6.1f} s")
        if report:
            print(lines[-1], file=sys.stderr, flush=True)
    return lines


class _Quiet:
    """A stream for :func:`warmup.prepare`'s notice that keeps nothing: this command prints its
    own line per method."""

    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass
