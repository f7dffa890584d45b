"""The report as one self-contained HTML file: inline CSS, inline SVG charts, no script, no link.

The page's Content-Security-Policy forbids every fetch, so a report opened from a mail attachment
or a bucket can't reach the network even by mistake. The items table comes first, so the top
incidents are on screen before any chart.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup, escape

from tattletrail.report.charts import LEVEL_COLOURS, horizontal_bars, stacked_timeline
from tattletrail.report.model import Report, ReportItem, headline_of, local, middle_cut
from tattletrail.report.text import interval_name, window_line, zone_label

THREAT_STACK = ("low", "medium", "high", "critical")  # bottom to top; info has its own chart
# Text colour on each level's badge, for a contrast ratio of at least 4.5:1.
BADGE_INK = {"critical": "#ffffff", "high": "#000000", "medium": "#000000", "low": "#ffffff", "info": "#000000",
             "unscored": "#000000"}

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>Tattletrail report · {{ window }}</title>
<style>
:root { color-scheme: light; --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
       background: #fff; }
header { padding: 14px 24px 10px; border-bottom: 1px solid var(--line); background: var(--soft); }
h1 { font-size: 18px; margin: 0; }
h2 { font-size: 16px; margin: 18px 0 8px; }
.window { color: var(--muted); margin: 2px 0 8px; }
.headline { font-size: 18px; font-weight: 600; margin: 6px 0 10px; padding: 8px 12px; border-left: 6px solid;
            background: #fff; }
.levels { display: flex; flex-wrap: wrap; gap: 8px; margin: 0; padding: 0; list-style: none; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-size: 12px;
         white-space: nowrap; }
main { padding: 0 24px 24px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.items { table-layout: fixed; }
.items td { font-size: 13px; overflow-wrap: anywhere; }
.items col.level { width: 84px; } .items col.when { width: 150px; } .items col.who { width: 20%; }
.items col.resource { width: 15%; } .items col.where { width: 13%; } .items col.from { width: 136px; }
.items td.when { white-space: pre-line; }
.items .what { font-weight: 600; }
.note { display: block; font-weight: normal; color: var(--muted); font-style: italic; }
.mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 12px; }
.more, .empty { color: var(--muted); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 8px 32px; }
.tables { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 8px 32px; }
footer { color: var(--muted); padding: 12px 24px 24px; border-top: 1px solid var(--line); }
</style>
</head>
<body>
<header>
<h1>Tattletrail report</h1>
<p class="window">{{ window }} · {{ total }} events · {{ store }}{% if generated %} · generated {{ generated }}{% endif %}</p>
<p class="headline" id="headline" style="border-color: {{ headline_colour }}">{{ headline }}</p>
<ul class="levels" aria-label="Events by threat level">
{% for level, n in levels %}<li>{{ badge(level, level ~ " " ~ "{:,}".format(n)) }}</li>
{% endfor %}</ul>
</header>
<main>
<section id="items">
<h2>Highest threat first</h2>
{% if items %}
<table class="items">
<colgroup><col class="level"><col class="when"><col class="who"><col class="what"><col class="resource">
<col class="where"><col class="from"></colgroup>
<thead><tr><th>level</th><th>when ({{ zone }})</th><th>who</th><th>what</th><th>resource</th><th>where</th>
<th>from</th></tr></thead>
<tbody>
{% for item in items %}
<tr class="item" data-level="{{ item.level }}" data-event-name="{{ item.event_name }}" data-actor="{{ item.actor }}">
<td>{{ badge(item.level, item.level) }}</td>
<td class="mono when">{{ item.when }}</td>
<td title="{{ item.actor }}">{{ item.short_actor }}</td>
<td class="what">{{ item.event_name }}{% if item.count > 1 %} ×{{ item.count }}{% endif %}
{% for note in item.annotations %}<span class="note">{{ note }}</span>{% endfor %}
{% if item.errors %}<span class="note">{{ item.errors }}</span>{% endif %}</td>
<td class="mono">{{ item.resources }}</td>
<td>{{ item.where }}</td>
<td class="mono">{{ item.source_ips }}</td>
</tr>
{% endfor %}
</tbody>
</table>
{% if more_items %}<p class="more">… and {{ more_items }} more items (tattletrail report --top N, or --format json).</p>{% endif %}
{% else %}
<p class="empty">Nothing at low or above in this window.</p>
{% endif %}
</section>
<section id="timeline">
<h2>Events by threat level, per {{ interval }}</h2>
{{ threat_chart }}
<h2>All events, per {{ interval }}, by threat level (info included)</h2>
{{ all_chart }}
</section>
<div class="charts">
<section id="actors"><h2>Top actors</h2>{{ actors_chart }}</section>
<section id="regions"><h2>Regions</h2>{{ regions_chart }}</section>
</div>
<section id="failures">
<h2>Denied and failed calls</h2>
<p>{{ denied }} denied (AccessDenied, UnauthorizedOperation and kin) · {{ failed }} failed (any errorCode)</p>
<div class="tables">
{{ counts_table("denied: actor", denied_by_actor) }}
{{ counts_table("denied: eventName", denied_by_event_name) }}
{{ counts_table("failed: errorCode", failed_by_error) }}
{{ counts_table("account", accounts) }}
</div>
</section>
</main>
<footer>Levels come from the rules applied at ingest (rules/). An item is one actor doing one action at one
level in the window; "when" is its first event ({{ zone }}). The same report as data:
<code>tattletrail report --format json</code>.</footer>
</body>
</html>
"""

