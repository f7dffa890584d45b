"""The report as one self-contained HTML file: inline CSS, inline SVG charts, no script.

The page's Content-Security-Policy forbids every fetch, so a report opened from a mail attachment
or a bucket can't reach the network even by mistake. The items table comes first, so the top
incidents are on screen before any chart; each item carries the command (and on OpenSearch the
Discover link) that shows its events.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup, escape

from tattletrail.report.charts import LEVEL_COLOURS, horizontal_bars, threat_timeline
from tattletrail.report.model import Report, ReportItem, headline_of, middle_cut
from tattletrail.report.text import interval_name, resource_text, sentence
from tattletrail.report.times import Clock, local

# Text colour on each level's badge, for a contrast ratio of at least 4.5:1.
BADGE_INK = {"critical": "#ffffff", "high": "#000000", "medium": "#000000", "low": "#ffffff", "info": "#000000",
             "unscored": "#000000"}
STATUS_COLOURS = {"CRITICAL": "#7a0019", "WARNING": "#e69f00", "UNKNOWN": "#6f42c1"}
STATUS_INK = {"CRITICAL": "#ffffff", "WARNING": "#000000", "UNKNOWN": "#ffffff"}

_ENVIRONMENT = Environment(autoescape=select_autoescape(default=True, default_for_string=True),
                           trim_blocks=True, lstrip_blocks=True)


def render_html(report: Report, tz: tzinfo) -> str:
    """One HTML document with everything inline."""
    from tattletrail.report.page import PAGE

    template = _ENVIRONMENT.from_string(PAGE)
    return template.render(badge=_badge, status_badge=_status_badge, counts_table=_counts_table,
                           **page_values(report, tz))


def page_values(report: Report, tz: tzinfo) -> dict[str, Any]:
    clock = Clock(tz, report.since, report.until)
    top_level = report.items[0].level if report.items else "info"
    return {
        "window": clock.window(report.since, report.until), "zone": clock.zone, "store": report.store,
        "total": f"{report.total:,}",
        "generated": f"{local(report.generated_at, tz):%Y-%m-%d %H:%M} {clock.zone}" if report.generated_at else None,
        "headline": headline_of(report.items[0], clock) if report.items else report.headline,
        "headline_colour": LEVEL_COLOURS[top_level],
        "levels": list(report.by_level.items()),
        "checks": report.checks, "check_failures": report.check_failures,
        "items": [_item_view(item, clock) for item in report.items], "more_items": report.more_items,
        "routine": [line.label + (f" (most: {line.top_actor})" if line.top_actor else "") for line in report.routine],
        "unread": report.unread, "interval": interval_name(report),
        "threat_chart": Markup(threat_timeline(report.timeline, report.interval, tz, clock.zone,
                                               "Medium, high and critical events per bucket; all events faint")),
        "actors_chart": Markup(horizontal_bars(report.top_actors, "Top actors by events", second="at low or above")),
        "regions_chart": Markup(horizontal_bars([(name, n, 0) for name, n in report.regions], "Events by region")),
        "denied": f"{report.denied:,}", "failed": f"{report.failed:,}",
        "denied_by_actor": report.denied_by_actor, "denied_by_event_name": report.denied_by_event_name,
        "failed_by_error": report.failed_by_error, "accounts": report.accounts,
    }


def _item_view(item: ReportItem, clock: Clock) -> dict[str, Any]:
    return {"level": item.level, "when": clock.span(item.first, item.last, seconds=True), "actor": item.actor,
            "short_actor": middle_cut(item.actor, 48), "event_name": item.event_name,
            "what": item.what or (item.findings[0].check if item.findings else "?"), "sentence": sentence(item),
            "checks": [f"{finding.check} {finding.status}" for finding in item.findings],
            "check_commands": [finding.explore_command for finding in item.findings
                               if finding.explore_command and finding.explore_command != item.search_command],
            "resources": resource_text(item, most=3), "all_resources": ", ".join(item.resources),
            "where": " · ".join(filter(None, [", ".join(item.regions), ", ".join(item.accounts)])),
            "source_ips": ", ".join(item.source_ips), "command": item.search_command, "discover": item.discover_url,
            "complete": item.complete}


def _badge(level: str, label: str) -> Any:
    colour, ink = LEVEL_COLOURS.get(level, "#e0e0e0"), BADGE_INK.get(level, "#000000")
    return Markup(f'<span class="badge" style="background:{colour};color:{ink}">{escape(label)}</span>')


def _status_badge(status: str) -> Any:
    colour, ink = STATUS_COLOURS.get(status, "#e0e0e0"), STATUS_INK.get(status, "#000000")
    return Markup(f'<span class="badge" style="background:{colour};color:{ink}">{escape(status)}</span>')


def _counts_table(caption: str, column: str, rows: list[tuple[str, int]], unit: str = "events") -> Any:
    """A headed two-column table: the name left, the number right-aligned on one baseline."""
    body = "".join(f'<tr><td title="{escape(name)}">{escape(middle_cut(name, 48))}</td>'
                   f'<td class="num">{n:,}</td></tr>' for name, n in rows) \
        or '<tr><td class="empty" colspan="2">none</td></tr>'
    return Markup(f'<table class="counts"><caption>{escape(caption)}</caption><colgroup><col><col class="n">'
                  f'</colgroup><thead><tr><th scope="col">{escape(column)}</th><th scope="col" class="num">'
                  f'{escape(unit)}</th></tr></thead><tbody>{body}</tbody></table>')
