"""bench/detection.py runs (a bench script nobody runs rots): a one-day trail, tiny, end to end."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_detection", ROOT / "bench" / "detection.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_detection_bench_measures_noise_first_screen_and_checks(tmp_path: Path) -> None:
    bench = load_bench()
    result = bench.measure(days=1, events_per_day=1_500, seed=3, screen=10, out=tmp_path / "out")
    noise = result["noise"]
    assert noise["background_events"] > 1_000 and noise["per_100k"] >= 0
    assert len(result["first_screen"]["items"]) == 10
    kinds = {"default-route-deleted", "ingress-open-to-world", "iam-user-created", "console-login-without-mfa",
             "root-activity", "new-region-activity", "cloudtrail-stopped", "access-denied-burst"}
    assert set(result["first_screen"]["incidents_shown"]) == kinds
    assert result["first_screen"]["incidents_shown"]["default-route-deleted"]
    # Only a check sees the burst: the first screen is the report's, with the check pack's findings.
    assert result["first_screen"]["incidents_shown"]["access-denied-burst"]
    findings = result["checks"]["on_incident"]
    assert "unauthorized-api-calls" in findings["access-denied-burst"]
    assert "region-first-use" in findings["new-region-activity"]
    assert "per 100k background events" in bench.describe(result)
