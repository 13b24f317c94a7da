"""``rewriter compare``: every method on every instance, resumable, as the papers' tables. The grid
and its results file (:mod:`.grid`), one cell (:mod:`.cells`), the method specs (:mod:`.methods`),
tables (:mod:`.tables`) and plots (:mod:`.plots`) of the records, and the Dask executor
(:mod:`.dask_cluster`)."""
