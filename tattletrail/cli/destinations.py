"""`tattletrail destinations list` and `destinations test NAME`: what is configured, and does it work."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import typer

from tattletrail.cli.output import console, errors, option_json, print_json, table
from tattletrail.config import Config, load_config
from tattletrail.destinations import build_destination, built_in_destinations, policy_of
from tattletrail.destinations.delivery import DeliveryPolicy, Dispatcher
from tattletrail.destinations.testing import make_test_alert
from tattletrail.timespec import utc_now

destinations_app = typer.Typer(help="Alert destinations: list them, send a test alert.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(destinations_app, name="destinations")


@destinations_app.command("list")
def list_command(as_json: bool = option_json()) -> None:
    """Every configured destination: name, type and where it sends (never a secret)."""
    rows = destination_rows(load_config())
    if as_json:
        print_json(rows)
        return
    console.print(table(None, ["name", "type", "target"], [(row["name"], row["type"], row["target"]) for row in rows]))


def destination_rows(config: Config) -> list[dict[str, str]]:
    rows = [{"name": name, "type": settings.type, "target": settings.target()}
            for name, settings in sorted(config.destinations.items())]
    if "stdout" not in config.destinations:
        rows.insert(0, {"name": "stdout", "type": "stdout", "target": "standard output (built in)"})
    return rows


@destinations_app.command("test")
def test_command(name: str = typer.Argument(..., help="The destination's name in the config file."),
                 as_json: bool = option_json()) -> None:
    """Send a test alert (marked as a test) to one destination and say what happened.
    Exits 1 if it was not delivered."""
    config = load_config()
    if name in config.destinations:
        destination = build_destination(name, config.destinations[name])
        policy = policy_of(config.destinations[name])
    elif name in built_in_destinations():
        destination, policy = built_in_destinations()[name], DeliveryPolicy()
    else:
        known = ", ".join(sorted({*config.destinations, *built_in_destinations()}))
        errors.print(f"[bold red]error:[/] no destination named {name!r} (configured: {known})", highlight=False)
        raise typer.Exit(2)
    logging.basicConfig(level=logging.INFO, format="%(message)s")  # every attempt, on stderr
    alert = make_test_alert(utc_now())
    # A test alert that fails stays out of the real outbox: the next checker run must not resend it.
    with tempfile.TemporaryDirectory() as scratch:
        with Dispatcher({name: destination}, Path(scratch) / "outbox.sqlite", policies={name: policy}) as dispatcher:
            result = dispatcher.deliver(alert, [name])[0]
    if as_json:
        print_json({"destination": name, "outcome": result.outcome, "delivered": result.ok,
                    "attempts": result.attempts, "seconds": round(result.seconds, 3), "error": result.error})
    elif result.ok:
        console.print(f"Delivered a test alert to {name!r} in {result.seconds:.2f} s "
                      f"({result.attempts} attempt{'s' if result.attempts != 1 else ''}).", highlight=False)
    else:
        errors.print(f"[bold red]not delivered[/] to {name!r} after {result.attempts} attempt(s): {result.error}",
                     highlight=False)
    if not result.ok:
        raise typer.Exit(1)
