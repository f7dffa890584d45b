"""Where to look at an alert's events: a Dashboards Discover link (OpenSearch) or the equivalent
`tattletrail search` command (any store). Each store kind has one small function in EXPLORERS."""

from __future__ import annotations

import shlex
from datetime import timedelta
from typing import Callable
from urllib.parse import quote, urlparse

from tattletrail.checks.evaluate import Window
from tattletrail.checks.model import Check, TimeField
from tattletrail.checks.state import GroupKey
from tattletrail.searches import escape_value
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


def discover_url(dashboards_url: str, check: Check, window: Window, query: str) -> str:
    """OpenSearch Dashboards Discover for the query, with the time picker around the window."""
    start = window.start - (LATE_EVENTS if check.count_by is TimeField.ingest_time else timedelta(0))
    state_global = f"(time:(from:'{iso_utc(start)}',to:'{iso_utc(window.end)}'))"
    state_app = f"(query:(language:lucene,query:{_rison_text(query)}))"
    return (f"{dashboards_url.rstrip('/')}/app/discover#/?_g={quote(state_global, safe='():,')}"
            f"&_a={quote(state_app, safe='():,')}")


def _rison_text(text: str) -> str:
    """A string in rison (the notation of Dashboards URLs): quoted, with ! escaping ' and !."""
    return "'" + text.replace("!", "!!").replace("'", "!'") + "'"


Explorer = Callable[[str, "str | None", Check, Window, str], "tuple[str | None, str | None]"]


def _embedded(store_url: str, dashboards_url: str | None, check: Check, window: Window,
              query: str) -> tuple[str | None, str | None]:
    return None, search_command(store_url, query)


def _opensearch(store_url: str, dashboards_url: str | None, check: Check, window: Window,
                query: str) -> tuple[str | None, str | None]:
    url = discover_url(dashboards_url, check, window, query) if dashboards_url else None
    return url, search_command(store_url, query)


# Store URL scheme → (Discover URL or None, search command).
EXPLORERS: dict[str, Explorer] = {"duckdb": _embedded, "opensearch": _opensearch, "opensearch+https": _opensearch}


def explore(store_url: str, dashboards_url: str | None, check: Check, window: Window, key: GroupKey,
            new_values: tuple[str, ...] = ()) -> tuple[str | None, str | None]:
    query = explore_query(check, window, key, new_values)
    explorer = EXPLORERS.get(urlparse(store_url).scheme, _embedded)
    return explorer(store_url, dashboards_url, check, window, query)
