"""The `tattletrail` command: a thin skin over the library, one module per command group."""

from __future__ import annotations

import sys

import typer

from tattletrail import __version__

from tattletrail.cli import admin as admin_commands
from tattletrail.cli import checks as check_commands
from tattletrail.cli import dashboards as dashboard_commands
from tattletrail.cli import destinations as destination_commands
from tattletrail.cli import generate as generate_commands
from tattletrail.cli import policy as policy_commands
from tattletrail.cli import ingest as ingest_commands
from tattletrail.cli import packs as pack_commands
from tattletrail.cli import query as query_commands
from tattletrail.cli import report as report_commands
from tattletrail.cli import rules as rule_commands
from tattletrail.cli.output import fail_cleanly

app = typer.Typer(
    name="tattletrail",
    help="CloudTrail into answers and alarms: ingest, query, check, report.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    pretty_exceptions_enable=False,
)


def _show_version(asked: bool) -> None:
    if asked:
        typer.echo(f"tattletrail {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True,
                                          help="Print the version and exit.")) -> None:
    """CloudTrail into answers and alarms: ingest, query, check, report."""
ingest_commands.register(app)
admin_commands.register(app)
generate_commands.register(app)
query_commands.register(app)
report_commands.register(app)
rule_commands.register(app)
check_commands.register(app)
destination_commands.register(app)
dashboard_commands.register(app)
pack_commands.register(app)
policy_commands.register(app)


def main() -> None:
    with fail_cleanly():
        app()


if __name__ == "__main__":
    sys.exit(main())
