"""The background process of a detached local or ray sweep: `python -m` this module FOLDER.

`flow sweep --detach` starts it in its own session, writes the record naming it as the
sweep's driver, then sends the variations to run on its standard input. `kill PID`
(SIGTERM) stops it as Ctrl-C stops an attached sweep: its variations are cancelled and
recorded as interrupted.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from flows_workspace._errors import FlowsError
from flows_workspace.sweeps.execute import run_variations
from flows_workspace.sweeps.record import RECORD_NAME, SweepRecord


def main() -> int:
    """Run the variations named on stdin (once `flow sweep` closes it) of the sweep in argv[1]."""
    signal.signal(signal.SIGTERM, _stop)
    indices = [int(word) for word in sys.stdin.read().split()]
    record = SweepRecord.load(Path(sys.argv[1]) / RECORD_NAME)
    try:
        run_variations(record, indices, record.logs_root, detach=False)
    except FlowsError as error:
        print(f"flow sweep: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("flow sweep: stopped; `flow sweep resume` runs what is left", file=sys.stderr)
        return 143
    return 0


def _stop(signum: int, frame: object) -> None:
    """SIGTERM (`kill PID`) stops the sweep as Ctrl-C stops an attached one."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
