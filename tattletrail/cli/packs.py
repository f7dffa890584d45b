"""`tattletrail init`: a copy of the shipped packs for a user to edit."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from tattletrail.cli.output import console, option_json, print_json
from tattletrail.config_lookup import pack_folder
from tattletrail.packs import PACKS, init_packs


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
    for name, path in zip(PACKS, written):
        in_force = pack_folder(name)
        if in_force.path.resolve() == path.resolve():
            console.print(f"Tattletrail now reads {name} from {path}.", highlight=False, markup=False)
        else:
            console.print(f"To use these {name}: --{name} {path}, or `{name}: {path}` in the config file "
                          f"(now: {in_force.describe()}).", highlight=False, markup=False)
