"""Sizes a hostile file or option can claim, and what they may cost: a header's machine count, a
resource count or a window, an instance range, a Gantt chart of thousands of machines, and the
error paths of the readers on large inputs. Each is refused in one line before anything large is
allocated, or handled in time that grows linearly with the input."""

from __future__ import annotations

import json
import time
import tracemalloc

import numpy as np
import pytest

from rewriter.cli import main
from rewriter.core import charts
from rewriter.core import spec as core_spec
from rewriter.errors import InputError
from rewriter.fjsp.io import instance_from_dict, parse_csv, parse_fjsplib


def _one_line_error(capsys, code: int) -> str:
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


# ---- duplicates found in linear time ---------------------------------------------------------------
def test_a_duplicate_machine_at_the_end_of_a_long_operation_is_found_quickly():
    k = 60_000
    pairs = " ".join(f"{x} 1" for x in range(1, k)) + " 1 1"
    began = time.monotonic()
    with pytest.raises(InputError, match="machine 1 is listed twice"):
        parse_fjsplib(f"1 {k}\n1 {k} {pairs}\n")
    assert time.monotonic() - began < 5  # was 47 s


def test_a_duplicate_job_label_in_a_long_csv_is_found_quickly():
    rows = [f"j{k},1" for k in range(40_000)] + ["j7,1"]
    began = time.monotonic()
    with pytest.raises(InputError, match="'j7' appears twice") as error:
        parse_csv("job,m1\n" + "\n".join(rows) + "\n")
    assert time.monotonic() - began < 5  # was 75 s
    assert error.value.line == 40_002


def test_a_wide_csv_header_is_checked_quickly():
    columns = [f"m{k}" for k in range(30_000)]
    began = time.monotonic()
    with pytest.raises(InputError, match="column 'M5' appears twice"):
        parse_csv(",".join(columns + ["M5"]) + "\n" + ",".join(["1"] * 30_001) + "\n")
    assert time.monotonic() - began < 5  # every column was compared with every earlier one


def test_a_method_listed_twice_in_a_long_list_is_found_quickly():
    from rewriter import registry
    from rewriter.methods import parse_methods

    methods = ["fifo"] + [f"random:{k}" for k in range(1, 30_000)] + ["fifo"]
    began = time.monotonic()
    with pytest.raises(InputError, match="listed twice: fifo"):
        parse_methods(",".join(methods), registry.get("jssp"))
    assert time.monotonic() - began < 5

