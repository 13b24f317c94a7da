"""The flexible job shop through the registry: solve, validate, compare, instances, Gantt."""

from __future__ import annotations

import json

import pytest

from rewriter.cli import main


def test_solve_infers_the_flexible_shop_and_validate_checks_it(tmp_path, capsys):
    out = tmp_path / "mk01.json"
    assert main(["solve", "mk01", "--out", str(out), "--gantt", str(tmp_path / "g.png")]) == 0
    text = capsys.readouterr().out
    assert "| problem          | fjsp" in text and "mwkr-eet" in text
    data = json.loads(out.read_text())
    assert data["problem"] == "fjsp" and data["upper_bound"] == 40 and data["makespan"] >= 40
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["validate", "mk01", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"valid: makespan {data['makespan']}")
    entry = data["operations"][0]
    eligible = {m for m in range(6)}  # mk01 has 6 machines; put op 0 on an ineligible one
    from rewriter.fjsp.bundled import load_instance

    inst = load_instance("mk01")
    wrong = sorted(eligible - {m for m, _ in inst.eligible(0)})
    if wrong:
        entry["machine"] = wrong[0]
        out.write_text(json.dumps(data))
        assert main(["validate", "mk01", str(out)]) == 1
        assert "not eligible" in capsys.readouterr().out


def test_cpsat_and_the_objectives(tmp_path, capsys):
    out = tmp_path / "c.json"
    assert main(["solve", "mk01", "--method", "cpsat", "--time-limit", "2", "--workers", "1",
                 "--warm-start", "--out", str(out), "-q"]) == 0
    data = json.loads(out.read_text())
    assert data["method"] == "cpsat" and data["makespan"] <= data["init_makespan"]
    assert main(["solve", "mk01", "--objective", "tardiness", "-q", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert "weighted_tardiness" in data and data["gap_percent"] is None  # bounds are makespans


def test_compare_and_instances(tmp_path, capsys):
    assert main(["compare", "--problem", "fjsp", "--instances", "mk01-02", "--methods",
                 "mwkr-eet,fifo-spt,cpsat:1", "--cpsat-workers", "1", "--no-progress",
                 "--results", str(tmp_path / "r.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "| mk01 |" in out and "cpsat:1 (1 thr)" in out and "mean gap %" in out
    assert "DAN sampling (Wang et al. 2023) gap % (quoted)" in out  # published Brandimarte figures
    assert main(["instances", "--problem", "fjsp", "--family", "mk"]) == 0
    assert "15 instances" in capsys.readouterr().out


def test_the_quoted_brandimarte_figures_are_gaps_to_the_bundled_bounds():
    from rewriter.fjsp.spec import quoted

    figures = {(q["method"], q["group"]): q for q in quoted()}
    assert len(figures) == 4 * 7  # four methods, the seven sizes of mk01-10
    # mk08 (523, bound 523) and mk09 (311, bound 307) form the 20x10 group of DAN sampling
    assert figures["DAN sampling (Wang et al. 2023)", "mk 20x10"]["value"] == round(100 * (311 / 307 - 1) / 2, 2)
    assert figures["HGNN greedy (Song et al. 2022)", "mk 10x6"]["value"] == round(
        100 * ((43 / 40 - 1) + (38 / 26 - 1)) / 2, 2)
    assert all("github.com/wrqccc/FJSP-DRL" in q["citation"] for q in figures.values())


def test_the_shipped_learned_policy_solves_and_compares(tmp_path, capsys):
    from rewriter.fjsp.bundled import load_instance
    from rewriter import registry

    methods = registry.get("fjsp").methods  # the learners' methods included

    out = tmp_path / "s.json"
    assert main(["solve", "mk04", "--policy", "learned", "--steps", "20", "--out", str(out),
                 "--quiet"]) == 0
    assert main(["validate", "mk04", str(out)]) == 0
    r = methods()["rewriter"].run(load_instance("mk04"), budget=20)
    assert r.method == "rewriter" and r.steps == 20 and r.makespan < r.init_cost  # validated


def test_what_the_flexible_shop_cannot_do_is_one_clear_line(tmp_path, capsys):
    assert main(["train", "--problem", "fjsp", "--moves", "n7", "--run-dir", str(tmp_path / "r")]) == 2
    assert "--moves n7 is not an option of fjsp" in capsys.readouterr().err
    assert main(["solve", "mk01", "--policy", "learned", "--objective", "tardiness", "--model",
                 str(tmp_path / "none.pt")]) == 2
    assert "rewrites for makespan" in capsys.readouterr().err
    assert main(["solve", "mk01", "--moves", "n7"]) == 2
    assert "unknown moves 'n7'" in capsys.readouterr().err
