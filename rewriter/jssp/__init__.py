"""The job-shop scheduling problem: instances, the disjunctive graph, moves and schedules."""
