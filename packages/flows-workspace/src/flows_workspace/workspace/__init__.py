"""Setting up a workspace and its experiments: settings, init, install, templates, create/fork.

One model per file on disk: `flows.toml` (`settings`), `.flow-experiment.toml` (`experiments`).
"""
