"""Every model shipped in rewriter/models/ is found by the one look-up
(rewriter.learn.checkpoint.shipped_model) and loads with the loader of its kind."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from rewriter.errors import InputError
from rewriter.learn.checkpoint import model_kind, model_path, shipped_model

SHIPPED = sorted(p.name for p in Path(str(resources.files("rewriter.models"))).glob("*.pt"))


def test_models_are_shipped():
    assert {"jssp.pt", "fjsp.pt", "mrt.pt", "jssp_control.pt", "jssp_construct.pt",
            "fjsp_dqn_50x10.pt", "fjsp_dqn_100x20.pt", "fjsp_dqn_500x100.pt", "fjsp_dqn_tardiness_50x10.pt",
            "fjsp_dqn_tardiness_100x20.pt", "jssp_regions.pt", "crew.pt"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_model_loads(name):
    from rewriter.learn.checkpoint import load_model
    from rewriter.learn.construct.model_file import load_construct_model
    from rewriter.learn.control.policy import load_control_model
    from rewriter.learn.dqn.model import load_dqn

    from rewriter.learn.crew.model_file import load_crew_model
    from rewriter.learn.hierarchical.model_file import load_hierarchical
    from rewriter.learn.regions.picker import load_scorer

    path = shipped_model(name)
    loaders = {"rewrite": load_model, "construct": load_construct_model,
               "control": load_control_model, None: load_dqn, "crew": load_crew_model,
               "hierarchical": load_hierarchical,
               "regions": lambda p: (load_scorer(p, name.split("_")[0]), {})}  # jssp_regions.pt
    model, meta = loaders[model_kind(path)](path)
    assert sum(p.numel() for p in model.parameters()) > 0 and isinstance(meta, dict)


def test_each_learner_finds_its_shipped_model_through_the_one_look_up():
    from rewriter.learn.construct.model_file import SHIPPED_GRAPH, shipped_model_path
    from rewriter.learn.control.policy import shipped_control_path
    from rewriter.learn.dqn.model import shipped_path
    from rewriter.models import default_model_path

    assert default_model_path("jssp") == shipped_model("jssp.pt")
    assert shipped_model_path() == shipped_model("jssp_construct.pt")
    assert shipped_model_path(SHIPPED_GRAPH) == shipped_model("jssp_construct_graph.pt")
    assert shipped_control_path() == shipped_model("jssp_control.pt")
    assert shipped_path() == shipped_model("fjsp_dqn_50x10.pt")
    assert shipped_path((411, 149)) == shipped_model("fjsp_dqn_500x100.pt")
    assert shipped_path((100, 20), "tardiness") == shipped_model("fjsp_dqn_tardiness_100x20.pt")
    assert shipped_path((50, 10), "combined") == shipped_model("fjsp_dqn_tardiness_50x10.pt")
    from rewriter.learn.hierarchical.model_file import shipped_path as hierarchical_path

    assert hierarchical_path() == shipped_model("fjsp_hierarchical.pt")


def test_default_means_the_shipped_model_and_a_missing_one_says_how_to_train_it(tmp_path):
    asked = []
    assert model_path("default", lambda: asked.append(1) or Path("x.pt")) == Path("x.pt")
    assert model_path(None, lambda: Path("x.pt")) == Path("x.pt")
    assert model_path(str(tmp_path / "m.pt"), lambda: asked.append(2)) == tmp_path / "m.pt"
    assert asked == [1]  # the shipped file is looked for only when asked for
    with pytest.raises(InputError, match="no shipped controller none.pt .*rewriter train "
                                         "--approach control"):
        shipped_model("none.pt", "controller", "rewriter train --approach control")
