"""MRT's training defaults, NeuRewriter's setup: read by the registry's spec (for `rewriter
train`) and by the rewrite problem (for `train()` called from Python), without loading either."""

TRAIN_PRESETS = {"sizes": ["50"], "validation_sizes": ["50"], "init_rules": ["ejf"],
                 "validation_init": "ejf", "validation_decoding": "sample", "algo": "reinforce",
                 "formulation": "node", "negative_q_resample": True, "episode_steps": 50,
                 "validation_steps": 50, "reward": "step", "reward_scale": 10.0, "gamma": 0.9,
                 "lr": 1e-3, "minibatch": 64, "validation_per_size": 8, "validate_every": 10}

#: resource counts a policy can be trained for: node features pad the demand block to 20
#: resources, so a policy trained at any D <= 20 runs at every D <= 20 (the paper uses 2, 5, 10
#: and 20; the generator itself accepts any D >= 1)
TRAIN_RESOURCES = (1, 20)
