"""What every benchmark prints first: the command as run, the machine and the versions, so a table
pasted into the README says where its numbers came from."""

from __future__ import annotations

import os
import platform
import shlex
import sys
from datetime import datetime, timezone
from importlib.metadata import version


def run_header() -> str:
    """A markdown-friendly block: the command line, cores, memory, Python, DuckDB, the time."""
    command = shlex.join([script_name(sys.argv[0]), *sys.argv[1:]])
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30 if hasattr(os, "sysconf") else 0
    return (f"command: `python {command}`\n"
            f"machine: {os.cpu_count()} cores, {memory:,.0f} GiB, {platform.system()} {platform.machine()}; "
            f"Python {platform.python_version()}, DuckDB {version('duckdb')}, tattletrail {version('tattletrail')}; "
            f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC\n")


def script_name(path: str) -> str:
    """bench/NAME.py however it was invoked."""
    return f"bench/{os.path.basename(path)}"
