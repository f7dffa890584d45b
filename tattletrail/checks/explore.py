"""Where to look at an alert's events: the `tattletrail search` command (any store) and the store's
own link, if it has one (`Store.explore`: a Dashboards Discover link on OpenSearch)."""

from __future__ import annotations

import shlex
from datetime import datetime, timedelta

from tattletrail.checks.evaluate import Window
from tattletrail.checks.model import Check, TimeField
from tattletrail.checks.state import GroupKey
from tattletrail.searches import escape_value
from tattletrail.stores.base import Store
from tattletrail.timespec import iso_utc

# Discover's time picker filters on event time; for a window over ingest time it starts this much
# earlier, so events delivered late are inside it (the query itself pins ingest_time exactly).
LATE_EVENTS = timedelta(hours=24)


def explore_query(check: Check, window: Window, key: GroupKey, new_values: tuple[str, ...] = ()) -> str:
    """The check's query for one group and window, as query text anyone can paste."""
    parts = [f"({check.counted_query})", f"{check.count_by.value}:[{iso_utc(window.start)} TO {iso_utc(window.end)}}}"]
    parts += [f"{name}:{escape_value(value)}" for name, value in zip(check.group_by, key)]
    if new_values and check.field:
        parts.append("(" + " OR ".join(f"{check.field}:{escape_value(value)}" for value in new_values) + ")")
    return " AND ".join(parts)


def search_command(store_url: str, query: str) -> str:
    return f"tattletrail search --store {shlex.quote(store_url)} {shlex.quote(query)}"


def explore_window(check: Check, window: Window) -> tuple[datetime, datetime]:
    """The time range to show the window's events in: a window over ingest time starts earlier,
    so events delivered late are inside it (the query itself pins ingest_time exactly)."""
    start = window.start - (LATE_EVENTS if check.count_by is TimeField.ingest_time else timedelta(0))
    return start, window.end


def explore(store: Store, dashboards_url: str | None, check: Check, window: Window, key: GroupKey,
            new_values: tuple[str, ...] = ()) -> tuple[str | None, str | None]:
    """(the store's own link or None, the `tattletrail search` command) for one group and window."""
    query = explore_query(check, window, key, new_values)
    return store.explore(query, *explore_window(check, window), dashboards_url), search_command(store.url, query)
