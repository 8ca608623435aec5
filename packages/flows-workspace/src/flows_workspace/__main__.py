"""`python -m flows_workspace` is the `flow` command."""

import sys

from flows_workspace.cli import main

sys.exit(main())
