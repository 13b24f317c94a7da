"""A learned constructive scheduler for MRT, DeepRM's approach (Mao et al. 2016): a masked
policy over the visible waiting jobs of ``MrtDispatch-v0`` (the job shop's network,
:class:`rewriter.learn.construct.policy.ConstructPolicy`, fed the cluster's state beside every job),
trained by REINFORCE with a time-dependent baseline over several rollouts of the same job sequence
(:mod:`.reinforce`, :mod:`.train`) for one number of resource types D, and decoded greedily or by
sampling (:mod:`.decode`). See ``docs/construct-mrt.md``.

As :mod:`rewriter.learn.construct`, it sits above the problem, which never imports it: the
``construct`` comparison method is added to MRT's spec by :mod:`rewriter.learn.construct.register`.
"""
