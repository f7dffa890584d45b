"""The coverage table (docs/coverage.md): which behaviour each rule and check detects, its ATT&CK
techniques, its level, and the tests that prove it. Generated from the rule and check files, so it
can't drift from them; tests/test_coverage.py fails when the committed page is stale and
`python -m tests.test_coverage` rewrites it.

ATT&CK ids come from an item's `attack:` list when it has one, else from `attack.tNNNN[.NNN]` tags
(the rule pack's Sigma-style tags).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from tattletrail.checks.model import Check
from tattletrail.rules.model import LoadedRule

LEVELS = ("info", "low", "medium", "high", "critical")
_TAG = re.compile(r"^attack\.(t\d{4}(?:\.\d{3})?)$", re.IGNORECASE)


@dataclass(frozen=True)
class Covered:
    """One rule or check: what it detects and how sure it is."""

    kind: str  # "rule" or "check"
    name: str
    behaviour: str
    level: str
    attack: tuple[str, ...]
    tests: tuple[str, ...]  # test files that name it


def attack_ids(declared: Any, tags: Iterable[str]) -> tuple[str, ...]:
    """An item's ATT&CK ids: its `attack` field (a list or one id), else its attack.tNNNN tags."""
    if isinstance(declared, str):
        declared = [declared]
    ids = list(declared or []) or [match.group(1) for tag in tags if (match := _TAG.match(tag))]
    return tuple(sorted({identifier.upper() for identifier in ids}))


def first_sentence(text: str) -> str:
    text = " ".join(text.split())
    found = re.match(r"(.+?\.)(\s|$)", text)
    return (found.group(1) if found else text).rstrip(".")


def tests_naming(name: str, test_files: dict[str, str]) -> tuple[str, ...]:
    quoted = (f'"{name}"', f"'{name}'", f"{name}:", f"[{name}]")
    return tuple(sorted(file for file, text in test_files.items() if any(q in text for q in quoted)))


def covered_items(rules: list[LoadedRule], checks: list[Check], tests_dir: Path) -> list[Covered]:
    # The pack tests: rule_pack_events.py, test_check_pack.py… (engine tests name their own fixtures).
    test_files = {path.name: path.read_text() for path in sorted(tests_dir.glob("*pack*.py"))}
    items = [Covered("rule", rule.name, first_sentence(rule.rule.description), rule.rule.level,
                     attack_ids(getattr(rule.rule, "attack", None), rule.rule.tags), tests_naming(rule.name, test_files))
             for rule in rules if rule.rule.enabled]
    items += [Covered("check", check.name, first_sentence(check.description), check.severity or "—",
                      attack_ids(check.attack, check.tags), tests_naming(check.name, test_files))
              for check in checks if check.enabled]
    return items


def _link(identifier: str) -> str:
    return f"[{identifier}](https://attack.mitre.org/techniques/{identifier.replace('.', '/')}/)"


def coverage_markdown(items: list[Covered]) -> str:
    """The page's generated part: a summary, then one row per technique and item."""
    rows = [(technique, item) for item in items for technique in (item.attack or ("—",))]
    rows.sort(key=lambda row: (row[0] == "—", row[0], row[1].kind, row[1].name))
    techniques = {technique for technique, _ in rows if technique != "—"}
    medium = {technique for technique, item in rows if technique != "—" and item.level in LEVELS[2:]}
    untested = sorted(item.name for item in items if not item.tests)
    lines = [f"{len(items)} rules and checks ({sum(item.kind == 'rule' for item in items)} rules, "
             f"{sum(item.kind == 'check' for item in items)} checks) cover {len(techniques)} ATT&CK techniques, "
             f"{len(medium)} of them at medium or above. "
             + (f"Named by no test: {', '.join(f'`{name}`' for name in untested)}." if untested
                else "Every one is named by a test."),
             "", "| ATT&CK | behaviour | detected by | level | tests |", "|---|---|---|---|---|"]
    for technique, item in rows:
        tests = ", ".join(f"`{test}`" for test in item.tests) or "**none**"
        label = technique if technique == "—" else _link(technique)
        lines.append(f"| {label} | {item.behaviour.replace('|', '/')} | {item.kind} `{item.name}` | {item.level} | {tests} |")
    return "\n".join(lines)
