"""`tattletrail check status|silence|unsilence`: what the checker knows now, and quieting it.

Read from (and, for silences, written to) the checker's state file; nothing here queries a store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from tattletrail.checks import checks_directory, load_checks, select_checks
from tattletrail.checks.runner import SystemClock
from tattletrail.checks.silence import Silence, SilenceBook, SilenceFile, parse_group
from tattletrail.checks.state import StateFile, default_state_path
from tattletrail.checks.status import GroupStatus, status_of
from tattletrail.cli.output import (console, errors, option_checks, option_json, option_state, option_store, print_json,
                                    store_from, table)
from tattletrail.config import ConfigError, load_config
from tattletrail.destinations.outbox import Outbox, default_outbox_path
from tattletrail.timespec import TimeSpecError, parse_duration


def register(check_app: typer.Typer) -> None:
    check_app.command("status")(status_command)
    check_app.command("silence")(silence_command)
    check_app.command("unsilence")(unsilence_command)


def status_command(
    name: Optional[str] = typer.Argument(None, help="One check (default: every check)."),
    checks_dir: Optional[Path] = option_checks(), store: Optional[str] = option_store(),
    state: Optional[Path] = option_state(), as_json: bool = option_json(),
) -> None:
    """Each check and group: status and since when, last notification, deliveries waiting, silences."""
    config = load_config()
    checks = load_checks(checks_directory(checks_dir))
    checks = select_checks(checks, [name]) if name else checks
    path = state or default_state_path()
    if not path.is_file():
        raise ConfigError(f"{path}: no state file: the checker (or `check run --notify`) has not run with it "
                          "(give --state)")
    store_url = store_from(store, config=config).url
    outbox_path = default_outbox_path(beside=path)
    pending = Outbox(outbox_path).pending() if outbox_path.is_file() else []
    now = SystemClock().now()
    silences = SilenceBook(SilenceFile(path), config.checker.maintenance).in_force(now)
    report = status_of(checks, StateFile(path, store_url).saved(), pending, silences, now)
    if as_json:
        print_json({"store": store_url, "checks": [group.to_json() for group in report.groups],
                    "silences": [silence.to_json() for silence in report.silences]})
        return
    console.print(table(None, ["check", "group", "status", "since", "last notified", "pending", "silence"],
                        [_row(group) for group in report.groups]))


def _row(group: GroupStatus) -> tuple[object, ...]:
    status = "never run" if group.status is None else group.status.name
    if not group.enabled:
        status += " (disabled)"
    notified = None
    if group.notified_at is not None and group.notified is not None:
        notified = f"{group.notified.name} at {group.notified_at:%Y-%m-%d %H:%M}"
    if group.silenced:
        notified = (notified or "-") + f" ({group.silenced} silenced since)"
    pending = ", ".join(f"{entry.alert.status.name} → {entry.destination}" for entry in group.pending) or None
    return (group.check, ", ".join(f"{k}={v}" for k, v in group.group.items()) or None, status,
            f"{group.since:%Y-%m-%d %H:%M}" if group.since else None, notified, pending,
            escape(group.silence.label) if group.silence else None)  # `[actor=…]` is not rich markup


def silence_command(
    name: str = typer.Argument(..., help="The check to silence."),
    group: Optional[list[str]] = typer.Option(None, "--group", help="Only this group, FIELD=VALUE (repeatable), "
                                              "e.g. --group actor=ci-deploy."),
    duration: str = typer.Option(..., "--for", help="How long, e.g. 30m, 2h, 1d."),
    reason: str = typer.Option(..., "--reason", help="Why (shown in `check status` and the checker's log)."),
    checks_dir: Optional[Path] = option_checks(), state: Optional[Path] = option_state(),
) -> None:
    """Silence a check (or one group): still evaluated and recorded, not notified, until it ends."""
    check = select_checks(load_checks(checks_directory(checks_dir)), [name])[0]
    try:
        labels = parse_group(group)
        length = parse_duration(duration)
    except (ValueError, TimeSpecError) as error:
        raise ConfigError(str(error)) from None
    unknown = sorted(set(labels) - set(check.group_by))
    if unknown:
        raise ConfigError(f"--group {unknown[0]}: check {name!r} groups by {', '.join(check.group_by) or 'nothing'}")
    now = SystemClock().now()
    silence = Silence(name, now + length, reason, labels, now)
    SilenceFile(state or default_state_path()).add(silence, now)
    console.print(f"{silence.label}.", highlight=False, markup=False)


def unsilence_command(
    name: str = typer.Argument(..., help="The check whose silence ends now."),
    group: Optional[list[str]] = typer.Option(None, "--group", help="Only this group's silence (FIELD=VALUE)."),
    state: Optional[Path] = option_state(),
) -> None:
    """End a check's silences now (all of them, or one group's)."""
    try:
        labels = parse_group(group) if group else None
    except ValueError as error:
        raise ConfigError(str(error)) from None
    removed = SilenceFile(state or default_state_path()).remove(name, labels)
    if not removed:
        errors.print(f"no silence of {name!r}" + (" for that group" if labels else ""), highlight=False, markup=False)
        raise typer.Exit(1)
    console.print(f"{removed} silence(s) of {name} ended.", highlight=False, markup=False)


__all__ = ["silence_command", "status_command", "unsilence_command"]
