"""Fuzzing every reader (issue 32): byte strings, and valid files mutated, given to the job-shop,
flexible-shop and MRT instance readers, to problem inference (no --problem) and to the schedule
files of ``rewriter validate``.

The property everywhere: a valid result, or one InputError (the CLI: exit code 2 and exactly one
``rewriter: error:`` line on stderr), within a bounded time. Never another exception, never a
traceback, never exit code 1 for a file that is no schedule.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewriter import registry
from rewriter.cli import main
from rewriter.errors import InputError
from rewriter.fjsp import io as fjsp_io
from rewriter.fjsp.bundled import load_instance as load_flexible
from rewriter.fjsp.generate import compatibility_instance
from rewriter.jssp import io as jssp_io
from rewriter.jssp.bundled import load_instance as load_job_shop
from rewriter.mrt import io as mrt_io
from rewriter.mrt.bundled import load_instance as load_mrt

from .processes import code_env

SECONDS = 5.0  # per reading: the inputs are a few hundred bytes, so this is generous
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_DIR = [None]  # the module's scratch folder (hypothesis runs many examples in one test call)

# values that have broken readers: past int()'s digit limit, past int64, lax integers that int()
# reads, separators str.splitlines() breaks at, nesting, JSON's other types
HOSTILE = ["9" * 5000, "-" + "9" * 5000, "0" * 4400 + "1", str(2 ** 40), str(2 ** 63), "100000000",
           "-1", "0", "-0", "+4", "1_0", "\uff17", "1e3", "1.5", "NaN", "Infinity", "null",
           "true", "[]", "{}", '"x"', "[" * 150, "{" * 150, "\v", "\f", "\x1c", "\x85", "\u2028",
           "\r", ",", '"', "\\", "#", "\x00", "Nb of jobs, Nb of Machines", "Times", "Machines",
           '"\\ud800"', '"\\ud83d\\ude00"']


# ---- valid files to mutate ------------------------------------------------------------------------
def _job_shop_seeds() -> dict[str, str]:
    ft06 = load_job_shop("ft06")
    taillard = [f"{ft06.n_jobs} {ft06.n_machines}"]
    taillard += [" ".join(map(str, row)) for row in ft06.durations.tolist()]
    taillard += [" ".join(str(m + 1) for m in row) for row in ft06.machines.tolist()]
    own = ["Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound, Lower bound",
           f" {ft06.n_jobs} {ft06.n_machines} 1 2 55 55", "Times", *taillard[1:7], "Machines",
           *taillard[7:]]
    return {"ft06.txt": (files_dir() / "jssp" / "ft06.txt").read_text(),
            "taillard.txt": "\n".join(taillard) + "\n", "own.txt": "\n".join(own) + "\n",
            "ft06.json": json.dumps(jssp_io.instance_to_dict(ft06))}


def _flexible_seeds() -> dict[str, str]:
    compat = compatibility_instance(4, 3, seed=0)
    return {"mk01.txt": (files_dir() / "fjsp" / "mk01.txt").read_text(),
            "compat.csv": fjsp_io.csv_text(compat), "compat.json": fjsp_io.json_text(compat)}


def _mrt_seeds() -> dict[str, str]:
    return {"mrt.json": (files_dir() / "mrt" / "mrt_d2_test_00000.json").read_text()}


def files_dir() -> Path:
    from importlib.resources import files

    return Path(str(files("rewriter.instances")))


def _job_shop_schedule() -> str:
    """A feasible ft06 schedule (operations in round-robin order, each as early as it fits)."""
    inst = load_job_shop("ft06")
    job_end, machine_end, ops = [0] * inst.n_jobs, [0] * inst.n_machines, []
    for k in range(inst.n_machines):
        for j in range(inst.n_jobs):
            machine, duration = int(inst.machines[j, k]), int(inst.durations[j, k])
            start = max(job_end[j], machine_end[machine])
            job_end[j] = machine_end[machine] = start + duration
            ops.append({"job": j, "op": k, "machine": machine, "start": start,
                        "end": start + duration})
    sequences = [[[o["job"], o["op"]] for o in sorted(ops, key=lambda o: o["start"])
                  if o["machine"] == m] for m in range(inst.n_machines)]
    return json.dumps({"instance": "ft06", "makespan": max(job_end), "operations": ops,
                       "machine_sequences": sequences})


def _flexible_schedule() -> str:
    """A feasible mk01 schedule: every operation on its first eligible machine."""
    inst = load_flexible("mk01")
    job_end, machine_end, ops = [0] * inst.n_jobs, [0] * inst.n_machines, []
    for j in range(inst.n_jobs):
        for k in range(int(inst.job_start[j + 1] - inst.job_start[j])):
            first = int(inst.elig_start[int(inst.job_start[j]) + k])
            machine, duration = int(inst.elig_machine[first]), int(inst.elig_duration[first])
            start = max(job_end[j], machine_end[machine])
            job_end[j] = machine_end[machine] = start + duration
            ops.append({"job": j, "op": k, "machine": machine, "start": start,
                        "end": start + duration})
    return json.dumps({"instance": "mk01", "makespan": max(job_end), "operations": ops})


def _mrt_schedule() -> str:
    """A feasible schedule of the MRT sample: one job at a time, in order."""
    inst = load_mrt("mrt_d2_test_00000")
    starts, free = [], 0
    for arrival, length in zip(inst.arrival.tolist(), inst.length.tolist()):
        starts.append(max(free, arrival))
        free = starts[-1] + length
    return json.dumps(mrt_io.schedule_to_dict(inst, starts))


SCHEDULES = {"ft06": _job_shop_schedule(), "mk01": _flexible_schedule(),
             "mrt_d2_test_00000": _mrt_schedule()}
SEEDS = {**_job_shop_seeds(), **_flexible_seeds(), **_mrt_seeds()}


# ---- strategies ---------------------------------------------------------------------------------
_NPY = b"\x93NUMPY\x01\x00"  # the start of a .npy file: the job-shop reader loads it with numpy
# text made of the pieces the formats are made of, and of hostile values
_TEXTY = st.lists(st.sampled_from(list("0123456789 -,\n\t{}[]\":.#abcjobMx") + HOSTILE),
                  max_size=80).map("".join)


@st.composite
def mutated(draw, text: str) -> str:
    """``text`` with one to four edits: a number replaced by a hostile value, a span deleted,
    duplicated or replaced, a hostile value or random text inserted."""
    for _ in range(draw(st.integers(1, 4))):
        numbers = list(re.finditer(r"-?[0-9]+", text))
        kind = draw(st.sampled_from(["number", "number", "delete", "duplicate", "insert"]))
        if kind == "number" and numbers:
            match = draw(st.sampled_from(numbers))
            text = text[:match.start()] + draw(st.sampled_from(HOSTILE)) + text[match.end():]
            continue
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 40)))
        if kind == "delete":
            text = text[:i] + text[j:]
        elif kind == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            inserted = draw(st.sampled_from(HOSTILE) | st.text(max_size=6))
            text = text[:i] + inserted + text[i:]
    return text


@pytest.fixture(scope="module", autouse=True)
def _scratch(tmp_path_factory):
    _DIR[0] = tmp_path_factory.mktemp("fuzz-readers")


def _write(name: str, content) -> Path:
    path = _DIR[0] / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    return path


def _read(reader, path: Path):
    """``reader(path)``: its result, or None for an InputError; anything else fails the test."""
    started = time.monotonic()
    try:
        return reader(path)
    except InputError as exc:
        assert exc.path is not None or "<text>" in str(exc)
        return None
    finally:
        assert time.monotonic() - started < SECONDS


def _valid_job_shop(inst) -> None:
    inst.name.encode("utf-8")  # printable: an unpaired surrogate would crash the output
    n, m = inst.durations.shape
    assert n >= 1 and m >= 1 and inst.machines.shape == (n, m)
    assert ((inst.machines >= 0) & (inst.machines < m)).all() and (inst.durations >= 0).all()
    again = jssp_io.instance_from_dict(json.loads(json.dumps(jssp_io.instance_to_dict(inst))))
    assert np.array_equal(again.durations, inst.durations)


def _valid_flexible(inst) -> None:
    inst.name.encode("utf-8")
    assert inst.n_jobs >= 1 and inst.n_machines >= 1
    assert ((inst.elig_machine >= 0) & (inst.elig_machine < inst.n_machines)).all()
    assert (inst.elig_duration >= 0).all()
    again = fjsp_io.instance_from_dict(json.loads(fjsp_io.json_text(inst)))
    assert np.array_equal(again.elig_duration, inst.elig_duration)


def _valid_mrt(inst) -> None:
    inst.name.encode("utf-8")
    assert inst.n_jobs >= 1 and inst.resources >= 1
    assert (inst.demand <= inst.capacity).all()


def _check_all_readers(name: str, content) -> None:
    """Every reader on one file; a result must be a valid instance."""
    path = _write(name, content)
    for reader, valid in ((jssp_io.read_instance, _valid_job_shop),
                          (fjsp_io.read_instance, _valid_flexible),
                          (mrt_io.read_instance, _valid_mrt)):
        result = _read(reader, path)
        if result is not None:
            valid(result)
    # no --problem: the problem that recognises or claims the file loads it (or says why not)
    result = _read(lambda p: registry.infer(str(p)).load_instance(str(p)), path)
    if result is not None:
        registry.for_instance(result)


# ---- instance readers ---------------------------------------------------------------------------
@FUZZ
@given(content=st.binary(max_size=300) | _TEXTY | st.binary(max_size=200).map(_NPY.__add__),
       suffix=st.sampled_from([".txt", ".json", ".csv", ".npy", ""]))
def test_every_instance_reader_on_arbitrary_bytes(content, suffix):
    _check_all_readers(f"bytes{suffix}", content)


@FUZZ
@given(data=st.data(), seed=st.sampled_from(sorted(SEEDS)))
def test_every_instance_reader_on_a_mutated_valid_file(data, seed):
    text = data.draw(mutated(SEEDS[seed]))
    _check_all_readers(seed, text)


@settings(max_examples=60, deadline=None)
@given(text=_TEXTY)
def test_the_text_parsers_on_arbitrary_text(text):
    for parse in (fjsp_io.parse_fjsplib, fjsp_io.parse_csv):
        result = _read(lambda _: parse(text), None)
        if result is not None:
            _valid_flexible(result)


def test_the_seeds_are_valid():
    for name, text in SEEDS.items():
        path = _write(name, text)
        assert registry.infer(str(path)).load_instance(str(path)) is not None


# ---- schedule files of `rewriter validate` ---------------------------------------------------------
def _validate(instance: str, path: Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", instance, str(path)])
    assert time.monotonic() - started < SECONDS
    return code, err.getvalue()


def _check_validate(instance: str, content) -> None:
    code, err = _validate(instance, _write("schedule.json", content))
    assert code in (0, 1, 2), code
    if code == 2:
        assert err.count("\n") == 1 and err.startswith("rewriter: error: "), err
    else:
        assert "Traceback" not in err and "error" not in err, err


@pytest.mark.parametrize("instance", sorted(SCHEDULES))
def test_the_seed_schedules_are_valid(instance):
    assert _validate(instance, _write("schedule.json", SCHEDULES[instance]))[0] == 0


@FUZZ
@given(data=st.data(), instance=st.sampled_from(sorted(SCHEDULES)))
def test_validate_on_a_mutated_schedule_is_a_verdict_or_one_error_line(data, instance):
    _check_validate(instance, data.draw(mutated(SCHEDULES[instance])))


@settings(max_examples=80, deadline=None)
@given(content=st.binary(max_size=200) | _TEXTY, instance=st.sampled_from(sorted(SCHEDULES)))
def test_validate_on_arbitrary_bytes_is_one_error_line(content, instance):
    _check_validate(instance, content)


def test_validate_as_a_user_runs_it_exits_2_with_one_line():
    path = _write("deep-schedule.json", SCHEDULES["mk01"].replace("[{", "[" * 5000 + "{", 1))
    done = subprocess.run([sys.executable, "-m", "rewriter", "validate", "mk01", str(path)],
                          capture_output=True, text=True, timeout=120, env=code_env())
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "nested more than" in done.stderr, done.stderr
