"""`tattletrail check es-query-count` (a drop-in for Sensu's check-es-query-count.rb) and
`tattletrail check convert-sensu` (Sensu 1.x check definitions → check files).

`es-query-count` takes the plugin's own flags, so `-h` is the Elasticsearch host there as in the
plugin: help is `--help` only. The flags are read by tattletrail/checks/sensu.py (one table for
the command, the converter and the docs), not by click.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from tattletrail.alert import Status
from tattletrail.checks.sensu import CHECK_NAME
from tattletrail.checks.sensu_flags import FLAGS, PLUGIN, PluginArgumentError, parse_arguments
from tattletrail.checks.sensu_convert import convert_checks, write_checks
from tattletrail.checks.sensu_run import run
from tattletrail.cli.output import USER_ERRORS, console, errors, option_json, print_json, store_from
from tattletrail.query import QueryError
from tattletrail.stores.base import StoreUnavailable
from tattletrail.timespec import utc_now


def register(check_app: typer.Typer) -> None:
    check_app.command("es-query-count", epilog=flags_help(), context_settings={
        "help_option_names": ["--help"], "ignore_unknown_options": True, "allow_extra_args": True,
        "allow_interspersed_args": False})(es_query_count_command)
    check_app.command("convert-sensu")(convert_sensu_command)


def flags_help() -> str:
    lines = [f"The flags of {PLUGIN} (docs/checks.md has the table):\n\n"]
    for flag in FLAGS:
        lines.append(f"{', '.join(flag.names)}: {flag.here}\n\n")
    return "".join(lines)


def es_query_count_command(ctx: typer.Context) -> None:
    """Count as Sensu's check-es-query-count.rb does, with its flags, output and exit codes: on the
    cluster at -h (no --store), or in a tattletrail store (--store, or the default store)."""
    try:
        options = parse_arguments(list(ctx.args))
    except PluginArgumentError as error:
        sys.stdout.write(f"Invalid check argument(s): {error}\n")
        raise typer.Exit(int(Status.UNKNOWN)) from None
    try:
        result = run(options, utc_now(), store_from)
    except PluginArgumentError as error:
        sys.stdout.write(f"Invalid check argument(s): {error}\n")
        raise typer.Exit(int(Status.UNKNOWN)) from None
    except USER_ERRORS + (QueryError, StoreUnavailable) as error:
        sys.stdout.write(f"{CHECK_NAME} UNKNOWN: Check failed to run: {error}\n")
        raise typer.Exit(int(Status.UNKNOWN)) from None
    except Exception as error:  # noqa: BLE001 - a plugin that can't run says UNKNOWN, never crashes silent
        sys.stdout.write(f"{CHECK_NAME} UNKNOWN: Check failed to run: {type(error).__name__}: {error}\n")
        raise typer.Exit(int(Status.UNKNOWN)) from None
    for note in result.notes:
        errors.print(f"note: {note}", highlight=False, markup=False)
    sys.stdout.write(result.line() + "\n")
    raise typer.Exit(int(result.status))


def convert_sensu_command(
    sensu_file: Path = typer.Argument(..., help="A Sensu 1.x checks JSON file ({\"checks\": {...}})."),
    out: Path = typer.Option(Path("checks"), "--out", help="The folder to write the check files into."),
    force: bool = typer.Option(False, "--force", help="Replace check files that already exist."),
    as_json: bool = option_json(),
) -> None:
    """Turn Sensu check-es-query-count.rb checks into tattletrail check files with the same meaning;
    other checks are listed as skipped, with the reason."""
    everything = convert_checks(sensu_file)
    written = write_checks(everything, out, overwrite=force)
    if as_json:
        print_json([{"sensu": item.sensu_name, "name": item.name, "path": str(item.path) if item.path else None,
                     "skipped": item.skipped, "notes": item.notes} for item in everything])
        return
    for item in everything:
        if item.path is not None:
            console.print(f"wrote {item.path}  (Sensu check {item.sensu_name})", highlight=False, markup=False)
            for note in item.notes:
                console.print(f"    {note}", highlight=False, markup=False)
        else:
            console.print(f"skipped {item.sensu_name}: {item.skipped}", highlight=False, markup=False)
    console.print(f"{len(written)} check(s) written to {out}, {len(everything) - len(written)} skipped. "
                  f"Check them with: tattletrail check validate {out}", highlight=False, markup=False)

