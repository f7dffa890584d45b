"""The `tattletrail` command: a thin skin over the library, one module per command group."""

from __future__ import annotations

import os
import sys
from importlib import import_module

import typer

from tattletrail import __version__

from tattletrail.cli.output import fail_cleanly

# Each top-level command and the module that defines it. A run imports only the module of the
# command it runs (a command module imports the library it needs: stores, rules, the check pack…),
# so `tattletrail count` starts in a fraction of the time `tattletrail --help` takes, which loads
# them all. A command missing here still works; it only makes every run load every module.
COMMAND_MODULES: dict[str, str] = {
    "ingest": "ingest", "stats": "ingest", "quarantine": "ingest",
    "setup": "admin", "doctor": "admin",
    "generate": "generate",
    "search": "query", "count": "query", "searches": "query",
    "report": "report",
    "rescore": "rules", "rules": "rules",
    "check": "checks", "checker": "checks",
    "destinations": "destinations",
    "dashboards": "dashboards",
    "init": "packs",
    "policy": "policy",
}
ALL_MODULES = tuple(dict.fromkeys(COMMAND_MODULES.values()))

_app = typer.Typer(
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


@_app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True,
                                          help="Print the version and exit.")) -> None:
    """CloudTrail into answers and alarms: ingest, query, check, report."""


def register(modules: tuple[str, ...] = ALL_MODULES) -> typer.Typer:
    """Add the commands of these modules to the app (once each); returns the app."""
    for name in modules:
        if name not in _registered:
            import_module(f"tattletrail.cli.{name}").register(_app)
            _registered.add(name)
    return _app


_registered: set[str] = set()


def modules_for(arguments: list[str]) -> tuple[str, ...]:
    """The modules a command line needs: its command's, none for `--version`, or all of them for
    help, completion and anything not in the table."""
    command = next((argument for argument in arguments if not argument.startswith("-")), None)
    if command is None and "--version" in arguments and "--help" not in arguments:
        return ()
    if command in COMMAND_MODULES and "_TATTLETRAIL_COMPLETE" not in os.environ:
        return (COMMAND_MODULES[command],)
    return ALL_MODULES


def __getattr__(name: str) -> typer.Typer:
    """`from tattletrail.cli import app` (the tests, the docs generator) gets every command."""
    if name == "app":
        return register()
    raise AttributeError(name)


def main() -> None:
    with fail_cleanly():
        register(modules_for(sys.argv[1:]))()


if __name__ == "__main__":
    main()
