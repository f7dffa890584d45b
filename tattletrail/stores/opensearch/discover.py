"""Links into OpenSearch Dashboards: Discover showing a query's events over a time range."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from tattletrail.timespec import iso_utc


def discover_url(dashboards_url: str, query: str, start: datetime, end: datetime) -> str:
    """OpenSearch Dashboards Discover for the query (Lucene), with the time picker from start to end."""
    state_global = f"(time:(from:'{iso_utc(start)}',to:'{iso_utc(end)}'))"
    state_app = f"(query:(language:lucene,query:{_rison_text(query)}))"
    return (f"{dashboards_url.rstrip('/')}/app/discover#/?_g={quote(state_global, safe='():,')}"
            f"&_a={quote(state_app, safe='():,')}")


def _rison_text(text: str) -> str:
    """A string in rison (the notation of Dashboards URLs): quoted, with ! escaping ' and !."""
    return "'" + text.replace("!", "!!").replace("'", "!'") + "'"
