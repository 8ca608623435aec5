"""Sweeps: many variations of one experiment (grid, random or a sweep file), checked, recorded.

Status and resume read the sweep record; `launchers/` run the variations (local, slurm, ray).
"""
