"""Templates: discovery, metadata, typed variables, rendering, and lab scaffolds.

Found through entry points and the workspace's own folder; `scaffold` makes a lab's distribution.
"""
