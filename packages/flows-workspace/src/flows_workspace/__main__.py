"""`python -m flows_workspace` is the `flow` command."""

import sys

from flows_workspace._cli import main

sys.exit(main())
