"""Run ids: sortable by start time, unique across processes starting in the same second."""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone

RUN_ID_PATTERN = re.compile(r"^(\d{8}-\d{6}-\d{6})-[0-9a-f]{6}$")
"""`YYYYMMDD-HHMMSS-microseconds-<6 random hex digits>`, in UTC."""
_TIME_FORMAT = "%Y%m%d-%H%M%S-%f"


def new_run_id(now: datetime | None = None) -> str:
    """A fresh run id for a run starting at `now` (default: the current UTC time).

    The UTC timestamp with microseconds makes ids sort by start time; 24 random bits
    tell apart runs starting in the same microsecond (the run folder's exclusive
    `mkdir` catches the rest).
    """
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return f"{moment.strftime(_TIME_FORMAT)}-{os.urandom(3).hex()}"
