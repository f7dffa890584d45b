"""bench/policy.py runs (tiny), so the script the README's numbers come from does not rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_policy_runs_and_prints_its_table(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "policy.py"), "--events", "600", "--runs", "1",
                             "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert "| generate, CLI (fresh process) |" in result.stdout
    assert "terraform-apply:" in result.stdout and "actions" in result.stdout
