"""The rule and check packs against AWS attack techniques (tests/attack_techniques.py), the
behaviours issue 13 names (tests/attack_behaviours.py), refused attempts
(tests/attack_attempts.py) and ordinary look-alikes (tests/attack_benign.py), scored as a
deployment scores them: a real ingest into DuckDB with the rule pack, then one run of every check.

One test per scenario (a technique's signal event reaches its level or its check fires; a
look-alike stays at or below its level) and the totals against the issue's bar (30 of 35, 95%).
`bench/detection_eval.py` prints the same as a table. A failure here means the packs miss a
technique or cry wolf: fix the pack, not the expectation.
"""

from __future__ import annotations

import pytest

from tests.attack_attempts import ATTEMPTS
from tests.attack_behaviours import BEHAVIOURS
from tests.attack_benign import BENIGN
from tests.attack_eval import TARGET_AGREEMENT, Outcome, score_all, table, totals
from tests.attack_techniques import TECHNIQUES


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    scored = score_all(tmp_path_factory.mktemp("attack-techniques"))
    print("\n" + table(scored))
    return {outcome.name: outcome for outcome in scored}


def test_catalogue_names_each_scenario_once_with_its_signal_present():
    scenarios = (*TECHNIQUES, *BEHAVIOURS, *ATTEMPTS, *BENIGN)
    names = [getattr(scenario, "id", None) or scenario.name for scenario in scenarios]
    assert len(names) == len(set(names))
    event_ids = [record["eventID"] for scenario in scenarios for record in scenario.records]
    assert len(event_ids) == len(set(event_ids))
    for technique in (*TECHNIQUES, *BEHAVIOURS):
        assert set(technique.signal) <= {record["eventName"] for record in technique.records}, technique.id


# What the packs still miss, each with its reason (strict xfail: a fix makes the test fail until
# its line here goes). Empty since the mass-deletion, discovery and SSM checks and the AWS ranges.
KNOWN_MISSES: dict[str, str] = {}


def _technique_param(technique):
    reason = KNOWN_MISSES.get(technique.id)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(technique, id=technique.id, marks=marks)


def _name(scenario) -> str:
    return getattr(scenario, "id", None) or scenario.name


def assert_judged_as_expected(outcome: Outcome) -> None:
    """The same verdict on DuckDB and in the Python reference, and the one the expert expects."""
    assert outcome.python_agrees, f"{outcome.name}: DuckDB and the Python reference scored it differently"
    assert outcome.passed, f"{outcome.name}: expected {outcome.expected}, got {outcome.got}"


@pytest.mark.parametrize("technique", [_technique_param(technique) for technique in TECHNIQUES])
def test_technique_reaches_its_level_or_its_check_fires(technique, outcomes):
    assert_judged_as_expected(outcomes[technique.id])


@pytest.mark.parametrize("behaviour", BEHAVIOURS, ids=[behaviour.id for behaviour in BEHAVIOURS])
def test_issue_behaviour_reaches_its_level_or_its_check_fires(behaviour, outcomes):
    assert_judged_as_expected(outcomes[behaviour.id])


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=[_name(attempt) for attempt in ATTEMPTS])
def test_refused_attempt_scores_as_an_attempt(attempt, outcomes):
    """Below the effect when it would have exposed something; still medium+ when it tried to blind logging."""
    assert_judged_as_expected(outcomes[_name(attempt)])


@pytest.mark.parametrize("benign", BENIGN, ids=[benign.name for benign in BENIGN])
def test_look_alike_stays_at_most_its_level(benign, outcomes):
    assert_judged_as_expected(outcomes[benign.name])


# Reached on this catalogue: 48 of 48 techniques, no look-alike over its level, 100% agreement.
# A floor, so the packs never slide back; TARGET_AGREEMENT (95%) is the issue's bar.
AGREEMENT_FLOOR = 1.0


def test_totals_meet_the_technique_bar_and_never_slide_back(outcomes):
    summary = totals(list(outcomes.values()))
    assert summary.detected >= summary.target, table(list(outcomes.values()))
    assert summary.false_positives == 0, table(list(outcomes.values()))
    assert summary.agreement >= AGREEMENT_FLOOR, table(list(outcomes.values()))
    assert len(KNOWN_MISSES) == summary.techniques - summary.detected
    assert AGREEMENT_FLOOR >= TARGET_AGREEMENT
