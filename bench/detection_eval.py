"""Detection evaluation (run by hand, and after changing rules/ or checks/): every AWS attack
technique of tests/attack_techniques.py and every benign look-alike of tests/attack_benign.py,
ingested into a fresh DuckDB store with the rule pack and checked with the check pack; prints
technique → expected → pass → got, and the totals against the issue's bar (30 of 35 techniques
at medium+, 95% agreement).

    PYTHONPATH=. .venv/bin/python bench/detection_eval.py [--rules DIR] [--checks DIR] [--only TEXT] [--json]

About a second per scenario (each gets its own store and a run of every check).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import run_header  # noqa: E402  (bench/common.py: the command, cores and versions)
from tests.attack_attempts import ATTEMPTS  # noqa: E402  (the scenarios live with the tests)
from tests.attack_behaviours import BEHAVIOURS  # noqa: E402
from tests.attack_benign import BENIGN  # noqa: E402
from tests.attack_eval import score_all, table, totals  # noqa: E402
from tests.attack_techniques import TECHNIQUES  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=ROOT / "rules", help="rule pack folder (default: rules/)")
    parser.add_argument("--checks", type=Path, default=ROOT / "checks", help="check pack folder (default: checks/)")
    parser.add_argument("--only", help="only scenarios whose name contains this text")
    parser.add_argument("--json", action="store_true", help="one JSON document instead of the table")
    options = parser.parse_args()
    print(run_header(), file=sys.stderr if options.json else sys.stdout)
    scenarios = [scenario for scenario in (*TECHNIQUES, *BEHAVIOURS, *ATTEMPTS, *BENIGN)
                 if not options.only or options.only in getattr(scenario, "id", getattr(scenario, "name", ""))]
    with tempfile.TemporaryDirectory(prefix="tattletrail-detection-") as workdir:
        outcomes = score_all(Path(workdir), options.rules, options.checks, scenarios)
    if options.json:
        print(json.dumps({"outcomes": [asdict(outcome) for outcome in outcomes],
                          "totals": asdict(totals(outcomes))}, indent=1))
    else:
        print(table(outcomes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