_ENVIRONMENT = Environment(autoescape=select_autoescape(default=True, default_for_string=True),
                           trim_blocks=True, lstrip_blocks=True)


def render_html(report: Report, tz: tzinfo) -> str:
    """One HTML document with everything inline."""
    template = _ENVIRONMENT.from_string(PAGE)
    return template.render(badge=_badge, counts_table=_counts_table, **page_values(report, tz))


def page_values(report: Report, tz: tzinfo) -> dict[str, Any]:
    zone = zone_label(tz, report.until)
    top_level = report.items[0].level if report.items else "info"
    return {
        "window": window_line(report, tz), "zone": zone, "store": report.store, "total": f"{report.total:,}",
        "generated": f"{local(report.generated_at, tz):%Y-%m-%d %H:%M}" if report.generated_at else None,
        "headline": headline_of(report.items[0], tz) if report.items else report.headline,
        "headline_colour": LEVEL_COLOURS[top_level],
        "levels": list(report.by_level.items()),
        "items": [_item_view(item, tz) for item in report.items], "more_items": report.more_items,
        "interval": interval_name(report),
        "threat_chart": Markup(stacked_timeline(report.timeline, THREAT_STACK, report.interval, tz,
                                                "Events at low or above per bucket, stacked by threat level")),
        "all_chart": Markup(stacked_timeline(report.timeline, ("info", *THREAT_STACK), report.interval, tz,
                                             "All events per bucket, stacked by threat level", height=160)),
        "actors_chart": Markup(horizontal_bars(report.top_actors, "Top actors by events", second="at low or above",
                                                       width=520, label_width=270)),
        "regions_chart": Markup(horizontal_bars([(name, n, 0) for name, n in report.regions], "Events by region")),
        "denied": f"{report.denied:,}", "failed": f"{report.failed:,}",
        "denied_by_actor": report.denied_by_actor, "denied_by_event_name": report.denied_by_event_name,
        "failed_by_error": report.failed_by_error, "accounts": report.accounts,
    }


def _item_view(item: ReportItem, tz: tzinfo) -> dict[str, Any]:
    first = f"{local(item.first, tz):%Y-%m-%d %H:%M:%S}" if item.first else "?"
    last = f"\n→ {local(item.last, tz):%Y-%m-%d %H:%M:%S}" if item.count > 1 and item.last else ""
    more = " …" if item.count > item.listed else ""
    return {"level": item.level, "when": first + last, "actor": item.actor, "short_actor": middle_cut(item.actor, 40),
            "event_name": item.event_name, "count": item.count, "annotations": item.annotations[:2],
            "errors": ", ".join(item.errors), "resources": ", ".join(item.resources) + more,
            "where": " · ".join(filter(None, [", ".join(item.regions), ", ".join(item.accounts)])),
            "source_ips": ", ".join(item.source_ips)}


def _badge(level: str, label: str) -> Any:
    colour, ink = LEVEL_COLOURS.get(level, "#e0e0e0"), BADGE_INK.get(level, "#000000")
    return Markup(f'<span class="badge" style="background:{colour};color:{ink}">{escape(label)}</span>')


def _counts_table(heading: str, rows: list[tuple[str, int]]) -> Any:
    body = "".join(f'<tr><td>{escape(middle_cut(name, 44))}</td><td class="num">{n:,}</td></tr>'
                   for name, n in rows) or '<tr><td class="empty" colspan="2">none</td></tr>'
    return Markup(f'<table><thead><tr><th>{escape(heading)}</th><th class="num">events</th></tr></thead>'
                  f"<tbody>{body}</tbody></table>")
