"""A workspace and its experiments: settings, init, install, records, create/fork, rename.

One model per file on disk: `flows.toml` (`settings`), `.flow-experiment.toml` (`experiments`).
"""
