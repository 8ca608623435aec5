"""Runs: the run helper (`parse_run`, `record_run`), run ids, the manifest, git, output capture.

Also reading recorded runs back (`index`) and comparing their configs (`config_diff`).
"""
