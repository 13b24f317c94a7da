"""Read and write MRT instance and schedule JSON.

Instance::

    {"name": "mrt_d2_test_00000", "resources": 2, "capacity": [10, 10], "window": 10,
     "jobs": [{"arrival": 0, "length": 3, "demand": [7, 1]}, ...]}

``capacity`` defaults to 10 per resource and ``window`` to 10 when absent; ``name`` defaults to
the file stem. Jobs are numbered by their position in ``jobs`` (from 0).

Schedule::

    {"instance": "mrt_d2_test_00000", "average_slowdown": 1.8,
     "jobs": [{"job": 0, "start": 0, "end": 3}, ...]}

Every malformed file raises one :class:`~rewriter.errors.InputError` naming the file (and line,
for invalid JSON), the key or job index, and what was expected. Writers replace the target
atomically.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..atomic import write_atomic
from ..errors import InputError
from ..textfile import read_json
from .instance import _MAX_VALUE, DEFAULT_CAPACITY, DEFAULT_WINDOW, MrtInstance

__all__ = ["read_instance", "write_instance", "instance_to_dict", "instance_from_dict",
           "write_schedule", "read_schedule", "schedule_to_dict", "ScheduleFile"]


class ScheduleFile(NamedTuple):
    """A schedule as read from JSON: instance name, start per job, reported slowdown (or None), ends."""

    instance: str
    starts: np.ndarray
    average_slowdown: float | None
    ends: np.ndarray


# ---- helpers -----------------------------------------------------------------------------------
def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(value, where: str, fail, low: int | None = None) -> int:
    # JSON's grammar already admits only ASCII decimal integers ('+4', '1_0', full-width digits
    # are invalid JSON); a huge one would wrap around in an int64 array, so it is refused here
    if not _is_int(value):
        raise fail(f"{where}: expected an integer, found {json.dumps(value)}")
    if abs(value) >= _MAX_VALUE:
        raise fail(f"{where}: expected an integer below {_MAX_VALUE}, found {value}")
    if low is not None and value < low:
        raise fail(f"{where}: expected an integer >= {low}, found {value}")
    return value


def _int_list(value, where: str, fail, size: int | None, low: int | None = None) -> list[int]:
    if not isinstance(value, list):
        raise fail(f"{where}: expected a list of integers, found {json.dumps(value)}")
    if size is not None and len(value) != size:
        raise fail(f"{where}: expected {size} values (one per resource), found {len(value)}")
    return [_int(v, f"{where}[{r}]", fail, low) for r, v in enumerate(value)]


# ---- instances ---------------------------------------------------------------------------------
def instance_to_dict(instance: MrtInstance) -> dict:
    return {"name": instance.name, "resources": instance.resources,
            "capacity": instance.capacity.tolist(), "window": instance.window,
            "jobs": [{"arrival": a, "length": t, "demand": d} for a, t, d in
                     zip(instance.arrival.tolist(), instance.length.tolist(), instance.demand.tolist())]}


def instance_from_dict(data, path=None, default_name: str = "instance") -> MrtInstance:
    """Build an instance from its JSON form, checking every field; errors name ``path``."""
    def fail(message):
        return InputError(message, path=path)

    if not isinstance(data, dict):
        raise fail(f"expected a JSON object with keys resources and jobs, found {type(data).__name__}")
    missing = [key for key in ("resources", "jobs") if key not in data]
    if missing:
        raise fail(f"missing key{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}; "
                   "expected {name, resources, capacity, window, jobs}")
    d = _int(data["resources"], "'resources'", fail, 1)
    # the default capacity waits for the first demand row: d unchecked could ask for 2**31 entries
    capacity = _int_list(data["capacity"], "capacity", fail, d, 1) if "capacity" in data else None
    window = _int(data.get("window", DEFAULT_WINDOW), "'window'", fail, 1)
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name:
        raise fail(f"'name': expected a non-empty string, found {json.dumps(name)}")
    jobs = data["jobs"]
    if not isinstance(jobs, list) or not jobs:
        raise fail(f"'jobs': expected a non-empty list of job objects, found {json.dumps(jobs)[:60]}")
    arrival, length, demand = [], [], []
    for i, job in enumerate(jobs):
        where = f"jobs[{i}]"
        if not isinstance(job, dict):
            raise fail(f"{where}: expected an object {{arrival, length, demand}}, found {json.dumps(job)[:60]}")
        absent = [key for key in ("arrival", "length", "demand") if key not in job]
        if absent:
            raise fail(f"{where}: missing key{'s' if len(absent) > 1 else ''} {', '.join(map(repr, absent))}; "
                       "expected {arrival, length, demand}")
        arrival.append(_int(job["arrival"], f"{where}.arrival", fail, 0))
        length.append(_int(job["length"], f"{where}.length", fail, 1))
        row = _int_list(job["demand"], f"{where}.demand", fail, d, 0)
        if capacity is None:
            capacity = [DEFAULT_CAPACITY] * d  # d values were just read from the file
        for r, (value, cap) in enumerate(zip(row, capacity)):
            if value > cap:
                raise fail(f"{where}.demand[{r}]: {value} exceeds the capacity {cap}; the job could never run")
        demand.append(row)
    try:
        return MrtInstance(name, np.array(capacity), np.array(arrival), np.array(length),
                           np.array(demand, dtype=np.int64).reshape(len(jobs), d), window=window)
    except InputError as exc:
        raise fail(exc.reason) from None


def read_instance(path) -> MrtInstance:
    """Read an instance JSON file (module docstring); the name defaults to the file stem."""
    path = Path(path)
    return instance_from_dict(read_json(path, "an MRT instance JSON file"), path=path,
                              default_name=path.stem)


def write_instance(instance: MrtInstance, path) -> None:
    """Write the instance JSON, one job per line, atomically."""
    data = instance_to_dict(instance)
    jobs = ",\n  ".join(json.dumps(job) for job in data.pop("jobs"))
    head = json.dumps(data)[:-1]
    write_atomic(Path(path), f"{head}, \"jobs\": [\n  {jobs}\n]}}\n")


# ---- schedules ---------------------------------------------------------------------------------
def schedule_to_dict(instance: MrtInstance, starts, **extra) -> dict:
    """Schedule JSON for start times per job (instance order); ``extra`` keys go first."""
    from .validate import average_slowdown

    starts = [int(s) for s in starts]
    lengths = instance.length.tolist()
    return {**extra, "instance": instance.name,
            "average_slowdown": round(average_slowdown(instance, starts), 6),
            "jobs": [{"job": j, "start": s, "end": s + lengths[j]} for j, s in enumerate(starts)]}


def write_schedule(schedule, path, instance: MrtInstance | None = None, **extra) -> None:
    """Write a schedule JSON atomically. ``schedule``: an object with ``to_dict()`` (an
    :class:`~rewriter.mrt.schedule.MrtSchedule` or state), a dict, or start times (then
    ``instance`` is required)."""
    if isinstance(schedule, dict):
        data = {**extra, **schedule}
    elif hasattr(schedule, "to_dict"):
        data = {**extra, **schedule.to_dict()}
    else:
        if instance is None:
            raise ValueError("writing start times needs the instance")
        data = schedule_to_dict(instance, schedule, **extra)
    jobs = data.pop("jobs")
    head = json.dumps(data)[:-1]
    body = ",\n  ".join(json.dumps(job) for job in jobs)
    write_atomic(Path(path), f"{head}, \"jobs\": [\n  {body}\n]}}\n")


def read_schedule(path, instance: MrtInstance | None = None) -> ScheduleFile:
    """Read a schedule JSON. Each job index must appear exactly once; with ``instance`` the job
    count must match and the ends must equal start + length (feasibility is the validator's job)."""
    path = Path(path)
    data = read_json(path, "a schedule JSON file")

    def fail(message):
        return InputError(message, path=path)

    if not isinstance(data, dict):
        raise fail(f"expected a JSON object with keys instance and jobs, found {type(data).__name__}")
    if "jobs" not in data:
        raise fail("missing key 'jobs'; expected {instance, average_slowdown, jobs}")
    name = data.get("instance", path.stem)
    if not isinstance(name, str):
        raise fail(f"'instance': expected a string, found {json.dumps(name)}")
    reported = data.get("average_slowdown")
    if reported is not None and (isinstance(reported, bool) or not isinstance(reported, (int, float))):
        raise fail(f"'average_slowdown': expected a number, found {json.dumps(reported)}")
    jobs = data["jobs"]
    if not isinstance(jobs, list) or not jobs:
        raise fail("'jobs': expected a non-empty list of {job, start, end} objects")
    n = len(jobs)
    if instance is not None and n != instance.n_jobs:
        raise fail(f"'jobs' has {n} entries but instance {instance.name} has {instance.n_jobs} jobs")
    starts = [None] * n
    ends = [None] * n
    for i, entry in enumerate(jobs):
        where = f"jobs[{i}]"
        if not isinstance(entry, dict):
            raise fail(f"{where}: expected an object {{job, start, end}}, found {json.dumps(entry)[:60]}")
        absent = [key for key in ("job", "start") if key not in entry]
        if absent:
            raise fail(f"{where}: missing key {', '.join(map(repr, absent))}; expected {{job, start, end}}")
        j = _int(entry["job"], f"{where}.job", fail, 0)
        if j >= n:
            raise fail(f"{where}.job: expected a job index in 0..{n - 1}, found {j}")
        if starts[j] is not None:
            raise fail(f"{where}.job: job {j} appears twice")
        starts[j] = _int(entry["start"], f"{where}.start", fail, 0)
        end = entry.get("end")
        if end is not None:
            end = _int(end, f"{where}.end", fail, 0)
            if instance is not None and end != starts[j] + int(instance.length[j]):
                raise fail(f"{where}.end: expected start + length = {starts[j] + int(instance.length[j])}, "
                           f"found {end}")
        ends[j] = starts[j] + int(instance.length[j]) if end is None and instance is not None else end
    starts_arr = np.array(starts, dtype=np.int64)
    ends_arr = np.array([-1 if e is None else e for e in ends], dtype=np.int64)
    return ScheduleFile(name, starts_arr, None if reported is None else float(reported), ends_arr)
