"""Learning, built on the problems and never imported by them: the rewrite policies (Tree-LSTM
and graph-attention encoders), their trainers (PPO, REINFORCE, data-parallel) and the learned
search (:mod:`rewriter.learn.train`, :mod:`rewriter.learn.search`); the constructive schedulers
(:mod:`rewriter.learn.construct`), the learned controller of tabu search
(:mod:`rewriter.learn.control`) and the flexible shop's DQN dispatcher (:mod:`rewriter.learn.dqn`).
"""
