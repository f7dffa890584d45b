"""Re-apply the current rules to stored events: after a rule changes, or to score events that
were ingested without rules. Only events whose verdict changed are written."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tattletrail.rules.ruleset import RuleSet
from tattletrail.stores.base import Store

PAGE = 5_000
UNSCORED: dict[str, Any] = {"threat_level": None, "threat_score": None, "threat_rules": [], "annotations": []}


@dataclass
class RescoreSummary:
    store: str
    examined: int = 0
    changed: int = 0
    levels: Counter[str] = field(default_factory=Counter)  # the new level of every examined event
    rules: Counter[str] = field(default_factory=Counter)  # matches per rule among examined events

    def as_dict(self) -> dict[str, Any]:
        return {"store": self.store, "examined": self.examined, "changed": self.changed,
                "levels": dict(self.levels), "rules": dict(self.rules.most_common())}


def rescore(store: Store, rules: RuleSet, since: datetime | None = None, until: datetime | None = None,
            page: int = PAGE) -> RescoreSummary:
    """Evaluate `rules` on every event stored with event_time in [since, until) and store the
    verdicts that differ from what is stored."""
    summary = RescoreSummary(store=store.url)
    for events in store.threat_pages(since, until, page):
        updates = []
        for where, document in events:
            # As at ingest: the rules see the event, not the verdict or the ingest time stored with it.
            seen = {**document, **UNSCORED}
            seen.pop("ingest_time", None)
            verdict = rules.evaluate(seen)
            summary.examined += 1
            summary.levels[verdict.level] += 1
            summary.rules.update(verdict.rules)
            stored = (document.get("threat_level"), tuple(document.get("threat_rules") or ()),
                      tuple(document.get("annotations") or ()))
            if stored != (verdict.level, verdict.rules, verdict.annotations):
                updates.append((where, verdict.level, list(verdict.rules), list(verdict.annotations)))
        summary.changed += store.update_threats(updates)
    return summary
