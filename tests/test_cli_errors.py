"""Errors, not tracebacks: every command answers a store it can't use, a query it can't run and a
URL it can't read with one line that says what to do, and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tattletrail.stores import open_store
from tests.cloudtrail_files import corpus_records, write_log_file
from tests.opensearch_helpers import store_url

COMMANDS = [["search", "eventName:x"], ["count"], ["stats"], ["quarantine"], ["setup"], ["ingest", "LOGS"]]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tattletrail", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd)


def logs_in(tmp_path: Path) -> str:
    return str(write_log_file(tmp_path / "logs" / "a.json.gz", corpus_records("parser-samples.jsonl")))


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
def test_an_unreachable_cluster_is_one_line_with_the_fix(command: list[str], tmp_path: Path):
    args = [logs_in(tmp_path) if word == "LOGS" else word for word in command]
    result = run_cli(*args, "--store", "opensearch://127.0.0.1:9")
    assert_one_clear_line(result, "can't reach the cluster at 127.0.0.1:9", "connection refused", "doctor")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
def test_refused_credentials_are_one_line_with_the_fix(command: list[str], tmp_path: Path, httpserver: HTTPServer):
    httpserver.expect_request("").respond_with_json(
        {"error": {"type": "security_exception", "reason": "missing authentication credentials"}, "status": 401},
        status=401)
    args = [logs_in(tmp_path) if word == "LOGS" else word for word in command]
    result = run_cli(*args, "--store", f"opensearch://127.0.0.1:{httpserver.port}")
    assert_one_clear_line(result, "refused our credentials (401)", "password")


def test_ingest_before_setup_says_to_run_setup(opensearch_url: str, tmp_path: Path):
    url = store_url(opensearch_url, "tt-not-set-up")
    result = run_cli("ingest", logs_in(tmp_path), "--store", url)
    assert_one_clear_line(result, "tattletrail setup --store")


def test_a_query_nested_500_deep_is_an_error(tmp_path: Path):
    url = f"duckdb:///{tmp_path / 'e.duckdb'}"
    assert run_cli("ingest", logs_in(tmp_path), "--store", url).returncode == 0
    for query in ["(" * 500 + "x" + ")" * 500, "NOT " * 500 + "x"]:
        result = run_cli("search", query, "--store", url)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert "nested more than 100 levels deep" in result.stderr


@pytest.mark.parametrize("url, meant", [("duckdb:/tt16-root-probe.duckdb", "duckdb:///tt16-root-probe.duckdb"),
                                        ("duckdb:x.duckdb", "duckdb://x.duckdb")])
def test_a_store_url_missing_its_slashes_is_refused_before_anything_is_written(url: str, meant: str, tmp_path: Path):
    result = run_cli("ingest", logs_in(tmp_path), "--store", url, cwd=tmp_path)
    assert_one_clear_line(result, "starts with duckdb://", meant)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["logs"]  # no `duckdb:` folder
    assert not Path("/tt16-root-probe.duckdb").exists()


def test_since_after_until_is_an_error(tmp_path: Path):
    url = f"duckdb:///{tmp_path / 'e.duckdb'}"
    assert run_cli("ingest", logs_in(tmp_path), "--store", url).returncode == 0
    for command in (["search"], ["count"], ["ingest", logs_in(tmp_path)]):
        result = run_cli(*command, "--since", "2024-05-02", "--until", "2024-05-01", "--store", url)
        assert_one_clear_line(result, "--since 2024-05-02", "is not before --until 2024-05-01")


def test_version_and_shell_completion():
    from tattletrail import __version__

    assert run_cli("--version").stdout.strip() == f"tattletrail {__version__}"
    completion = subprocess.run([sys.executable, "-m", "tattletrail", "--show-completion", "bash"],
                                capture_output=True, text=True, timeout=60)
    assert "complete -o default -F" in completion.stdout and "tattletrail" in completion.stdout


def test_waiting_for_a_locked_store_says_who_holds_it_and_how_long(tmp_path: Path):
    import duckdb

    url = f"duckdb:///{tmp_path / 'e.duckdb'}"
    assert run_cli("ingest", logs_in(tmp_path), "--store", url).returncode == 0
    holder = duckdb.connect(str(tmp_path / "e.duckdb"))  # this process holds the write lock
    try:
        result = subprocess.run([sys.executable, "-m", "tattletrail", "stats", "--store", url], capture_output=True,
                                text=True, timeout=120, env={**os.environ, "TATTLETRAIL_LOCK_TIMEOUT": "3"})
    finally:
        holder.close()
    assert result.returncode == 2 and "Traceback" not in result.stderr
    waiting, failed = result.stderr.strip().splitlines()
    assert waiting.startswith(f"waiting for {tmp_path / 'e.duckdb'}: locked by another process (PID {os.getpid()}")
    assert "waiting up to 2s more" in waiting or "waiting up to 1s more" in waiting
    assert failed.startswith("error: ") and "stayed locked" in failed and "TATTLETRAIL_LOCK_TIMEOUT" in failed


def test_ctrl_c_while_waiting_says_what_was_kept_and_how_to_resume(tmp_path: Path):
    import signal

    import duckdb

    url = f"duckdb:///{tmp_path / 'e.duckdb'}"
    assert run_cli("ingest", logs_in(tmp_path), "--store", url).returncode == 0
    holder = duckdb.connect(str(tmp_path / "e.duckdb"))
    try:
        # As at a terminal: a job a non-interactive shell started in the background (`make test &`)
        # ignores SIGINT, the child inherits that, and Python then never raises KeyboardInterrupt.
        process = subprocess.Popen([sys.executable, "-m", "tattletrail", "stats", "--store", url], text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        assert process.stderr is not None
        assert process.stderr.readline().startswith("waiting for")  # blocks until the wait is announced
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=60)
    finally:
        holder.close()
    assert process.returncode == 130 and "Traceback" not in rest, rest
    assert "Interrupted: everything already stored is kept; run the same command again to resume." in rest


@pytest.mark.parametrize("command", [["count", "--saved", "console-logins", "--store", "STORE"], ["count"]],
                         ids=["saved-search", "default-store"])
def test_a_query_that_reads_the_config_file_still_checks_it_whole(command: list[str], tmp_path: Path):
    """The config's models load only when there is a config file (config_lookup.py): when there
    is one, a query that needs it (for its saved searches' folder, its store) validates it all."""
    url = f"duckdb://{tmp_path}/events.duckdb"
    open_store(url, create=True)
    (tmp_path / "tattletrail.yml").write_text("stor: duckdb:///x.duckdb\n")
    result = run_cli(*[url if word == "STORE" else word for word in command], cwd=tmp_path)
    assert_one_clear_line(result, "tattletrail.yml:1: unknown key 'stor' (did you mean 'store'?)")
