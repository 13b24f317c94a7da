"""The hierarchical job -> machine policy of the flexible shop (docs/fjsp_hierarchical.md): PPO over
``rewriter/FlexibleShop-v0``'s two decisions per operation, a job head and a machine head
conditioned on the chosen job, shipped as ``rewriter/models/fjsp_hierarchical.pt`` and used by
``--init hierarchical`` and the ``hierarchical`` comparison method."""
