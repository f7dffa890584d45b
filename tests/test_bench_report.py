"""bench/report.py runs (at a tiny size), so the benchmark in the README can't silently rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "report.py"


def test_the_report_benchmark_runs_and_counts_one_store_open(tmp_path: Path) -> None:
    said = subprocess.run([sys.executable, str(BENCH), "--events-per-day", "100", "--runs", "1", "--workdir",
                           str(tmp_path)], capture_output=True, text=True, timeout=300, check=True).stdout
    assert " 1 store opens," in said, said
    assert "| json |" in said and "| html |" in said
