"""`tattletrail init`: a copy of the shipped packs for a user to edit."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from tattletrail.cli.output import console, option_json, print_json
from tattletrail.packs import config_directory, init_packs


def register(app: typer.Typer) -> None:
    app.command("init")(init_command)


def init_command(
    folder: Optional[Path] = typer.Argument(None, metavar="[DIR]", help="Where to put checks/, rules/ and "
                                            "searches/ (default: your config directory, where Tattletrail "
                                            "looks for them)."),
    force: bool = typer.Option(False, "--force", help="Overwrite files that are already there."),
    as_json: bool = option_json(),
) -> None:
    """Copy the shipped checks, rules and searches into a folder for you to edit."""
    written = init_packs(folder, force=force)
    if as_json:
        print_json({"folders": [str(path) for path in written]})
        return
    for path in written:
        console.print(f"{path}: {sum(1 for _ in path.iterdir())} files", highlight=False, markup=False)
    if folder is None or folder.expanduser().resolve() == config_directory().resolve():
        console.print("Tattletrail reads these now, instead of the shipped packs.", highlight=False)
        return
    name = folder.expanduser()
    console.print(f"To use them: --checks {name / 'checks'}, --rules {name / 'rules'}, --searches "
                  f"{name / 'searches'}, or `checks:`, `rules:` and `searches:` in the config file.",
                  highlight=False, markup=False)
