"""docs/coverage.md holds the coverage table generated from the rule pack, the check pack and the
tests that name them; it fails when stale. `python -m tests.test_coverage` rewrites it."""

from __future__ import annotations

from pathlib import Path

from tattletrail.checks import PACK as CHECK_PACK
from tattletrail.checks.model import load_checks
from tattletrail.coverage import attack_ids, covered_items, coverage_markdown, first_sentence
from tattletrail.rules.model import PACK as RULE_PACK
from tattletrail.rules.model import load_rule_files

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "coverage.md"
START, END = "<!-- coverage:start -->", "<!-- coverage:end -->"


def generated() -> str:
    return coverage_markdown(covered_items(load_rule_files([RULE_PACK]), load_checks(CHECK_PACK), ROOT / "tests"))


def test_coverage_doc_is_up_to_date() -> None:
    text = DOC.read_text()
    written = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert written == generated(), "docs/coverage.md is stale: run .venv/bin/python -m tests.test_coverage"


def test_every_check_has_attack_ids_or_is_an_aggregate_of_rules() -> None:
    missing = [check.name for check in load_checks(CHECK_PACK) if not check.attack]
    assert missing == ["high-threat-events", "route-table-changes"]  # rules' verdicts; CIS routing hygiene


def test_attack_ids_come_from_the_field_else_from_tags() -> None:
    assert attack_ids(["T1552", "t1555.006"], ["attack.t1078"]) == ("T1552", "T1555.006")
    assert attack_ids("T1078.004", []) == ("T1078.004",)
    assert attack_ids(None, ["attack.credential-access", "attack.t1562.008"]) == ("T1562.008",)
    assert first_sentence("CIS 4.1: API calls refused (v3.0.0). More.") == "CIS 4.1: API calls refused (v3.0.0)"
    assert first_sentence("One actor read many secrets. An app reads few.") == "One actor read many secrets"


def write_doc() -> None:
    text = DOC.read_text() if DOC.exists() else f"# Coverage\n\n{START}\n{END}\n"
    before, rest = text.split(START, 1)
    DOC.write_text(f"{before}{START}\n{generated()}\n{END}{rest.split(END, 1)[1]}")


if __name__ == "__main__":
    write_doc()
