"""`tattletrail setup` and `doctor`: prepare a store, and say what is wrong with it."""

from __future__ import annotations

from typing import Optional

import typer

from tattletrail.cli.output import console, option_json, option_store, print_json, store_from, table
from tattletrail.config import load_config


def register(app: typer.Typer) -> None:
    app.command("setup")(setup_command)
    app.command("doctor")(doctor_command)


def setup_command(store: Optional[str] = option_store(),
                  dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be installed; change nothing."),
                  migrate: bool = typer.Option(False, "--migrate", help="OpenSearch: give events stored by an older "
                                               "tattletrail under their eventID alone their eventID@eventTime _id."),
                  as_json: bool = option_json()) -> None:
    """Install what the store needs (OpenSearch: index templates, lifecycle policy, ledger and
    quarantine indices). Safe to run again: what is current is left alone."""
    target = store_from(store, create=not dry_run)
    # StoreUnavailable and FastFieldError: one line and exit 2 (cli/output.fail_cleanly)
    steps = target.setup(dry_run=dry_run, fast_fields=load_config().fast_fields, migrate=migrate)
    if as_json:
        print_json({"store": target.url, "dry_run": dry_run, "steps": [step.as_dict() for step in steps]})
        return
    verb = "would be" if dry_run else "were"
    console.print(table(f"{target.url}{' (dry run)' if dry_run else ''}", ["what", "action", "detail"],
                        [(step.name, step.action, step.detail) for step in steps]))
    changed = sum(step.action in ("create", "update", "migrate") for step in steps)
    console.print(f"{changed} change(s) {verb} made." if changed else "Everything was already in place.")
    if any(step.action == "needs migration" for step in steps):
        console.print(f"Ingest refuses until then: run `tattletrail setup --migrate --store {target.url}`.",
                      highlight=False, markup=False)


def doctor_command(store: Optional[str] = option_store(), as_json: bool = option_json()) -> None:
    """Check the store: connectivity, engine and version, templates and policies, permissions.
    Exits 1 if anything needs fixing, and says how."""
    target = store_from(store)
    checks = target.doctor()
    failed = [check for check in checks if not check.ok]
    if as_json:
        print_json({"store": target.url, "ok": not failed, "checks": [check.as_dict() for check in checks]})
    else:
        console.print(table(target.url, ["check", "", "detail"],
                            [(check.name, "ok" if check.ok else "FAIL", check.detail) for check in checks]))
        for check in failed:
            console.print(f"[bold red]fix[/] {check.name}: {check.fix or 'see the detail above'}", highlight=False)
        if not failed:
            console.print("All checks passed.")
    if failed:
        raise typer.Exit(1)

