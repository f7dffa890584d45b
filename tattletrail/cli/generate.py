"""`tattletrail generate`: write a realistic organization trail with known incidents."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from tattletrail.cli.output import console, errors, option_json, print_json
from tattletrail.generate import GenerateResult, default_end, generate_trail
from tattletrail.timespec import parse_instant


def register(app: typer.Typer) -> None:
    app.command("generate")(generate_command)


def generate_command(
    outdir: Path = typer.Argument(..., help="Folder to write AWSLogs/... into (created if missing)."),
    days: int = typer.Option(2, min=1, help="Days of activity, ending at --end."),
    seed: int = typer.Option(1, help="Random seed: the same seed, end and options give identical files."),
    accounts: int = typer.Option(3, min=1, help="Accounts in the organization (the first is the management account)."),
    events_per_day: int = typer.Option(20_000, min=0, help="Background events per day, across all accounts."),
    end: Optional[str] = typer.Option(None, help="End of the trail: ISO 8601 (UTC unless it says otherwise), "
                                      "or today, yesterday, 24h... (default: now, rounded down to 5 minutes)."),
    as_json: bool = option_json(),
) -> None:
    """Write CloudTrail log and digest files as an organization trail delivers them, with eight
    incidents (each exactly once, in the last 24 hours) among realistic background traffic."""
    until = parse_instant(end, datetime.now(timezone.utc)) if end else default_end()
    slots = days * 288
    with Progress(TextColumn("generating"), BarColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=errors, transient=True, disable=not errors.is_terminal) as progress:
        task = progress.add_task("", total=slots)

        def show(events: int, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, description=f"{events:,} events")

        result = generate_trail(outdir, days=days, seed=seed, accounts=accounts, events_per_day=events_per_day,
                                end=until, on_progress=show)
    if as_json:
        print_json(result.as_dict())
        return
    console.print(describe_generate(result), highlight=False)


def describe_generate(result: GenerateResult) -> str:
    lines = [f"Wrote {result.events:,} events in {result.files:,} log files and {result.digest_files:,} digest files "
             f"({result.bytes / 1e6:,.1f} MB) to {result.outdir} in {result.seconds:.1f}s "
             f"({result.rate:,.0f} events/s).",
             f"  {result.start:%Y-%m-%d %H:%M} → {result.end:%Y-%m-%d %H:%M} UTC; organization "
             f"{result.organization}; accounts {', '.join(result.accounts)}; regions {', '.join(result.regions)}.",
             f"Incidents ({len(result.incidents)}):"]
    for incident in sorted(result.incidents, key=lambda incident: incident.eventTime):
        lines.append(f"  {incident.eventTime}  {incident.kind:<26} {incident.actor}  {incident.eventName} "
                     f"{incident.resource}  account {incident.account}  {incident.region}  "
                     f"from {incident.sourceIPAddress}")
    return "\n".join(lines)
