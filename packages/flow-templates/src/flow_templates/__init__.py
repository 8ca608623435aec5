"""Experiment and workspace templates for flows, announced through entry points.

Each template is a folder of package data under `flow_templates/templates/`, holding a
`template.toml` (description, kind, variables) and the files to render. The
distribution announces each one in the entry-point group `flows.templates`:

```toml
[project.entry-points."flows.templates"]
default = "flow_templates:default"
```

The value names a zero-argument callable returning the template folder as an
`importlib.resources` Traversable. flows-workspace finds templates only through that
group, so another distribution offering the same entry points replaces this one.
"""

from flow_templates._folders import TEMPLATE_NAMES as TEMPLATE_NAMES
from flow_templates._folders import default as default
from flow_templates._folders import minimal as minimal
from flow_templates._folders import pytorch as pytorch
from flow_templates._folders import template_folder as template_folder
from flow_templates._folders import workspace as workspace

__version__ = "0.2.0"
