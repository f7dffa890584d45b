"""Links into OpenSearch Dashboards: Discover showing a query's events over a time range."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote


def discover_url(dashboards_url: str, query: str, start: datetime, end: datetime) -> str:
    """OpenSearch Dashboards Discover for the query (Lucene), with the time picker from start to end."""
    state_global = f"(time:(from:'{_iso(start)}',to:'{_iso(end)}'))"
    state_app = f"(query:(language:lucene,query:{_rison_text(query)}))"
    return (f"{dashboards_url.rstrip('/')}/app/discover#/?_g={quote(state_global, safe='():,')}"
            f"&_a={quote(state_app, safe='():,')}")


def _rison_text(text: str) -> str:
    """A string in rison (the notation of Dashboards URLs): quoted, with ! escaping ' and !."""
    return "'" + text.replace("!", "!!").replace("'", "!'") + "'"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"
