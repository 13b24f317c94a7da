"""``rewriter warmup``: compile every method's numba kernels into numba's cache ahead of time."""

from __future__ import annotations

import sys
import time

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


def run(args) -> int:
    problems = args.problem or registry.names()
    wanted = None if args.policy is None else [p.strip() for p in args.policy.split(",") if p.strip()]
    jobs = [(spec, policy) for spec in map(registry.get, problems)
            for policy in spec.policies if wanted is None or policy in wanted]
    unknown = sorted(set(wanted or ()) - {policy for _, policy in jobs})
    if unknown:
        raise InputError(f"--policy {','.join(unknown)}: not a policy of "
                         f"{', '.join(problems)}")
    started = time.perf_counter()
    for spec, policy in jobs:
        seconds = warmup.prepare(spec, init=spec.default_init, policy=policy, stream=_Quiet())
        print(f"{spec.name:5} {policy:13} {seconds:6.1f} s", file=sys.stderr, flush=True)
    print(f"kernels ready: {len(jobs)} methods in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    return 0


class _Quiet:
    """A stream for :func:`warmup.prepare`'s notice that keeps nothing: this command prints its
    own line per method."""

    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass
