"""Industrial-size job shops side by side (issue 36): the start rule, our tabu search, CP-SAT and
today's tabu (a checkout of an older commit) at the same time budget, resumable, with the
collection's published engine figures as quoted columns.

    python benchmarks/bench_industrial.py --seconds 60 --baseline-src /tmp/rewriter_b58261a \\
        --out benchmarks/results/industrial.md
    python benchmarks/bench_industrial.py --quick          # one small instance, 2 s, a smoke test

Instances (``--data``, default the repository's ``instances/large``: the ScheduleOpt collection's
large job shops, CC BY-SA 4.0, see its NOTICE): Da Col & Teppan's ``tai_100_100_1-5``, ``tai_1000_100_1-5``, ``tai_1000_1000_1-5``
(zipped standard format) and re-entrant ``dct`` ids 1-2, and Boveroux, Ernst & Louveaux's
``bel00-13``. ``--instances`` picks by family (``tai_1000_100``, ``bel``, ``dct``), name or glob
(``bel0*``), comma-separated; ``--files`` adds plain instance files by path.

Methods (``--methods``): ``mwkr`` the start rule alone; ``tabu`` our tabu search from MWKR for
``--seconds`` (the start rule inside the budget); ``cpsat`` OR-Tools CP-SAT for ``--seconds`` with
``--cpsat-workers`` threads, only up to ``--cpsat-max-ops`` operations (larger: "not run");
``baseline`` the same tabu run by the code checked out at ``--baseline-src`` (e.g. ``git worktree
add /tmp/rewriter_b58261a b58261a``), imported from there with its own numba cache; that code
reads plain text only, so zipped instances are extracted to ``--cache-dir`` first, and a file it
cannot read (the re-entrant ones) is recorded as "refused".

Every run is a fresh process (its peak memory is its own; a crash or a timeout is a row, not the
end). Each finished run is appended to ``--results`` (JSON lines, flushed and fsynced); a rerun
skips the (instance, method, seed) rows already there (``--retry-failed`` reruns the crashed,
timed-out and refused ones). The schedule of every run is checked again, after the timing, by
the package's independent validator (``spec.check_schedule`` on the schedule JSON); an invalid
one is a row with status INVALID, reported loudly. ``--out FILE.md`` gets one table per family
(mean gap to the best known upper bound +- standard error over instances and seeds, moves per
second, wall time, peak memory, the published 600 s engine figures, the issue's targets with met /
not met / within noise) and ``FILE.csv`` the same summary as CSV. ``--table-only`` rebuilds them
from the results file.
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import io
import json
import math
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[1] / "instances" / "large"
DEFAULT_CACHE = Path("/tmp/rewriter_bench_industrial")
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_FAMILIES = ("tai_100_100", "tai_1000_100", "tai_1000_1000", "bel", "dct")
#: where each family's files are, as (folder under --data, file name pattern)
FAMILY_FILES = {
    "tai": ("DacolTeppan2022/standard", re.compile(r"(tai_\d+_\d+_[1-5])\.zip$")),
    "dct": ("DacolTeppan2022/reentrant", re.compile(r"(dct-(?:long|short)-\d+-\d+-[12])\.zip$")),
    "bel": ("BoverouxErnstLouveaux2025", re.compile(r"(bel\d\d)\.txt$")),
}
METHODS = ("mwkr", "tabu", "cpsat", "baseline")
LABELS = {"mwkr": "MWKR (start rule alone)", "tabu": "tabu from MWKR",
          "cpsat": "CP-SAT", "baseline": "today's tabu"}
#: the collection's standardized engine benchmark: 600 s per instance, 4-core laptop
PUBLISHED = (("OptalCP", "results_optalcp_2026_4_0_maxpropagation.json"),
             ("CP-SAT", "results_cpsat_9_15_6755.json"),
             ("CP Optimizer", "results_cpo_22_1_1_0.json"))
PUBLISHED_NOTE = "published, 600 s, 4-core laptop, ScheduleOpt/benchmarks"
#: issue 36's moves in 60 s of today's tabu (seed 0), the reference when no baseline ran
TODAY_MOVES_PER_MINUTE = {"tai_1000_100": 5394, "tai_1000_1000": 502}
#: issue 36's gap targets (mean gap % of our tabu at or below), with what they are
GAP_TARGETS = {"tai_100_100": (2.40, "OptalCP's published 600 s mean (2.40%)"),
               "tai_1000_100": (1.90, "OptalCP's published 600 s mean (1.90%)"),
               "tai_1000_1000": (9.18, "OptalCP's published 600 s mean (9.18%)"),
               "bel": (0.0, "the optimum on every instance"),
               "dct": (1.0, "within 1% of the optimum (600000)")}
WALL_TARGETS = {"tai_1000_1000": 90.0}  # a validated schedule within 90 s of wall, load included
SPEEDUP_TARGET = 50.0  # moves per second at 10^5 and 10^6 operations: 50x today's
OK, INVALID, NOT_RUN = "ok", "INVALID", "not run"
RETRIED = ("crashed", "timeout", "refused", "failed", "no schedule")


# ---- instances -----------------------------------------------------------------------------------
def family_of(name: str) -> str:
    """tai_1000_100_3 -> tai_1000_100; bel07 -> bel; dct-long-100-10000-1 -> dct; else the name."""
    match = re.fullmatch(r"(tai_\d+_\d+)_\d+", name)
    if match:
        return match.group(1)
    for family in ("bel", "dct"):
        if name.startswith(family):
            return family
    return name


def catalog(data: Path) -> dict[str, Path]:
    """Every instance file of the collection under ``data``, by instance name."""
    found = {}
    for folder, pattern in FAMILY_FILES.values():
        directory = data / folder
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            match = pattern.fullmatch(path.name)
            if match:
                found[match.group(1)] = path
    return found


def select(available: dict[str, Path], spec: str | None) -> list[str]:
    """The names ``spec`` picks (comma-separated families, names or globs), in :func:`run_order`;
    without one the default families. An unmatched part is an error naming it."""
    parts = [p.strip() for p in (spec or ",".join(DEFAULT_FAMILIES)).split(",") if p.strip()]
    chosen = []
    for part in parts:
        hits = [n for n in available
                if family_of(n) == part or n == part or fnmatch.fnmatchcase(n, part)]
        if not hits:
            raise SystemExit(f"--instances: {part!r} matches no instance (families: "
                             f"{', '.join(sorted({family_of(n) for n in available}))})")
        chosen += [n for n in hits if n not in chosen]
    return sorted(chosen, key=run_order)


def run_order(name: str) -> tuple:
    """Families in the issue's order (smallest tai first), then the rest; within a family the
    names with their numbers compared as numbers."""
    family = family_of(name)
    rank = DEFAULT_FAMILIES.index(family) if family in DEFAULT_FAMILIES else len(DEFAULT_FAMILIES)
    return (rank, [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)])


def parse_seeds(text: str) -> list[int]:
    """'0' -> [0]; '0-4' -> [0..4]; '0,3,7' -> [0, 3, 7]."""
    seeds = []
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        seeds += list(range(int(low), int(high) + 1)) if high else [int(low)]
    return seeds


def plain_text(path: Path, name: str, cache: Path) -> Path:
    """``path`` itself, or the one file of a zip extracted once to ``cache/NAME.txt`` (for code
    that reads plain text only)."""
    if path.suffix != ".zip":
        return path
    target = cache / "instances" / f"{name}.txt"
    if not target.exists():
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise ValueError(f"{path}: expected one file in the zip, found {len(members)}")
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            partial.write_bytes(archive.read(members[0]))
            partial.replace(target)
    return target


# ---- one run, in its own process -----------------------------------------------------------------
def child(job: dict) -> dict:
    """Load, warm the kernels, solve, measure, validate: one run's row (printed as JSON by
    ``--child``). Uses only what both today's and the baseline's package offer."""
    import resource

    import rewriter
    from rewriter import registry, warmup
    from rewriter.errors import InputError, NoSchedule
    from numba.core import event  # after rewriter: it points numba at a usable cache first

    compiled = []

    class Counter(event.Listener):  # numba compiling for real (a cache hit emits no event)
        def on_start(self, ev):
            compiled.append(ev.data["dispatcher"].py_func.__qualname__)

        def on_end(self, ev):
            pass

    event.register("numba:compile", Counter())
    row = {"code": str(Path(rewriter.__file__).resolve().parent.parent)}
    method, seconds = job["method"], job["seconds"]
    if method == "baseline" and Path(row["code"]) != Path(job["baseline_src"]).resolve():
        raise SystemExit(f"the baseline imported the package from {row['code']}, not from "
                         f"{job['baseline_src']}")  # never today's code under the old one's name
    try:
        tic = time.perf_counter()
        inst = rewriter.load_instance(job["path"])
        row["load_s"] = time.perf_counter() - tic
    except InputError as exc:
        return {**row, "status": "refused", "note": str(exc)}
    row["n_ops"] = int(inst.n_operations)
    spec = registry.for_instance(inst)
    if method == "cpsat" and inst.n_operations > job["cpsat_max_ops"]:
        return {**row, "status": NOT_RUN,
                "note": f"{inst.n_operations} operations > --cpsat-max-ops {job['cpsat_max_ops']}"}
    policy = "none" if method == "mwkr" else "tabu"
    tic = time.perf_counter()
    if method != "cpsat":
        warmup.prepare(spec, init="mwkr", policy=policy, options={})
    row["compile_s"] = time.perf_counter() - tic
    row["compiled"] = len(compiled)
    t0 = time.perf_counter()
    try:
        if method == "cpsat":
            result = rewriter.solve(inst, method="cpsat", time_limit=seconds,
                                    workers=job["cpsat_workers"], seed=job["seed"])
        else:
            from rewriter.jssp.solve import initial_solution

            start = initial_solution(inst, "mwkr")
            row["start_s"] = time.perf_counter() - t0
            budget = dict(steps=0) if method == "mwkr" else dict(steps=None, time_limit=seconds)
            result = rewriter.solve(inst, init="mwkr", policy=policy, seed=job["seed"],
                                    start=start, started=t0, warm_up=False, **budget)
    except NoSchedule as exc:
        return {**row, "status": "no schedule", "note": str(exc),
                "solve_s": time.perf_counter() - t0, "peak_rss_mib": _peak_rss_mib(resource)}
    row["solve_s"] = time.perf_counter() - t0  # start + search + the package's own result check
    row["peak_rss_mib"] = _peak_rss_mib(resource)  # before this benchmark's own check below
    row.update(makespan=int(result.makespan), steps=int(result.steps), status_solver=result.status,
               runtime_s=float(result.runtime_s),  # the solver's own clock (its time limit's)
               search_s=float(result.runtime_s) - row.get("start_s", 0.0))
    tic = time.perf_counter()
    problems, value = spec.check_schedule(inst, result.to_dict(), f"{inst.name} ({method})")
    row["validate_s"] = time.perf_counter() - tic
    if not problems and int(value) != row["makespan"]:
        problems = [f"the validator's makespan {value} is not the reported {row['makespan']}"]
    row["status"] = INVALID if problems else OK
    if problems:
        row["note"] = "; ".join(map(str, problems[:5]))
    return row


def _peak_rss_mib(resource) -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_job(job: dict, env: dict, timeout: float) -> dict:
    """``job`` in a fresh interpreter; its row, or a row saying how it failed."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(job)]
    tic = time.perf_counter()
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                              cwd=str(Path(__file__).resolve().parent))
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "note": f"killed after {timeout:g} s", "wall_s": timeout}
    wall = time.perf_counter() - tic
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return {"status": "crashed", "note": tail[:500], "wall_s": wall}
    row = json.loads(lines[-1])
    row["wall_s"] = wall
    return row


