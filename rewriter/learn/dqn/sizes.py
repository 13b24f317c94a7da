"""Size classes ``NxM`` (jobs x machines) of the random training and validation instances, and
their due dates: the compat generator's, tight ones (:func:`tight_due_dates`), or ones scaled to
the instance's makespan bound (:func:`scaled_due_dates`)."""

from __future__ import annotations

import re

import numpy as np

from ...errors import InputError

DUE_DATES = ("compat", "tight", "scaled")
TIGHT_MAGIC = 0x54494748  # "TIGH": the tight due dates' own random stream
SCALED_MAGIC = 0x53434C44  # "SCLD": the scaled due dates' own random stream
SCALED_SLACK = (0.35, 0.85)  # the tight family's [0.7, 1.7) halved, times the makespan bound

_SIZE = re.compile(r"([1-9][0-9]*)x([1-9][0-9]*)")


def parse_size(text: str) -> tuple[int, int]:
    """``"50x10"`` -> (50, 10); anything else is an :class:`InputError`."""
    match = _SIZE.fullmatch(str(text).strip().lower())
    if match is None:
        raise InputError(f"size {text!r}: expected JOBSxMACHINES, e.g. 50x10")
    return int(match.group(1)), int(match.group(2))


def random_instance(size: str, seed: int, due_dates: str = "compat"):
    """The compatibility instance of ``size`` and ``seed`` (the evaluation sets' generator), with
    its own due dates or tight ones."""
    from ...fjsp.generate import compatibility_instance

    n, m = parse_size(size)
    instance = compatibility_instance(n, m, seed)
    if due_dates == "tight":
        return tight_due_dates(instance)
    return scaled_due_dates(instance) if due_dates == "scaled" else instance


def tight_due_dates(instance):
    """``instance`` (a compat one) with the tight_ family's due-date draw: per job
    ``due = release + rint(s x W)``, ``W`` its mean duration over its compatible machines (its mean
    work, as in the production generator), ``s`` uniform in the tight family's [0.7, 1.7), drawn
    from a stream of the instance's size and seed. Jobs, machines, durations and releases are
    unchanged; most jobs cannot meet such a date, so the total tardiness discriminates."""
    from ...fjsp.generate import TIGHT_DUE_SLACK
    from ...fjsp.instance import FlexibleInstance

    n, m, seed = instance.n_jobs, instance.n_machines, int(instance.metadata["seed"])
    rng = np.random.default_rng([TIGHT_MAGIC, n, m, seed])
    work = np.add.reduceat(instance.elig_duration, instance.elig_start[:-1]) / np.diff(instance.elig_start)
    low, high = TIGHT_DUE_SLACK
    due = instance.release + np.rint((low + (high - low) * rng.random(n)) * work).astype(np.int64)
    return FlexibleInstance(f"tightcompat_{n}x{m}_s{seed}", m, instance.job_start,
                            instance.elig_start, instance.elig_machine, instance.elig_duration,
                            release=instance.release, due=due, weight=instance.weight,
                            metadata={**instance.metadata, "due_dates": "tight",
                                      "due_slack": [low, high]})


def makespan_bound(instance) -> float:
    """A lower bound on the makespan of a compat instance (single-operation jobs, releases 0): the
    jobs' fastest durations spread evenly over the machines, or the longest of them."""
    fastest = np.minimum.reduceat(instance.elig_duration, instance.elig_start[:-1])
    return max(float(fastest.sum()) / instance.n_machines, float(fastest.max()))


def scaled_due_dates(instance):
    """``instance`` with due dates that stay tight at every size: per job ``due = release +
    rint(s x B)``, ``B`` the :func:`makespan_bound`, ``s`` uniform in :data:`SCALED_SLACK`.
    The tight draw scales with a job's mean duration, which does not shrink with the number of
    compatible machines while the makespan does (mean due about 60 at every size against makespans
    of about 120 at 50 x 10, 70 at 100 x 20 and 22 at 500 x 100), so from 100 x 20 up it leaves
    edd-eet almost on time; this one puts every due date before the makespan bound, where a
    constant share of the jobs must be late whatever the size. A premise of its own, beside the
    tight family's, not a replacement."""
    from ...fjsp.instance import FlexibleInstance

    n, m, seed = instance.n_jobs, instance.n_machines, int(instance.metadata["seed"])
    rng = np.random.default_rng([SCALED_MAGIC, n, m, seed])
    low, high = SCALED_SLACK
    bound = makespan_bound(instance)
    due = instance.release + np.rint((low + (high - low) * rng.random(n)) * bound).astype(np.int64)
    return FlexibleInstance(f"scaledcompat_{n}x{m}_s{seed}", m, instance.job_start,
                            instance.elig_start, instance.elig_machine, instance.elig_duration,
                            release=instance.release, due=due, weight=instance.weight,
                            metadata={**instance.metadata, "due_dates": "scaled",
                                      "due_slack": [low, high], "makespan_bound": bound})
