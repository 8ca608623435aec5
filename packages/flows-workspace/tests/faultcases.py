"""The tally of the fault-injection suite (`test_faults.py`), printed at the end of a session.

A module of its own, so that `conftest.py` finds the same list the tests fill in,
whatever name pytest's import mode gives the test module.
"""

from __future__ import annotations

TRIED: list[str] = []
"""The id of every fault case that ran to its assertions."""
