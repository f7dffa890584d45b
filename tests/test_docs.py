"""The README documents every command and its quick start works as written."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from tattletrail.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def command_names() -> list[str]:
    # Typer vendors its own click: recognise groups by their commands, not by a click class.
    group = typer.main.get_command(app)
    assert group.commands
    names = []
    for name, command in group.commands.items():
        if getattr(command, "commands", None):
            names += [f"{name} {sub}" for sub in command.commands]
        else:
            names.append(name)
    return names


def test_every_command_is_in_the_readme():
    undocumented = [name for name in command_names() if f"tattletrail {name}" not in README]
    assert not undocumented, f"README.md does not mention: {undocumented}"


def test_readme_quick_start_is_the_two_make_targets():
    assert "make demo" in README and "make test" in README
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_the_readme_check_example_is_a_valid_check(tmp_path):
    from tattletrail.checks.model import load_checks

    block = re.search(r"```yaml\n(# checks/(\S+)\n.*?)```", README, re.S)
    assert block, "README has no check example"
    path = tmp_path / block.group(2)
    path.write_text(block.group(1))
    (check,) = load_checks(path)
    assert check.name == "my-ingress-to-world"
