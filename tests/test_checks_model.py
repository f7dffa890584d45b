"""The check file format: what loads, and errors that name the file, the line and the field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tattletrail.checks import select_checks
from tattletrail.checks.model import Check, Direction, Kind, TimeField, format_table, load_checks
from tattletrail.config import ConfigError

FIXTURES = Path(__file__).parent / "checks_fixtures"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "checks.md"


def write(tmp_path: Path, text: str, name: str = "check.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_example_checks_load_with_their_values() -> None:
    checks = {check.name: check for check in load_checks(FIXTURES)}
    assert sorted(checks) == ["access-denied-burst", "ingress-open-to-world", "new-region", "no-cloudtrail-events"]
    ingress = checks["ingress-open-to-world"]
    assert ingress.window == timedelta(minutes=30) and ingress.interval == timedelta(seconds=60)
    assert ingress.critical == 1 and ingress.warning is None and ingress.group_by == ["actor"]
    assert ingress.destinations.critical == ["alerts"] and ingress.tags == ["cis-4.4", "network"]
    assert ingress.count_by is TimeField.ingest_time and ingress.direction is Direction.above
    assert checks["access-denied-burst"].group_by == ["actor"]  # one field may be written without a list
    assert checks["no-cloudtrail-events"].direction is Direction.below
    assert checks["new-region"].kind is Kind.new_value and checks["new-region"].baseline == timedelta(days=30)


def test_defaults_of_a_minimal_check() -> None:
    check = Check(name="root-activity", query="userIdentity.type:Root", critical=1)
    assert (check.kind, check.window, check.interval, check.occurrences, check.refresh, check.samples, check.enabled) \
        == (Kind.count, timedelta(minutes=30), timedelta(seconds=60), 1, timedelta(hours=1), 10, True)


@pytest.mark.parametrize("text, expected", [
    ("name: a\nquery: '*'\ncritical: 1\ntreshold: 3\n", "check.yml:4: unknown key 'treshold' (known keys: attack, baseline, count_by, critical"),
    ("name: a\nquery: '*'\ncritical: 1\nwindwo: 5m\n", "check.yml:4: unknown key 'windwo' (did you mean 'window'?)"),
    ("name: a\nquery: '*'\nwindow: 30 minutes\ncritical: 1\n", "check.yml:3: window: Value error, '30 minutes' is not a duration"),
    ("name: Bad_Name\nquery: '*'\ncritical: 1\n", "check.yml:1: name: String should match pattern"),
    ("name: a\nquery: '*'\n", "needs a `warning` or a `critical` threshold"),
    ("name: a\nkind: new_value\nquery: '*'\n", "needs `field`"),
    ("name: a\nquery: '*'\ncritical: 1\nfield: awsRegion\n", "belong to `kind: new_value` checks only"),
    ("name: a\nquery: '*'\ncritical: 1\ndelay: 5m\n", "`delay` only applies with `count_by: event_time`"),
    ("name: a\nquery: '*'\nwarning: 5\ncritical: 2\n", "critical (2) must be >= warning (5)"),
    ("name: a\nquery: '*'\ndirection: below\nwarning: 1\ncritical: 5\n", "critical (5) must be <= warning (1)"),
    ("name: a\nquery: '*'\ncritical: 1\ndirection: sideways\n", "check.yml:4: direction: Input should be 'above' or 'below'"),
    ("name: a\nquery: '*'\ncritical: 1\ndestinations:\n  critcal: [slack]\n",
     "check.yml:5: unknown key 'critcal' (did you mean 'critical'?)"),
    ("name: a\ndescription: x\n\nquery: 'eventName:(Foo'\ncritical: 1\n", "check.yml:4: query:"),
    ("name: a\nquery: [unclosed\n", "check.yml:3: not valid YAML"),
])
def test_a_mistake_names_file_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_checks(write(tmp_path, text))
    assert expected in str(raised.value)


def test_a_name_defined_twice_names_both_places(tmp_path: Path) -> None:
    write(tmp_path, "name: dup\nquery: '*'\ncritical: 1\n", "a.yml")
    write(tmp_path, "- name: other\n  query: '*'\n  critical: 1\n- name: dup\n  query: '*'\n  critical: 2\n", "b.yml")
    with pytest.raises(ConfigError, match=r"b.yml:4: check 'dup' is also defined in .*a.yml:1"):
        load_checks(tmp_path)


def test_select_checks_by_name_suggests_a_close_one() -> None:
    checks = load_checks(FIXTURES)
    assert [check.name for check in select_checks(checks, ["new-region"])] == ["new-region"]
    with pytest.raises(ConfigError, match="did you mean 'new-region'"):
        select_checks(checks, ["new-regoin"])


def test_disabled_checks_are_skipped_unless_named(tmp_path: Path) -> None:
    write(tmp_path, "- name: nightly\n  query: '*'\n  critical: 1\n- name: paused\n  query: '*'\n  critical: 1\n  enabled: false\n")
    checks = load_checks(tmp_path)
    assert [check.name for check in select_checks(checks, None)] == ["nightly"]
    assert [check.name for check in select_checks(checks, ["paused"])] == ["paused"]


def test_docs_hold_the_table_of_every_key() -> None:
    assert format_table() in DOCS.read_text(), "regenerate the table in docs/checks.md from format_table()"
    assert {field.alias or name for name, field in Check.model_fields.items()} == {line.split("`")[1] for line in format_table().splitlines()[2:]}


def test_state_fingerprint_is_unchanged_for_plain_checks_and_follows_except_and_distinct() -> None:
    plain = Check(name="a", query="eventName:X", critical=1, group_by=["actor"])
    assert plain.fingerprint == "count\0eventName:X\0actor\0\0ingest_time"  # state kept across upgrades
    assert plain.model_copy(update={"except_": "actor:ci"}).fingerprint != plain.fingerprint
    assert plain.model_copy(update={"distinct": ["resource"]}).fingerprint != plain.fingerprint
