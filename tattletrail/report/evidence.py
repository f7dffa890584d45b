"""From an item to its events in one step: the `tattletrail search` command (any store) and, on
OpenSearch with `dashboards_url` set, the Discover link.

An item is a query over a window — its actor (and account), its calls, its first to last event —
so it is handed to the same explorer the checks' alerts use (checks/explore.py), which asks the
store for its own way to show events.
"""

from __future__ import annotations

from datetime import timedelta

from tattletrail.checks.evaluate import Window
from tattletrail.checks.explore import explore
from tattletrail.checks.model import Check, TimeField
from tattletrail.report.model import ReportItem
from tattletrail.searches import escape_value
from tattletrail.stores.base import Store


def item_query(item: ReportItem) -> str:
    """`actor:DOE1 AND account:… AND eventName:(DeleteRoute)`: the item's events, with its window beside."""
    parts = [f"actor:{escape_value(item.actor)}"]
    if len(item.accounts) == 1:
        parts.append(f"account:{escape_value(item.accounts[0])}")
    names = " OR ".join(escape_value(call.event_name) for call in item.calls)
    parts.append(f"eventName:({names})")
    return " AND ".join(parts)


def link_evidence(item: ReportItem, store: Store, dashboards_url: str | None) -> None:
    """Set the item's search command and Discover link (a finding keeps its check's own)."""
    if item.findings and not item.calls:
        finding = item.findings[0]
        item.search_command, item.discover_url = finding.explore_command, finding.explore_url
        return
    if item.first is None or item.last is None:
        return
    view = Check(name="report-item", query=item_query(item), critical=1, count_by=TimeField.event_time)
    window = Window(item.first.replace(microsecond=0), item.last.replace(microsecond=0) + timedelta(seconds=1))
    item.discover_url, item.search_command = explore(store, dashboards_url, view, window, ())
