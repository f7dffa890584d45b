"""The root of every error Tattletrail raises on purpose.

Each one says what went wrong and what to do (the file and line, the store URL, the query with a
caret), so the CLI prints its message as one line and exits 2 instead of a traceback
(`fail_cleanly` in cli/output.py). A library caller can catch `TattletrailError` to tell our errors
from bugs. Each subclass keeps the built-in base it had (ValueError, RuntimeError), so code that
catches those, and pydantic validators that expect a ValueError, work as before.
"""

from __future__ import annotations


class TattletrailError(Exception):
    """An error Tattletrail raises on purpose, with a message meant for the user."""


class ConfigError(TattletrailError, ValueError):
    """A config, check, rule or search file that can't be used; the message names file and line.

    Defined here rather than beside the YAML reader (config_files.py, which re-exports it) so that
    catching it doesn't import pydantic: `tattletrail count QUERY` starts without it."""
