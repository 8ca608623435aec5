"""Results of runs: metrics, run records, the index of summaries, queries, plots, reports.

`run.log` writes the metrics; `flow runs`, `load_runs`, `flow plot` and `flow report` read them.
"""
