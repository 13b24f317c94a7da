"""The heterogeneous graph network for the orders-and-operators problem (issue 38, part 4):
a graph of an instance and its partial routes (:mod:`.graph`), the attention network with its
activation and assignment heads (:mod:`.model`), the constructive decoder that turns its scores
into feasible routes (:mod:`.decode`), supervised training on CP-SAT labels (:mod:`.train`) and
the ``network`` start rule it adds to the crew problem (:mod:`.register`)."""
