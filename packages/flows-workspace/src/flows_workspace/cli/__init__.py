"""The `flow` command line: thin tyro subcommands that parse, call one operation and print.

User errors become one line and an exit code; the work itself lives in `workspace/` and `runs/`.
"""

from flows_workspace.cli.main import flow_create_main as flow_create_main
from flows_workspace.cli.main import flow_init_main as flow_init_main
from flows_workspace.cli.main import main as main
