"""`tattletrail rescore`, and the rule options `ingest` shares (--rules, --no-rules)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

import typer

from tattletrail.cli.output import console, option_json, option_store, print_json, store_from, table
from tattletrail.config import load_config
from tattletrail.rules import LEVELS, load_rule_files, load_rules, rules_folder
from tattletrail.rules.rescore import RescoreSummary, rescore
from tattletrail.timespec import parse_instant


rules_app = typer.Typer(help="List the threat rules in force.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("rescore")(rescore_command)
    app.add_typer(rules_app, name="rules")


def option_rules() -> Any:
    return typer.Option(None, "--rules", help="Directory of rule files (default: $TATTLETRAIL_RULES, `rules:` in "
                        "the config file, the rules/ folder of your config directory, else the pack shipped with "
                        "Tattletrail).")


@rules_app.command("list")
def list_command(rules_dir: Optional[str] = option_rules(), as_json: bool = option_json()) -> None:
    """Every rule: level, name, enabled, what is expected (its `except` and the config's `expected:`),
    description; and the folder they were read from."""
    folder = rules_folder(rules_dir)
    config = load_config()
    loaded = load_rule_files([folder.path])
    expected = {rule.name: expected_text(rule, config) for rule in loaded}
    if as_json:
        # `except`: the rule's own and the config's `expected:` for it, as one query
        print_json([{**rule.rule.model_dump(mode="json", by_alias=True), "name": rule.name, "origin": rule.origin,
                     "except": expected[rule.name]} for rule in loaded])
        return
    console.print(f"{len(loaded)} {folder.describe()}", highlight=False, markup=False)
    ranked = sorted(loaded, key=lambda rule: (-rule.score, rule.name))
    console.print(table(None, ["level", "name", "enabled", "except", "description"],
                        [(rule.rule.level, rule.name, "yes" if rule.rule.enabled else "no", expected[rule.name],
                          rule.rule.description) for rule in ranked]))


def expected_text(rule: Any, config: Any) -> str | None:
    """The rule's `except` and the config's `expected:` for it, as one query text."""
    from tattletrail.config import expected_query

    parts = [part for part in (rule.rule.except_, expected_query(config.expected, rule.name)) if part]
    return " OR ".join(f"({part})" for part in parts) if len(parts) > 1 else (parts[0] if parts else None)


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
