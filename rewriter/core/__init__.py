"""The problem-agnostic core: the rewrite interface, the Tree-LSTM encoder, policies, trainers
and the learned search. A problem plugs in by implementing :mod:`rewriter.core.problem`."""
