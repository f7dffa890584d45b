"""Checks: saved count queries run on an interval over a window, with thresholds and notifications.

    model.py     the check file format (pydantic) and `load_checks`
    evaluate.py  the pure core: (check, counts, state, now) → results, notifications, state
    observe.py   what a check asks the store (counts per group, values, samples)
    state.py     what a check remembers, in a SQLite file
    runner.py    one run of one check: observe, evaluate, deliver, save
    scheduler.py the checker daemon (schedule), on an injectable clock
    replay.py    `check test --replay`
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from tattletrail.checks.model import Check, load_checks
from tattletrail.config import Config, ConfigError, Expected, expected_query, load_config

ENV_CHECKS = "TATTLETRAIL_CHECKS"
PACK = Path(__file__).resolve().parents[2] / "checks"


def checks_directory(given: str | Path | None = None) -> Path:
    """--checks, else $TATTLETRAIL_CHECKS, else ./checks if there is one, else the shipped pack."""
    if given:
        return Path(given)
    if os.environ.get(ENV_CHECKS):
        return Path(os.environ[ENV_CHECKS])
    local = Path("checks")
    return local if local.is_dir() else PACK


def load_pack(given: str | Path | None = None, config: Config | None = None) -> list[Check]:
    """The checks in force (`checks_directory`), with what the config's `expected:` says is normal."""
    config = config or load_config()
    return with_expected(load_checks(checks_directory(given)), config.expected)


def with_expected(checks: list[Check], entries: list[Expected]) -> list[Check]:
    """Each check with the `expected:` entries that apply to it added to its `except`."""
    return [check.expecting(query) if (query := expected_query(entries, check.name)) else check for check in checks]


def select_checks(checks: list[Check], names: list[str] | None) -> list[Check]:
    """The named checks (in the order named), or every enabled check when no name is given."""
    if not names:
        return [check for check in checks if check.enabled]
    by_name = {check.name: check for check in checks}
    chosen = []
    for name in names:
        if name not in by_name:
            close = difflib.get_close_matches(name, list(by_name), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(sorted(by_name)) or 'none'}"
            raise ConfigError(f"no check named {name!r}{hint}")
        chosen.append(by_name[name])
    return chosen


__all__ = ["Check", "ENV_CHECKS", "PACK", "checks_directory", "load_checks", "load_pack", "select_checks",
           "with_expected"]
