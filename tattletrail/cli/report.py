"""`tattletrail report`: the riskiest things in a window, as text, one HTML file, or JSON."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import orjson
import typer

from tattletrail.checks import checks_directory, load_checks
from tattletrail.checks.state import default_state_path
from tattletrail.cli.output import console, errors, option_checks, option_state, option_store, store_from
from tattletrail.cli.query import option_tz, option_until
from tattletrail.config import load_config
from tattletrail.report import build_report
from tattletrail.report.html import render_html
from tattletrail.report.text import print_report, render_text
from tattletrail.timespec import parse_instant, zone

FORMATS = ("text", "html", "json")
SHOWN_ITEMS = 25  # text and HTML without --top; JSON holds every item unless --top is given


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)


def report_command(
    since: str = typer.Option("24h", "--since", help="Start of the window: 24h, 7d (ago), yesterday, ISO 8601."),
    until: Optional[str] = option_until(), tz: Optional[str] = option_tz(),
    output_format: str = typer.Option("text", "--format", help="text (a terminal), html (one self-contained "
                                      "file with charts) or json (for scripts; see docs/report.md)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the report to this file instead of stdout."),
    top: Optional[int] = typer.Option(None, "--top", min=1, help=f"At most this many items (default: "
                                      f"{SHOWN_ITEMS} in text and HTML, all in JSON)."),
    store: Optional[str] = option_store(), checks_dir: Optional[Path] = option_checks(),
    state: Optional[Path] = option_state(),
) -> None:
    """The highest-threat activity of the window first, one item per actor's session; what the
    aggregate checks found, which checks are alarming now; totals by level, top actors, regions,
    denied and failed calls."""
    if output_format not in FORMATS:
        raise typer.BadParameter(f"{output_format!r}: use one of {', '.join(FORMATS)}", param_hint="--format")
    now = datetime.now(timezone.utc)
    window = (parse_instant(since, now, tz), parse_instant(until, now, tz) if until else now.replace(tzinfo=None))
    if window[0] >= window[1]:
        raise typer.BadParameter(f"the window is empty: --since {since} is not before --until {until or 'now'}")
    if top is None and output_format != "json":
        top = SHOWN_ITEMS
    config = load_config()
    report = build_report(store_from(store), *window, top=top, generated_at=now.replace(tzinfo=None),
                          checks=load_checks(checks_directory(checks_dir)), state_path=state or default_state_path(),
                          dashboards_url=config.dashboards_url)
    shown_zone = zone(tz)
    if output_format == "text" and out is None:
        print_report(report, shown_zone, console)
        return
    if output_format == "json":
        content = orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n"
    elif output_format == "html":
        content = render_html(report, shown_zone)
    else:
        content = render_text(report, shown_zone)
    if out is None:
        typer.echo(content, nl=False)
        return
    out.write_text(content, encoding="utf-8")
    errors.print(f"{report.headline}\nwrote {out} ({output_format}, {len(report.items)} items)",
                 highlight=False, markup=False)
