"""Runs: the run helper (`parse_run`, `record_run`), the manifest, and finding runs again.

Also run ids, git state, the environment, output capture, config defaults and differences.
"""
