"""The graph constructive scheduler: message passing over the partial disjunctive graph of
``JobShopGraph-v0`` (:mod:`.policy`), played side by side (:mod:`.rollout`), trained by the
constructive approach's PPO with ``--network graph``. See ``docs/construct.md``."""
