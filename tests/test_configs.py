"""The five training configs share one base (rewriter.learn.config.ConfigBase): from_dict refuses
an unknown or ill-typed option with one line naming it, to_dict round-trips through JSON, and
every config checks its time limit and seed alike."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from rewriter.errors import InputError
from rewriter.learn.config import ConfigBase, TrainConfig
from rewriter.learn.construct.config import ConstructConfig
from rewriter.learn.construct.mrt.config import MrtConstructConfig
from rewriter.learn.control.config import ControlConfig
from rewriter.learn.dqn.config import DQNConfig

#: a valid config's values of each kind (the rewriter's needs what a problem fills in)
VALID = {TrainConfig: dict(problem="jssp", sizes=["6x4"], init_rules=["mwkr"],
                           validation_sizes=["6x4"], validation_init="mwkr"),
         ConstructConfig: {}, MrtConstructConfig: {}, ControlConfig: {}, DQNConfig: {}}
CONFIGS = list(VALID)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.__name__)
def test_every_config_derives_from_the_base_and_has_no_copy_of_it(config):
    assert issubclass(config, ConfigBase)
    assert "to_dict" not in vars(config) and "dumps" not in vars(config)
    assert "from_dict" not in vars(config) or config is TrainConfig  # its problem options


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.__name__)
def test_a_config_round_trips_through_json(config):
    cfg = config.from_dict(VALID[config])
    again = config.from_dict(json.loads(cfg.dumps()))
    assert again == cfg and again.to_dict() == cfg.to_dict()


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.__name__)
def test_an_unknown_option_is_one_line_naming_it(config):
    with pytest.raises(InputError, match="unknown .*: bogus_option$"):
        config.from_dict({**VALID[config], "bogus_option": 1})
    with pytest.raises(InputError, match="expected an object"):
        config.from_dict(["not", "an", "object"])


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.__name__)
def test_an_ill_typed_option_is_one_line_naming_it(config):
    for f in fields(config):
        if f.name in ("problem", "problem_options"):
            continue
        with pytest.raises(InputError) as caught:
            config.from_dict({**VALID[config], f.name: {"nested": "object"}})
        message = str(caught.value)
        assert "\n" not in message and f.name in message, (f.name, message)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name, value, message", [
    ("time_limit_minutes", -1, "a positive number of minutes"),
    ("time_limit_minutes", "soon", "a number of minutes"),
    ("seed", -1, "seed must be an integer in 0..2**63-1"),
    ("seed", 1.5, "seed (--seed): expected an integer"),
])
def test_every_config_checks_time_limit_and_seed_alike(config, name, value, message):
    with pytest.raises(InputError, match=message.replace("*", r"\*").replace("(", r"\(")
                       .replace(")", r"\)").replace(".", r"\.")):
        config.from_dict({**VALID[config], name: value})


def test_a_frozen_config_takes_its_numbers_as_their_type():
    cfg = DQNConfig.from_dict({"lr": 1, "sizes": ["8x3"], "validation_seeds": [7]})
    assert isinstance(cfg.lr, float) and cfg.sizes == ("8x3",) and cfg.validation_seeds == (7,)
    assert cfg.to_dict()["sizes"] == ["8x3"]
    with pytest.raises(InputError, match="validation_seeds"):
        DQNConfig.from_dict({"validation_seeds": ["a"]})
