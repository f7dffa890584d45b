"""`tattletrail rescore`, and the rule options `ingest` shares (--rules, --no-rules)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

import typer

from tattletrail.cli.output import console, option_json, option_store, print_json, store_from, table
from tattletrail.config import load_config
from tattletrail.rules import LEVELS, RuleSet, load_rules
from tattletrail.rules.alerts import RuleAlerter, alerter_for
from tattletrail.rules.rescore import RescoreSummary, rescore
from tattletrail.timespec import parse_instant


rules_app = typer.Typer(help="List the threat rules in force.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("rescore")(rescore_command)
    app.add_typer(rules_app, name="rules")


def option_rules() -> Any:
    return typer.Option(None, "--rules", help="Directory of rule files (default: `rules:` in the config file, "
                        "else the pack shipped with Tattletrail).")


def rules_for_ingest(directory: str | None, no_rules: bool) -> tuple[RuleSet | None, RuleAlerter | None]:
    """The rules an ingest applies and the alerter for those with destinations (None, None: --no-rules)."""
    if no_rules:
        return None, None
    config = load_config()
    rules = load_rules(directory, config)
    return rules, alerter_for(rules.rules, config)


def describe_threats(summary: Any) -> list[str]:
    """Lines for the ingest summary: events by threat level, alerts sent and failed."""
    lines = []
    levels = summary.threat_levels
    if levels:
        counts = ", ".join(f"{level} {levels[level]:,}" for level in reversed(LEVELS) if levels.get(level))
        lines.append(f"  Threat levels: {counts} (`tattletrail search 'threat_score:[3 TO 4]'` shows high and critical).")
    if summary.alerts_sent:
        lines.append(f"  {summary.alerts_sent:,} rule alerts sent.")
    for failure in summary.alerts_failed:
        lines.append(f"  alert not delivered: {failure}")
    return lines


def rescore_command(
    since: Optional[str] = typer.Option(None, help="Only events from this time on (30d, 24h, ISO); default all."),
    until: Optional[str] = typer.Option(None, help="Only events before this time."),
    store: Optional[str] = option_store(),
    rules_dir: Optional[str] = option_rules(),
    as_json: bool = option_json(),
) -> None:
    """Apply the current rules to stored events again; store the verdicts that changed."""
    now = datetime.now(timezone.utc)
    window = [parse_instant(text, now) if text else None for text in (since, until)]
    summary = rescore(store_from(store), load_rules(rules_dir), window[0], window[1])
    if as_json:
        print_json(summary.as_dict())
        return
    console.print(describe_rescore(summary), highlight=False)


def describe_rescore(summary: RescoreSummary) -> Any:
    title = (f"Rescored {summary.examined:,} events in {summary.store}: {summary.changed:,} changed.")
    rows = [(level, summary.levels[level]) for level in reversed(LEVELS) if summary.levels.get(level)]
    return table(title, ["level", "events"], rows, numeric=["events"])


@rules_app.command("list")
def list_command(rules_dir: Optional[str] = option_rules(), as_json: bool = option_json()) -> None:
    """Every rule in force: level, query, and what is expected (its `except` and the config's `expected:`)."""
    rules = load_rules(rules_dir)
    rows = [{"name": compiled.name, "level": compiled.loaded.rule.level, "query": compiled.loaded.rule.query,
             "except": expected_text(compiled.loaded), "origin": compiled.loaded.origin} for compiled in rules.rules]
    if as_json:
        print_json(rows)
        return
    console.print(table(None, ["name", "level", "query", "except"],
                        [(row["name"], row["level"], row["query"], row["except"]) for row in rows]))


def expected_text(rule: Any) -> str | None:
    """The rule's `except` and the config's `expected:` for it, as one query text."""
    from tattletrail.config import expected_query

    parts = [part for part in (rule.rule.except_, expected_query(load_config().expected, rule.name)) if part]
    return " OR ".join(f"({part})" for part in parts) if len(parts) > 1 else (parts[0] if parts else None)
