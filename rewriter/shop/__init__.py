"""What the job shop and the flexible shop share: numba kernels over the schedule DAG (heads,
tails, copies, traces, the kernels' seed) and the heterogeneous graph of operations and machines
the learned policies read."""
