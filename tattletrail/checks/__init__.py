"""Checks: saved count queries run on an interval over a window, with thresholds and notifications.

    model.py     the check file format (pydantic) and `load_checks`
    evaluate.py  the pure core: (check, counts, state, now) → results, notifications, state
    observe.py   what a check asks the store (counts per group, values, samples)
    state.py     what a check remembers, in a SQLite file
    runner.py    one run of one check: observe, evaluate, deliver, save
    scheduler.py the checker daemon (schedule), on an injectable clock
    replay.py    `check test --replay`
    sensu*.py    Sensu's check-es-query-count.rb as a command (`check es-query-count`) and converter
"""

from __future__ import annotations

import difflib
from pathlib import Path

from tattletrail.checks.model import Check, load_checks
from typing import TYPE_CHECKING

from tattletrail.config_files import ConfigError
from tattletrail.config_lookup import pack_folder
from tattletrail.packs import PACK_ENV, PackFolder, shipped

if TYPE_CHECKING:
    from tattletrail.config import Config, Expected

ENV_CHECKS = PACK_ENV["checks"]
PACK = shipped("checks")


def checks_folder(given: str | Path | None = None) -> PackFolder:
    """--checks, else $TATTLETRAIL_CHECKS, else `checks:` in the config, else <config dir>/checks,
    else the shipped pack (tattletrail/packs.py decides, for every pack alike)."""
    return pack_folder("checks", given)


def checks_directory(given: str | Path | None = None) -> Path:
    return checks_folder(given).path


def load_pack(given: str | Path | None = None, config: Config | None = None) -> list[Check]:
    """The checks in force (`checks_directory`), with what the config's `expected:` says is normal."""
    from tattletrail.config import load_config  # the config's models load only when a pack is run

    config = config or load_config()
    return with_expected(load_checks(checks_directory(given)), config.expected)


def with_expected(checks: list[Check], entries: list[Expected]) -> list[Check]:
    """Each check with the `expected:` entries that apply to it added to its `except`."""
    from tattletrail.config import expected_query

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


__all__ = ["Check", "ENV_CHECKS", "PACK", "checks_directory", "checks_folder", "load_checks", "load_pack",
           "select_checks", "with_expected"]
