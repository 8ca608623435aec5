"""Sweeps: many variations of one experiment from one command (grid, random or a sweep file).

Specs, the sweep record, code snapshots and the launchers (local, slurm, ray) that run them.
"""
