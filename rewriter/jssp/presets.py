"""The job shop's training defaults: read by the registry's spec (for `rewriter train`) and by
the rewrite problem (for `train()` called from Python), without loading either."""

TRAIN_PRESETS = {"sizes": ["10x10", "15x15"], "init_rules": ["mwkr", "spt", "fifo", "mor", "random"],
                 "validation_sizes": ["15x15", "20x15"], "validation_init": "mwkr"}
