"""Cold and warm starts side by side: what a first run after an install costs, and where.

Each command runs in a fresh process with an empty numba cache (cold), then again with the cache
that run filled (warm), ``--repeats`` times each; the table gives the wall time, the search time
the result reports (``runtime_s``), the preparing before the clock (``compile_s``), the steps and
the final objective, with means and standard errors over the repeats and the cold / warm ratio
of wall times. ``--kernels`` adds the cold compile time of each kernel of one command (numba's
``numba:compile`` events, nested compiles subtracted), the figures to cut the cold cost by.

    python benchmarks/bench_cold_start.py --repeats 3 --out benchmarks/results/cold_start.md
    python benchmarks/bench_cold_start.py --kernels "solve mk01 --time-limit 5 --seed 0"

Run it on a quiet machine: compiling is CPU-bound, and a second busy core doubles it.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = (
    "solve mk01 --time-limit 5 --seed 0",          # the case: optimum 40 in 5 s
    "solve ta41 --init mwkr --seed 0",             # make demo: 500,000 controlled tabu moves
    "solve ft06 --seed 0",                         # a first solve after an install
    "solve mrt_d20_test_00000 --steps 50 --seed 0",
)

KERNEL_PROBE = r"""
import json, sys, time
from numba.core import event
stack, own = [], {}
class Timer(event.Listener):
    def on_start(self, ev):
        d = ev.data["dispatcher"]
        stack.append([d.py_func.__module__ + "." + d.py_func.__qualname__, time.perf_counter(), 0.0])
    def on_end(self, ev):
        name, t0, nested = stack.pop()
        spent = time.perf_counter() - t0
        own[name] = own.get(name, 0.0) + spent - nested
        if stack:
            stack[-1][2] += spent
event.register("numba:compile", Timer())
from rewriter.cli import main
code = main(sys.argv[1:])
json.dump(own, open(sys.argv[0] + ".json", "w"))
sys.exit(code)
"""


def run_once(command: str, cache: str, out: Path) -> dict:
    """One run of ``rewriter COMMAND --out OUT --quiet`` with numba's cache in ``cache``."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache}
    argv = [sys.executable, "-m", "rewriter", *shlex.split(command), "--out", str(out), "--quiet"]
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - started
    record = json.loads(out.read_text())
    objective = next(k for k in ("makespan", "weighted_tardiness", "average_slowdown")
                     if k in record)
    return {"wall": wall, "search": record["runtime_s"], "compile": record.get("compile_s", 0.0),
            "steps": record["steps"], "objective": record[objective]}


def measure(command: str, repeats: int) -> dict:
    """Cold and warm runs of ``command``, ``repeats`` of each (a fresh cache for each cold)."""
    runs = {"cold": [], "warm": []}
    with tempfile.TemporaryDirectory() as scratch:
        for r in range(repeats):
            cache = tempfile.mkdtemp(dir=scratch)
            out = Path(scratch) / f"schedule{r}.json"
            runs["cold"].append(run_once(command, cache, out))
            runs["warm"].append(run_once(command, cache, out))
            print(f"{command}: repeat {r + 1}/{repeats}: cold {runs['cold'][-1]['wall']:.1f} s, "
                  f"warm {runs['warm'][-1]['wall']:.1f} s", file=sys.stderr, flush=True)
    return runs


def mean_se(values: list[float]) -> str:
    mean = statistics.fmean(values)
    if len(values) < 2:
        return f"{mean:.2f}"
    return f"{mean:.2f} ± {statistics.stdev(values) / len(values) ** 0.5:.2f}"


def table(results: dict[str, dict]) -> str:
    lines = ["| command | start | wall s | search s | compile s | steps | objective |",
             "|---|---|---|---|---|---|---|"]
    for command, runs in results.items():
        for start in ("cold", "warm"):
            rows = runs[start]
            lines.append(f"| `rewriter {command}` | {start} | "
                         + " | ".join(mean_se([r[k] for r in rows])
                                      for k in ("wall", "search", "compile", "steps", "objective"))
                         + " |")
        ratio = statistics.fmean(r["wall"] for r in runs["cold"]) / statistics.fmean(
            r["wall"] for r in runs["warm"])
        lines.append(f"| | cold / warm wall | {ratio:.2f} | | | | |")
    return "\n".join(lines)


def kernels(command: str) -> str:
    """The cold compile time of each kernel of one run of ``command``, largest first."""
    with tempfile.TemporaryDirectory() as scratch:
        probe = Path(scratch) / "probe.py"
        probe.write_text(KERNEL_PROBE)
        env = {**os.environ, "NUMBA_CACHE_DIR": scratch}
        started = time.perf_counter()
        subprocess.run([sys.executable, str(probe), *shlex.split(command), "--quiet"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        own = json.loads(Path(str(probe) + ".json").read_text())
    lines = [f"`rewriter {command}`, cold: {wall:.1f} s of wall time, "
             f"{sum(own.values()):.1f} s compiling", "",
             "| kernel | own compile s |", "|---|---|"]
    lines += [f"| `{name}` | {seconds:.2f} |"
              for name, seconds in sorted(own.items(), key=lambda kv: -kv[1]) if seconds >= 0.1]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", nargs="+", default=list(COMMANDS), metavar="CMD",
                        help="rewriter commands to time, each one quoted string")
    parser.add_argument("--repeats", type=int, default=3, help="cold and warm runs of each")
    parser.add_argument("--kernels", metavar="CMD", help="the per-kernel compile times of CMD")
    parser.add_argument("--out", help="also write the markdown here")
    args = parser.parse_args(argv)
    text = (kernels(args.kernels) if args.kernels
            else table({c: measure(c, args.repeats) for c in args.commands}))
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
