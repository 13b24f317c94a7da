"""The schedule JSON at industrial size: the text `rewriter solve --out` writes parses back to the
same dict, and the job shop's vectorised reading of a schedule agrees with the entry-by-entry one
(same violations, same InputError) on valid and damaged schedules, classic and re-entrant."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rewriter
from rewriter.cli.solve import schedule_json_text
from rewriter.errors import InputError
from rewriter.jssp import schedule_json
from rewriter.jssp.generate import random_instance, random_reentrant_instance


@pytest.mark.parametrize("problem, instance", [("jssp", "ft06"), ("fjsp", "mk01"),
                                               ("mrt", "mrt_d20_test_00000")])
def test_the_schedule_text_parses_back_to_the_same_dict(problem, instance):
    data = rewriter.solve(rewriter.load_instance(instance), steps=3, seed=0).to_dict()
    data["info"] = {"note": "a \"quoted\" ]}, {[ string\nover two lines", "nested": {"x": [1, 2]}}
    text = schedule_json_text(data)
    assert json.loads(text) == data
    assert text.count("\n") >= len(data["operations" if problem != "mrt" else "jobs"])


def _verdict(instance, data, fast: bool, monkeypatch):
    """(violations, makespan) or the InputError's text, by the fast path or by the entry-by-entry
    parse alone."""
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(schedule_json, "_parse_fast", lambda data, instance: None)
        try:
            return schedule_json.check_schedule_json(instance, data, "s.json")
        except InputError as exc:
            return str(exc)


DAMAGE = st.sampled_from([
    "none", "start", "start-late", "end", "machine", "bool", "float", "huge", "duplicate",
    "drop", "drop-end", "job-range", "op-range", "sequence-swap", "sequence-drop",
    "sequence-machine", "no-sequences", "sequence-pair", "n_jobs", "not-a-dict"])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), ragged=st.booleans(), damage=DAMAGE, where=st.integers(0, 10**6))
def test_the_fast_reading_agrees_with_the_entry_by_entry_one(monkeypatch, seed, ragged, damage,
                                                              where):
    inst = (random_reentrant_instance(4, 3, seed=seed, max_ops=5) if ragged
            else random_instance(4, 3, seed=seed))
    data = copy.deepcopy(rewriter.solve(inst, policy="none", steps=0, seed=0).to_dict())
    ops, seqs = data["operations"], data["machine_sequences"]
    entry = ops[where % len(ops)]
    nonempty = [s for s in seqs if s]
    seq = nonempty[where % len(nonempty)]
    if damage == "start":
        entry["start"] += 1
    elif damage == "start-late":
        entry["start"] += 1000
    elif damage == "end":
        entry["end"] -= 1
    elif damage == "machine":
        entry["machine"] += 1
    elif damage == "bool":
        entry["op"] = False
    elif damage == "float":
        entry["start"] = float(entry["start"])
    elif damage == "huge":
        entry["start"] = 2**70
    elif damage == "duplicate":
        ops[(where + 1) % len(ops)] = dict(entry)
    elif damage == "drop":
        ops.remove(entry)
    elif damage == "drop-end":
        del entry["end"]
    elif damage == "job-range":
        entry["job"] = inst.n_jobs
    elif damage == "op-range":
        entry["op"] = int(inst.job_length[entry["job"]])
    elif damage == "sequence-swap" and len(seq) > 1:
        seq[0], seq[1] = seq[1], seq[0]
    elif damage == "sequence-drop":
        seq.pop()
    elif damage == "sequence-machine" and len(nonempty) > 1:
        nonempty[(where + 1) % len(nonempty)].append(seq.pop())
    elif damage == "no-sequences":
        del data["machine_sequences"]
    elif damage == "sequence-pair":
        seq[0] = [seq[0][0]]
    elif damage == "n_jobs":
        data["n_jobs"] += 1
    elif damage == "not-a-dict":
        ops[where % len(ops)] = [entry["job"], entry["op"]]
    fast = _verdict(inst, data, True, monkeypatch)
    assert fast == _verdict(inst, data, False, monkeypatch)
    if damage == "none":
        assert fast == ([], data["makespan"])


def test_a_million_operation_schedule_is_read_in_vectorised_passes():
    inst = random_reentrant_instance(2000, 50, seed=0, min_ops=40, max_ops=60)  # ~10^5 ops
    data = rewriter.solve(inst, policy="none", steps=0).to_dict()
    calls = []
    real = schedule_json._parse_schedule
    schedule_json._parse_schedule = lambda *a: calls.append(a) or real(*a)
    try:
        assert schedule_json.check_schedule_json(inst, data, "s.json") == ([], data["makespan"])
    finally:
        schedule_json._parse_schedule = real
    assert calls == []  # the entry-by-entry parse never ran


def test_json_depth_is_found_across_the_chunks_of_a_large_text():
    from rewriter import textfile

    pad = " " * (textfile._DEPTH_CHUNK - 7)  # the nesting crosses the first chunk's end
    brackets = "[" * 99 + "]" * 99  # 100 deep with the outer list: allowed
    assert textfile._depth_exceeded(pad + '["]]]]", ' + brackets + "]") is None
    deep = pad + '["]]]]", ' + "[" * 101 + "]" * 102
    where = textfile._depth_exceeded(deep)
    # an index into the text with its strings emptied: the 100th "[" after the string, depth 101
    assert where == len(pad) + len('["", ') + 99
    with pytest.raises(InputError, match="nested more than 100 levels"):
        textfile.parse_json(deep, "big.json", "a schedule")
