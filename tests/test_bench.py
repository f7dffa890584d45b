"""Every benchmark script runs, at a tiny size, in `make test`: a benchmark that nobody runs rots
(bench/checks.py once crashed on a changed constructor for weeks). The numbers are not checked —
they mean nothing at this size on a shared machine — only that each script finishes and prints
its table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"

SMOKE_RUNS = {
    "ingest.py": ["--events", "2000", "--runs", "1"],
    "rules.py": ["--events", "2000", "--runs", "1"],
    "query.py": ["--events", "2000", "--days", "1", "--runs", "1", "--cli-runs", "1", "--no-jq"],
    "checks.py": ["--events", "2000", "--days", "1", "--runs", "1"],
    "commands.py": ["--events", "2000", "--days", "1", "--runs", "1"],
    "opensearch.py": ["--events", "1000", "--runs", "1"],
    "sqs.py": ["--events", "300", "--runs", "1", "--workers", "1", "--latency-files", "1"],
    "detection_eval.py": ["--only", "cloudtrail-stop"],
    "imports.py": ["--top", "3"],
}


# Scripts whose tiny run lives in a test file of their own (it checks what the script prints).
SMOKE_ELSEWHERE = {"policy.py": "test_bench_policy.py", "report.py": "test_bench_report.py",
                   "detection.py": "test_bench_detection.py"}


def test_every_bench_script_has_a_smoke_run():
    scripts = {path.name for path in BENCH.glob("*.py") if not path.name.startswith("_")}
    assert scripts <= set(SMOKE_RUNS) | set(SMOKE_ELSEWHERE) | {"common.py"}, "a new bench script needs a tiny run"
    for test_file in SMOKE_ELSEWHERE.values():
        assert (BENCH.parent / "tests" / test_file).is_file(), test_file


@pytest.mark.parametrize("script", sorted(SMOKE_RUNS))
def test_bench_script_runs_at_a_tiny_size(script: str, tmp_path: Path):
    arguments = list(SMOKE_RUNS[script])
    if "--days" in arguments:          # query.py, checks.py, commands.py keep their trail and store in --workdir
        arguments += ["--workdir", str(tmp_path / "work")]
    environment = {**os.environ, "TATTLETRAIL_BENCH_OUT": str(tmp_path / "out"),
                   "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH.parent), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, str(BENCH / script), *arguments], capture_output=True, text=True,
                            timeout=300, cwd=tmp_path, env=environment)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "|---" in result.stdout, f"{script} printed no table:\n{result.stdout[-2000:]}"
    assert f"command: `python bench/{script}" in result.stdout and " cores, " in result.stdout, \
        f"{script} does not say what it ran and on how many cores"


def test_every_bench_script_says_what_it_ran_and_where():
    """The header (bench/common.py) goes first, so a pasted table carries its command and machine."""
    scripts = [path for path in BENCH.glob("*.py") if path.name != "common.py"]
    assert [path.name for path in scripts if "run_header()" not in path.read_text()] == []


@pytest.mark.parametrize("script", ["query.py", "commands.py"])
def test_bench_script_times_the_same_commands_on_opensearch(script: str, tmp_path: Path, opensearch_url: str):
    """--opensearch: the trail ingested there with the CLI, and the commands timed on both stores."""
    arguments = [*SMOKE_RUNS[script], "--workdir", str(tmp_path / "work"), "--opensearch", opensearch_url]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH.parent),
                                                                           os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, str(BENCH / script), *arguments], capture_output=True, text=True,
                            timeout=600, cwd=tmp_path, env=environment)
    assert result.returncode == 0, result.stderr[-3000:]
    table = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert "OpenSearch" in table[0] and len(table) > 2, result.stdout[-2000:]
    assert "?prefix=bench-2000-1d-seed1" in result.stdout
