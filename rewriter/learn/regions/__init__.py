"""The learned region picker of large-neighbourhood rewriting (``--selector learned``):
:mod:`.features` (what it sees), :mod:`.model` (the scorer), :mod:`.picker` (choosing, model
files), :mod:`.collect` (labelled decisions from sub-solves), :mod:`.train` (imitation
training, ``python -m rewriter.learn.regions.train``)."""
