"""The flexible shop's training defaults: read by the registry's spec (for `rewriter train`) and
by the rewrite problem (for `train()` called from Python), without loading either."""

TRAIN_PRESETS = {"sizes": ["10x5", "20x10", "30x15"], "init_rules": ["mwkr-eet", "fifo-eet", "mor-eet"],
                 "validation_sizes": ["20x10", "50x20"], "validation_init": "mwkr-eet"}
