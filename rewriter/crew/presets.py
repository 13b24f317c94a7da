"""The crew problem's training defaults for the learned rewriter: read by the registry's spec
(for `rewriter train --problem crew`) and by the rewrite problem (for `train()` called from
Python), without loading either.

Episodes start from all three rules: insertion's routes leave little to gain, nearest's and the
sweep's a lot, and the policy meets both kinds of state. Sizes are orders x operators of
generated instances (:func:`rewriter.crew.rewrite.parse_size`; ``c`` before a size: clustered).
"""

TRAIN_PRESETS = {"sizes": ["20x5", "50x8", "c50x8", "100x15"],
                 "init_rules": ["insertion", "nearest", "sweep"],
                 "validation_sizes": ["50x8", "200x30"], "validation_init": "insertion"}
