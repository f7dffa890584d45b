"""The threat rules an ingest scores events with, and the alerter for rules with destinations.

Loaded where the ingest runs: once for `tattletrail ingest`, once in each queue worker process
(a rule set and an alerter don't cross processes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tattletrail.rules import RuleSet
    from tattletrail.rules.alerts import RuleAlerter


def rules_for_ingest(directory: str | None, no_rules: bool) -> tuple[RuleSet | None, RuleAlerter | None]:
    """The rules an ingest applies and the alerter for those with destinations (None, None: --no-rules)."""
    if no_rules:
        return None, None
    from tattletrail.config import load_config
    from tattletrail.rules import load_rules
    from tattletrail.rules.alerts import alerter_for

    config = load_config()
    rules = load_rules(directory, config)
    return rules, alerter_for(rules.rules, config)
