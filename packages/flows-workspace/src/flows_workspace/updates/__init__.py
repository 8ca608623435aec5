"""Keeping experiments up to date: the merge base, `flow update`, diffs against upstream.

The base is kept at creation; template or parent changes come in by three-way merges.
"""