def method_env(method: str, baseline_src: Path | None, cache: Path) -> dict | None:
    """The child's environment: the baseline imports the package from its checkout, with a numba
    cache of its own; None when the baseline has no checkout."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if method != "baseline":
        return env
    if baseline_src is None:
        return None
    env["PYTHONPATH"] = str(baseline_src)
    env["NUMBA_CACHE_DIR"] = str(cache / f"numba-{baseline_label(baseline_src)}")
    return env


def baseline_label(baseline_src: Path | None) -> str:
    """The baseline checkout's short commit (or its folder name)."""
    if baseline_src is None:
        return "baseline"
    try:
        return subprocess.run(["git", "-C", str(baseline_src), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return baseline_src.name


def finish_row(row: dict, job: dict, bks: dict, slack: float) -> dict:
    """The row's derived fields: gap, moves per second, the limit kept, cold or warm."""
    name, method = job["name"], job["method"]
    row.update(instance=name, family=family_of(name), method=method, seed=job["seed"],
               seconds=job["seconds"],
               finished=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    if method == "baseline":
        row["baseline"] = job.get("baseline", "")
    if method == "cpsat":
        row["cpsat_workers"], row["cpsat_max_ops"] = job["cpsat_workers"], job["cpsat_max_ops"]
    ub = bks.get(name)
    row["bks"] = ub
    if row.get("makespan") is not None and ub:
        row["gap"] = 100.0 * (row["makespan"] - ub) / ub
    # a search that proved the optimum within a second (bel: MWKR is often optimal) has no rate
    # worth averaging; one that ran and made no move has a rate of 0
    searched = row.get("status_solver") != "optimal" or row.get("search_s", 0.0) >= 1.0
    if method in ("tabu", "baseline") and row.get("steps") is not None and searched:
        row["moves_per_s"] = row["steps"] / max(row["search_s"], 1e-9)
    if row.get("solve_s") is not None and method != "mwkr":
        row["limit_kept"], row["slack"] = row["solve_s"] <= job["seconds"] + slack, slack
    if row.get("wall_s") is not None:
        row["user_wall_s"] = row["wall_s"] - row.get("validate_s", 0.0)
    if "compiled" in row:
        row["cache"] = "cold" if row["compiled"] else "warm"
    return row


# ---- results file --------------------------------------------------------------------------------
def read_rows(path: Path) -> list[dict]:
    """The results file's rows; a torn last line (a run killed mid-write) is skipped."""
    if not path.exists():
        return []
    rows = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            if number != len(lines):
                raise SystemExit(f"{path}, line {number}: not a JSON record") from None
    return rows


def append_row(path: Path, row: dict) -> None:
    """One line, flushed and fsynced (a torn last line set aside first): the package's writer."""
    from rewriter.compare.grid import append_result

    path.parent.mkdir(parents=True, exist_ok=True)
    append_result(path, row)


def latest(rows: list[dict]) -> dict[tuple, dict]:
    """The last row of each (instance, method, seed)."""
    return {(r["instance"], r["method"], r["seed"]): r for r in rows}


def is_finished(row: dict | None, job: dict, retry_failed: bool) -> bool:
    if row is None or (retry_failed and row["status"] in RETRIED):
        return False
    if row["status"] == NOT_RUN and row.get("cpsat_max_ops") != job.get("cpsat_max_ops"):
        return False  # skipped under another size limit
    return row.get("seconds") == job["seconds"]


# ---- reference figures ---------------------------------------------------------------------------
def read_bks(data: Path) -> dict[str, int]:
    """Best-known upper bound per instance (``solutions/bks.json``: a list of records with
    ``instance`` and ``upper_bound``)."""
    path = data / "solutions" / "bks.json"
    if not path.is_file():
        return {}
    return {r["instance"]: r["upper_bound"] for r in json.loads(path.read_text())
            if r.get("upper_bound") is not None}


def read_published(data: Path) -> dict[str, dict[str, int | None]]:
    """Per engine, per instance, the best upper bound of the collection's 600 s benchmark (None:
    the engine found no schedule)."""
    out = {}
    for engine, filename in PUBLISHED:
        path = data / "solutions" / filename
        if path.is_file():
            out[engine] = {r["instance"]: (r.get("ub") or {}).get("value")
                           for r in json.loads(path.read_text())}
    return out


# ---- tables --------------------------------------------------------------------------------------
def mean_se(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    mean = statistics.fmean(values)
    return mean, (statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else None)


def fmt(value, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value.is_integer() and digits == 0:
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def fmt_gap(gap: float) -> str:
    """A gap in percent, signed; more digits for one that two would show as 0.00 (not optimal)."""
    return f"{gap:+.2f}%" if gap == 0 or abs(gap) >= 0.005 else f"{gap:+.4f}%"


def fmt_mean_se(mean, se, digits: int = 2) -> str:
    if mean is None:
        return "-"
    return fmt(mean, digits) + ("" if se is None else f" ± {fmt(se, digits)}")


def verdict(mean, se, target: float, higher_is_better: bool = False) -> str:
    """met / within noise (within two standard errors of the target) / not met."""
    if mean is None:
        return "no runs"
    if (mean >= target) if higher_is_better else (mean <= target + 1e-9):
        return "met"
    if se is not None and abs(mean - target) <= 2 * se:
        return "within noise"
    return "not met"


def summarise(rows: list[dict], published: dict, bks: dict, baseline: str) -> list[dict]:
    """One summary row per (family, method) measured, then one per published engine."""
    out = []
    by_family: dict[str, list[dict]] = {}
    for r in rows:
        by_family.setdefault(r["family"], []).append(r)
    for family, frows in by_family.items():
        for method in [m for m in METHODS if any(r["method"] == m for r in frows)]:
            mrows = [r for r in frows if r["method"] == method]
            ok = [r for r in mrows if r["status"] == OK]
            gaps = [r["gap"] for r in ok if r.get("gap") is not None]
            gap, gap_se = mean_se(gaps)
            mps, mps_se = mean_se([r["moves_per_s"] for r in ok
                                   if r.get("moves_per_s") is not None])
            kept = [r["limit_kept"] for r in ok if r.get("limit_kept") is not None]
            other = sorted({r["status"] for r in mrows} - {OK})
            out.append({
                "family": family, "method": method,
                "label": LABELS[method] + (f" ({baseline})" if method == "baseline" else ""),
                "source": "measured", "runs": len(mrows), "ok": len(ok),
                "invalid": sum(r["status"] == INVALID for r in mrows),
                "other": ", ".join(f"{s} {sum(r['status'] == s for r in mrows)}"
                                   for s in other if s != INVALID),
                "n_ops": mean_se([r["n_ops"] for r in mrows if r.get("n_ops")])[0],
                "gap": gap, "gap_se": gap_se, "optimal": sum(g <= 1e-9 for g in gaps),
                "moves_per_s": mps, "moves_per_s_se": mps_se,
                "load_s": mean_se([r["load_s"] for r in ok if "load_s" in r])[0],
                "start_s": mean_se([r["start_s"] for r in ok if "start_s" in r])[0],
                "wall_s": mean_se([r["wall_s"] for r in ok])[0],
                "user_wall_max_s": max((r["user_wall_s"] for r in ok if "user_wall_s" in r),
                                       default=None),
                "peak_rss_mib": max((r["peak_rss_mib"] for r in ok if "peak_rss_mib" in r),
                                    default=None),
                "limit_kept": f"{sum(kept)}/{len(kept)}" if kept else "-",
                "cold": sum(r.get("cache") == "cold" for r in mrows),
            })
        names = sorted({r["instance"] for r in frows})
        for engine, ubs in published.items():
            found = [n for n in names if ubs.get(n) is not None and bks.get(n)]
            gaps = [100.0 * (ubs[n] - bks[n]) / bks[n] for n in found]
            gap, gap_se = mean_se(gaps)
            out.append({"family": family, "method": engine, "label": f"{engine} ({PUBLISHED_NOTE})",
                        "source": "published", "runs": len(names), "ok": len(found),
                        "gap": gap, "gap_se": gap_se, "optimal": sum(g <= 1e-9 for g in gaps),
                        "other": f"none found {len(names) - len(found)}"
                                 if len(found) < len(names) else ""})
    return out


def targets(family: str, summary: list[dict], rows: list[dict]) -> list[tuple[str, str, str]]:
    """(target, reached, verdict) of issue 36 for ``family``, judged on our tabu's runs."""
    ours = next((s for s in summary if s["family"] == family and s["method"] == "tabu"), None)
    if ours is None:
        return []
    out = []
    if family in GAP_TARGETS:
        target, what = GAP_TARGETS[family]
        reached = (f"{fmt_mean_se(ours['gap'], ours['gap_se'])} % "
                   f"({ours['optimal']}/{ours['ok']} at gap 0)")
        judged = verdict(ours["gap"], ours["gap_se"], target)
        if target == 0.0:  # "the optimum on every instance" is a count, not a mean
            judged = "met" if ours["optimal"] == ours["ok"] == ours["runs"] else "not met"
        out.append((f"mean gap ≤ {target:g}%: {what}", reached, judged))
    if family in TODAY_MOVES_PER_MINUTE:
        base = next((s for s in summary if s["family"] == family and s["method"] == "baseline"
                     and s["moves_per_s"]), None)
        today = base["moves_per_s"] if base else TODAY_MOVES_PER_MINUTE[family] / 60.0
        source = "measured baseline" if base else "issue 36's figure"
        target = SPEEDUP_TARGET * today
        out.append((f"moves/s ≥ {SPEEDUP_TARGET:g}x today's ({fmt(today, 1)}/s, {source}) = "
                    f"{fmt(target, 0)}/s",
                    fmt_mean_se(ours["moves_per_s"], ours["moves_per_s_se"], 1),
                    verdict(ours["moves_per_s"], ours["moves_per_s_se"], target, True)))
    if family in WALL_TARGETS:
        limit = WALL_TARGETS[family]
        mine = [r for r in rows if r["family"] == family and r["method"] == "tabu"]
        good = [r for r in mine if r["status"] == OK and r.get("user_wall_s", math.inf) <= limit]
        out.append((f"a validated schedule within {limit:g} s of wall time, load included",
                    f"{len(good)}/{len(mine)} runs (slowest {fmt(ours['user_wall_max_s'], 1)} s)",
                    "met" if mine and len(good) == len(mine) else "not met"))
    return out


SUMMARY_COLUMNS = (("method", "label"), ("runs (ok)", None), ("mean gap % ± SE", None),
                   ("at gap 0", "optimal"), ("ops", "n_ops"), ("moves/s ± SE", None),
                   ("load s", "load_s"), ("MWKR s", "start_s"), ("wall s (mean)", "wall_s"),
                   ("wall s (max, load incl.)", "user_wall_max_s"),
                   ("peak RSS MiB (max)", "peak_rss_mib"), ("limit kept", "limit_kept"),
                   ("cold runs", "cold"), ("not counted", "other"))


def summary_cell(s: dict, header: str, key: str | None) -> str:
    if header == "runs (ok)":
        invalid = f", **{s['invalid']} INVALID**" if s.get("invalid") else ""
        return f"{s['runs']} ({s['ok']})" + invalid
    if header == "mean gap % ± SE":
        return fmt_mean_se(s["gap"], s["gap_se"])
    if header == "moves/s ± SE":
        return fmt_mean_se(s.get("moves_per_s"), s.get("moves_per_s_se"), 0)
    value = s.get(key)
    if isinstance(value, float):
        return fmt(value, {"n_ops": 0, "peak_rss_mib": 0, "load_s": 2, "start_s": 2}.get(key, 1))
    return "-" if value in (None, "") else str(value)


def instance_table(family: str, rows: list[dict], published: dict, bks: dict) -> list[str]:
    """Per instance: each method's makespan (gap %, mean over seeds) and the engines' figures."""
    frows = [r for r in rows if r["family"] == family]
    methods = [m for m in METHODS if any(r["method"] == m for r in frows)]
    head = ["instance", "ops", "best known"] + methods + [f"{e} (published)" for e in published]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in sorted({r["instance"] for r in frows}, key=run_order):
        cells = [name, fmt(next((float(r["n_ops"]) for r in frows
                                 if r["instance"] == name and r.get("n_ops")), None), 0),
                 fmt(float(bks[name]), 0) if bks.get(name) else "-"]
        for method in methods:
            mine = [r for r in frows if r["instance"] == name and r["method"] == method]
            cells.append(instance_cell(mine))
        for engine, ubs in published.items():
            ub, ref = ubs.get(name), bks.get(name)
            cells.append("none found" if ub is None else
                         f"{ub:,}" + (f" ({fmt_gap(100.0 * (ub - ref) / ref)})" if ref else ""))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def instance_cell(mine: list[dict]) -> str:
    ok = [r for r in mine if r["status"] == OK]
    if not ok:
        return "; ".join(sorted({r["status"] for r in mine})) or "-"
    makespan = statistics.fmean(r["makespan"] for r in ok)
    gaps = [r["gap"] for r in ok if r.get("gap") is not None]
    text = f"{makespan:,.0f}" + (f" ({fmt_gap(statistics.fmean(gaps))})" if gaps else "")
    moves = [r["moves_per_s"] for r in ok if r.get("moves_per_s") is not None]
    if moves:
        text += f", {statistics.fmean(moves):,.0f} moves/s"
    bad = len(mine) - len(ok)
    return text + (f", {bad} not ok" if bad else "")


def build_tables(rows: list[dict], data: Path, baseline: str,
                 header: str) -> tuple[str, list[dict]]:
    """The markdown report and the summary rows (for the CSV) of ``rows`` (the last of each
    (instance, method, seed))."""
    rows = list(latest(rows).values())
    bks, published = read_bks(data), read_published(data)
    summary = summarise(rows, published, bks, baseline)
    text = [header, ""]
    invalid = [r for r in rows if r["status"] == INVALID]
    if invalid:
        text += ["**INVALID SCHEDULES** (rejected by the validator, left out of every mean): "
                 + "; ".join(f"{r['instance']} {r['method']} seed {r['seed']}: {r.get('note', '')}"
                             for r in invalid), ""]
    families = [f for f in DEFAULT_FAMILIES if any(r["family"] == f for r in rows)]
    families += sorted({r["family"] for r in rows} - set(families))
    for family in families:
        fsum = [s for s in summary if s["family"] == family]
        text += [f"### {family}", "", "| " + " | ".join(h for h, _ in SUMMARY_COLUMNS) + " |",
                 "|" + "---|" * len(SUMMARY_COLUMNS)]
        text += ["| " + " | ".join(summary_cell(s, h, k) for h, k in SUMMARY_COLUMNS) + " |"
                 for s in fsum]
        goals = targets(family, summary, rows)
        if goals:
            text += ["", "| issue 36 target (our tabu) | reached | verdict |", "|---|---|---|"]
            text += [f"| {t} | {r} | {v} |" for t, r, v in goals]
        text += [""] + rates_by_size(family, rows) + instance_table(family, rows, published, bks)
        text += [""]
    return "\n".join(text), summary


def rates_by_size(family: str, rows: list[dict]) -> list[str]:
    """Moves per second by order of magnitude of the operations, for a family of several sizes
    (dct: 10^4 and 10^5); nothing for a family of one size."""
    ran = [r for r in rows if r["family"] == family and r.get("moves_per_s") is not None]
    sizes = sorted({round(math.log10(r["n_ops"])) for r in ran if r.get("n_ops")})
    if len(sizes) < 2:
        return []
    methods = [m for m in METHODS if any(r["method"] == m for r in ran)]
    lines = ["| operations | " + " | ".join(f"{m} moves/s ± SE" for m in methods) + " |",
             "|" + "---|" * (len(methods) + 1)]
    for size in sizes:
        cells = [fmt_mean_se(*mean_se([r["moves_per_s"] for r in ran if r["method"] == m
                                       and round(math.log10(r["n_ops"])) == size]), 0)
                 for m in methods]
        lines.append(f"| ~10^{size} | " + " | ".join(cells) + " |")
    return lines + [""]


CSV_FIELDS = ("family", "method", "label", "source", "runs", "ok", "invalid", "other", "n_ops",
              "gap", "gap_se", "optimal", "moves_per_s", "moves_per_s_se", "load_s", "start_s",
              "wall_s", "user_wall_max_s", "peak_rss_mib", "limit_kept", "cold")


def write_report(out: Path, text: str, summary: list[dict]) -> Path:
    """``out`` (markdown) and the summary beside it as ``out`` with suffix .csv."""
    from rewriter.atomic import write_atomic

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: round(v, 4) if isinstance(v, float) else v for k, v in s.items()}
                     for s in summary)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, text + "\n")
    return write_atomic(out.with_suffix(".csv"), buffer.getvalue())


def settings(rows: list[dict], args) -> dict:
    """What the rows were run with (a table rebuilt later shows the run's settings, not the
    rebuilding command's defaults)."""
    def values(key, default):
        found = sorted({r[key] for r in rows if r.get(key) is not None})
        return ", ".join(f"{v:g}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int)
                         else str(v) for v in found) if found else default

    return {"seconds": values("seconds", f"{args.seconds:g}"), "seeds": values("seed", args.seeds),
            "workers": values("cpsat_workers", str(args.cpsat_workers)),
            "max_ops": values("cpsat_max_ops", f"{args.cpsat_max_ops:,}"),
            "baseline": values("baseline", baseline_label(args.baseline_src)),
            "slack": values("slack", f"{args.slack:g}")}


def report_header(args, run: dict) -> str:
    note = (f"Budget {run['seconds']} s per run (the start rule inside it), seeds "
            f"{run['seeds']}; CP-SAT with {run['workers']} workers up to "
            f"{run['max_ops']} operations; today's tabu = the checkout at {run['baseline']}. "
            f"Gap = (makespan - best known upper bound) / best known x 100 "
            f"(solutions/bks.json). Means ± standard error over instances and seeds, valid runs "
            f"only. moves/s = search steps / search seconds (start rule excluded). wall s: the "
            f"whole process (interpreter, kernel compile or cache load, load, start, search, the "
            f"package's result check); the max column leaves out this benchmark's own second "
            f"validation. limit kept: start + search + result check ≤ budget + {run['slack']} s. "
            f"Rows marked '{PUBLISHED_NOTE}' are the collection's figures (best upper bound of "
            f"each engine in 600 s on an Intel i7-1185G7), quoted, not measured here.")
    return "\n".join([f"## Industrial size: {run['seconds']} s per instance", "",
                      "command: `python benchmarks/bench_industrial.py "
                      + shlex.join(args.argv) + "`", "",
                      f"machine: {os.cpu_count()} cores, {platform.python_implementation()} "
                      f"{platform.python_version()}, {platform.machine()}", "", note])


# ---- main ----------------------------------------------------------------------------------------
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="the collection (default: %(default)s)")
    parser.add_argument("--instances", help="families, names or globs, comma-separated (default: "
                        + ",".join(DEFAULT_FAMILIES) + ")")
    parser.add_argument("--files", nargs="+", type=Path, default=[],
                        help="plain instance files to run as well (the name is the file's stem)")
    parser.add_argument("--seconds", type=float, default=60.0, help="budget per run (default 60)")
    parser.add_argument("--seeds", default="0", help="e.g. 0, 0-4 or 0,3 (default 0)")
    parser.add_argument("--methods", default=",".join(METHODS),
                        help=f"comma-separated, of {', '.join(METHODS)} (default: all)")
    parser.add_argument("--cpsat-workers", type=int, default=2)
    parser.add_argument("--cpsat-max-ops", type=int, default=20000,
                        help="CP-SAT runs only up to this many operations (default 20000)")
    parser.add_argument("--baseline-src", type=Path,
                        help="checkout of today's code, e.g. `git worktree add "
                             "/tmp/rewriter_b58261a b58261a` (without it the baseline is not run)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE,
                        help="extracted instances and the baseline's numba cache "
                             "(default: %(default)s)")
    parser.add_argument("--results", type=Path, help="JSON-lines results (default: "
                        "benchmarks/results/industrial_<seconds>s.jsonl)")
    parser.add_argument("--out", type=Path, help="markdown report (and .csv beside it)")
    parser.add_argument("--slack", type=float, default=2.0,
                        help="seconds over the budget a run may take and still keep the limit")
    parser.add_argument("--timeout", type=float,
                        help="kill a run after this many seconds (default: 2 x budget + 300)")
    parser.add_argument("--retry-failed", action="store_true",
                        help="rerun the crashed, timed-out, refused and failed rows")
    parser.add_argument("--table-only", action="store_true", help="only rebuild the tables")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: tai_10_10_1, 2 s, results and report in --cache-dir")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.quick:
        args.instances, args.seconds = args.instances or "tai_10_10_1", 2.0
        args.results = args.results or args.cache_dir / "quick.jsonl"
        args.out = args.out or args.cache_dir / "quick.md"
    args.results = args.results or RESULTS_DIR / f"industrial_{args.seconds:g}s.jsonl"
    return args


def plan(args) -> list[dict]:
    """Every run asked for, in order: instance by instance, method by method, seed by seed."""
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise SystemExit(f"--methods: unknown {', '.join(sorted(unknown))}; "
                         f"expected {', '.join(METHODS)}")
    available = catalog(args.data)
    paths = {}
    if args.instances or not args.files:
        if not available:
            raise SystemExit(f"--data {args.data}: no instances of the collection there")
        paths = {n: available[n] for n in select(available, args.instances)}
    for path in args.files:
        if not path.is_file():
            raise SystemExit(f"--files: {path}: no such file")
        paths[path.stem] = path
    src = args.baseline_src
    if src is not None and not (src / "rewriter" / "__init__.py").is_file():
        raise SystemExit(f"--baseline-src {args.baseline_src}: no checkout of the package there "
                         "(expected rewriter/__init__.py)")
    base = baseline_label(args.baseline_src)
    return [{"name": name, "path": str(path), "method": method, "seed": seed,
             "seconds": args.seconds, "cpsat_workers": args.cpsat_workers,
             "cpsat_max_ops": args.cpsat_max_ops, "baseline": base,
             "baseline_src": str(args.baseline_src)}
            for name, path in paths.items() for method in methods
            for seed in (parse_seeds(args.seeds) if method != "mwkr" else [0])]


def progress_line(k: int, total: int, row: dict) -> str:
    head = f"[{k}/{total}] {row['instance']} {row['method']} seed {row['seed']}: "
    if row["status"] not in (OK, INVALID):
        return head + f"{row['status']}: {row.get('note', '')}"
    text = head + f"makespan {row['makespan']:,}"
    if row.get("gap") is not None:
        text += f" ({fmt_gap(row['gap'])})"
    if row.get("moves_per_s") is not None:
        text += f", {row['steps']:,} moves ({row['moves_per_s']:,.0f}/s)"
    text += (f", load {row.get('load_s', 0):.2f} s, wall {row['wall_s']:.1f} s, "
             f"{row.get('peak_rss_mib', 0):,.0f} MiB, {row.get('cache', '?')}")
    if row.get("limit_kept") is False:
        text += (f", LIMIT EXCEEDED (start + search + result check {row['solve_s']:.1f} s, "
                 f"the solver's clock {row.get('runtime_s', math.nan):.1f} s)")
    if row["status"] == INVALID:
        text = "!!! INVALID SCHEDULE !!! " + text + f": {row.get('note', '')}"
    return text


def run_all(args, jobs: list[dict]) -> None:
    done = latest(read_rows(args.results))
    todo = [j for j in jobs if not is_finished(done.get((j["name"], j["method"], j["seed"])), j,
                                               args.retry_failed)]
    print(f"{len(jobs) - len(todo)} of {len(jobs)} runs already in {args.results}; "
          f"{len(todo)} to run", file=sys.stderr, flush=True)
    bks = read_bks(args.data)
    timeout = args.timeout or 2 * args.seconds + 300
    for k, job in enumerate(todo, 1):
        env = method_env(job["method"], args.baseline_src, args.cache_dir)
        if env is None:
            row = {"status": NOT_RUN, "note": "no --baseline-src checkout given"}
        else:
            run = dict(job)
            if job["method"] == "baseline":
                try:
                    run["path"] = str(plain_text(Path(job["path"]), job["name"], args.cache_dir))
                except (OSError, ValueError, zipfile.BadZipFile) as exc:
                    run = None
                    row = {"status": "failed", "note": f"extracting for the baseline: {exc}"}
            if run is not None:
                row = run_job(run, env, timeout)
        row = finish_row(row, job, bks, args.slack)
        append_row(args.results, row)
        print(progress_line(k, len(todo), row), file=sys.stderr, flush=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    if args.quick and args.results.exists() and not args.table_only:
        args.results.unlink()  # a smoke test starts afresh
    if not args.table_only:
        run_all(args, plan(args))
    rows = read_rows(args.results)
    if not rows:
        print(f"no results in {args.results}", file=sys.stderr)
        return 1
    run = settings(rows, args)
    text, summary = build_tables(rows, args.data, run["baseline"], report_header(args, run))
    print(text)
    if args.out:
        csv_path = write_report(args.out, text, summary)
        print(f"wrote {args.out} and {csv_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
