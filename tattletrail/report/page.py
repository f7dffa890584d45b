"""The HTML report's page template (Jinja2, autoescaped); html.py fills it."""

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
h2 { font-size: 16px; margin: 22px 0 8px; }
.window { color: var(--muted); margin: 2px 0 8px; overflow-wrap: anywhere; }
.headline { font-size: 18px; font-weight: 600; margin: 6px 0 10px; padding: 8px 12px; border-left: 6px solid;
            background: #fff; overflow-wrap: anywhere; }
.levels { display: flex; flex-wrap: wrap; gap: 8px; margin: 0; padding: 0; list-style: none; }
.checks-now { margin: 8px 0 0; overflow-wrap: anywhere; }
.checks-now .badge { margin-left: 6px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-size: 12px;
         white-space: nowrap; }
main { padding: 0 24px 24px; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; font-weight: 600; padding: 0 0 4px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: baseline; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.items { table-layout: fixed; }
.items td { font-size: 13px; overflow-wrap: anywhere; vertical-align: top; }
.items col.level { width: 84px; } .items col.when { width: 150px; } .items col.who { width: 17%; }
.items col.details { width: 24%; }
.items td.when { white-space: pre-line; }
@media (max-width: 900px) {
  .items col.level { width: 82px; } .items col.when { width: 116px; } .items col.details { width: 27%; }
  main, header { padding-left: 12px; padding-right: 12px; }
}
.what { font-weight: 600; }
.note { display: block; font-weight: normal; font-style: italic; }
.tag { display: inline-block; font-weight: normal; font-size: 11px; color: var(--muted); border: 1px solid var(--line);
       border-radius: 4px; padding: 0 4px; margin: 2px 4px 0 0; }
details { font-weight: normal; margin-top: 2px; }
summary { color: var(--muted); font-size: 12px; cursor: pointer; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 12px; }
details code { display: block; background: var(--soft); padding: 4px 6px; overflow-wrap: anywhere;
               white-space: pre-wrap; user-select: all; }
.sub { display: block; color: var(--muted); }
.more, .empty { color: var(--muted); }
.counts { table-layout: fixed; }
.counts col.n { width: 96px; }
.counts td:first-child { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.tables { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 12px 32px;
          align-items: start; }
ul.plain { margin: 0; padding-left: 18px; }
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
{% if checks %}
<p class="checks-now" id="checks-now"><strong>Checks now:</strong>
{% if checks.missing %}<span class="more">unknown — no checker state for this store in {{ checks.path }}</span>
{% elif not checks.alarms %}all OK
{% else %}{% for alarm in checks.alarms %}{{ status_badge(alarm.status) }} {{ alarm.label }}{% if not loop.last %} ·{% endif %}
{% endfor %}{% endif %}</p>
{% endif %}
</header>
<main>
<section id="items">
<h2>Highest threat first</h2>
{% if items %}
<table class="items">
<caption>One item per actor's session: its calls, at the highest level they reached; times {{ zone }}</caption>
<colgroup><col class="level"><col class="when"><col class="who"><col class="what"><col class="details"></colgroup>
<thead><tr><th scope="col">level</th><th scope="col">when ({{ zone }})</th><th scope="col">who</th>
<th scope="col">what</th><th scope="col">on · where · from</th></tr></thead>
<tbody>
{% for item in items %}
<tr class="item" data-level="{{ item.level }}" data-event-name="{{ item.event_name }}" data-actor="{{ item.actor }}">
<td>{{ badge(item.level, item.level) }}</td>
<td class="mono when">{{ item.when | replace(" → ", "\n→ ") }}</td>
<td title="{{ item.actor }}">{{ item.short_actor }}</td>
<td class="what">{{ item.what }}
<span class="note">{{ item.sentence }}</span>
{% for check in item.checks %}<span class="tag">check {{ check }}</span>{% endfor %}
{% if not item.complete %}<span class="tag">partial: its level had more events than were read</span>{% endif %}
{% if item.command %}<details><summary>show its events</summary><code>{{ item.command }}</code>
{% if item.discover %}<a href="{{ item.discover }}">open in Dashboards Discover</a>{% endif %}
{% for command in item.check_commands %}<span class="sub">what the check counted:</span><code>{{ command }}</code>{% endfor %}
</details>{% endif %}
</td>
<td><span class="mono" title="{{ item.all_resources }}">{{ item.resources }}</span>
<span class="sub">{{ item.where }}</span><span class="sub mono">{{ item.source_ips }}</span></td>
</tr>
{% endfor %}
</tbody>
</table>
{% if more_items %}<p class="more">… and {{ more_items }} more items (tattletrail report --top N, or --format json).</p>{% endif %}
{% else %}
<p class="empty">Nothing at low or above in this window.</p>
{% endif %}
{% if routine %}
<h2>Routine low-level activity</h2>
<p class="more">Frequent low-level actions by many actors, one line each rather than items.</p>
<ul class="plain" id="routine">{% for line in routine %}<li class="mono">{{ line }}</li>{% endfor %}</ul>
{% endif %}
{% for level, n in unread.items() %}<p class="more">{{ level }}: {{ "{:,}".format(n) }} events not read (more than the report reads); their items may be partial.</p>{% endfor %}
{% if checks and checks.alarms %}
<h2>Checks not OK right now</h2>
<table class="counts" id="alarms"><caption>As the checker's state file says ({{ checks.path }})</caption>
<thead><tr><th scope="col">check</th><th scope="col">status</th></tr></thead><tbody>
{% for alarm in checks.alarms %}<tr><td>{{ alarm.label }}</td><td>{{ status_badge(alarm.status) }}</td></tr>{% endfor %}
</tbody></table>
{% endif %}
{% if check_failures %}
<h2>Checks the report could not evaluate</h2>
<ul class="plain">{% for failure in check_failures %}<li>{{ failure }}</li>{% endfor %}</ul>
{% endif %}
</section>
<section id="timeline">
<h2>Threats per {{ interval }}: medium, high and critical ({{ zone }})</h2>
{{ threat_chart }}
</section>
<section id="actors"><h2>Top actors</h2>{{ actors_chart }}</section>
<section id="regions"><h2>Regions</h2>{{ regions_chart }}</section>
<section id="failures">
<h2>Denied and failed calls</h2>
<p>{{ denied }} denied (AccessDenied, UnauthorizedOperation and kin) · {{ failed }} failed (any errorCode)</p>
<div class="tables">
{{ counts_table("Who was denied?", "actor", denied_by_actor, "denied") }}
{{ counts_table("Which calls were denied?", "eventName", denied_by_event_name, "denied") }}
{{ counts_table("Why did calls fail?", "errorCode", failed_by_error, "failed") }}
</div>
</section>
<section id="accounts">
<h2>Accounts</h2>
<div class="tables">{{ counts_table("Events per account", "account", accounts) }}</div>
</section>
</main>
<footer>Levels come from the rules applied at ingest (rules/); check findings from the aggregate checks
(checks/) replayed over the window. An item is what one actor did in one session; "when" is its first
to last event ({{ zone }}). The same report as data: <code>tattletrail report --format json</code>.</footer>
</body>
</html>
"""
