"""Scoring the attack techniques and their benign look-alikes the way a deployment would: each
scenario's records (after a day of ordinary history) are written to a gzipped log file, ingested
into a fresh DuckDB store with the rule pack, and every check of the check pack is run once over
the window that ends now. The verdict of a technique is the stored threat level of its signal
event(s), or a check firing for its actor when the behaviour is only visible in aggregate.

Used by tests/test_attack_techniques.py and bench/detection_eval.py (the table for the lead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tattletrail.alert import Status
from tattletrail.checks.evaluate import evaluate, window_for
from tattletrail.checks.model import Check, TimeField, load_checks
from tattletrail.checks.observe import observe
from tattletrail.checks.state import CheckState
from tattletrail.event import document_of, normalize
from tattletrail.ingest import ingest
from tattletrail.query.tree import All
from tattletrail.rules import LEVELS, RuleSet, load_rules
from tattletrail.sources.local import local_objects
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.attack_attempts import ATTEMPTS
from tests.attack_behaviours import BEHAVIOURS
from tests.attack_benign import BENIGN, Benign, history
from tests.attack_records import Record
from tests.attack_techniques import TECHNIQUES, Technique
from tests.cloudtrail_files import write_log_file

ROOT = Path(__file__).resolve().parents[1]
# The bar, scaled to the catalogue here: 30 of 35 techniques at medium or above.
TARGET_SHARE = 30 / 35
TARGET_AGREEMENT = 0.95


@dataclass(frozen=True)
class Outcome:
    name: str
    kind: str  # "technique" (the catalogue), "behaviour" (issue 13 §4), "attempt" (refused calls, §1) or "benign"
    expected: str  # "medium+", "check secret-harvesting", "<= low"
    level: str  # the stored level: of the signal events (technique) or of any event (benign)
    rules: tuple[str, ...]  # the rules behind that level
    checks: tuple[str, ...]  # checks that fired (WARNING or worse) for the scenario's actor
    passed: bool
    python_agrees: bool  # the Python reference scored the records as the store did

    @property
    def got(self) -> str:
        text = self.level + (f" ({', '.join(self.rules)})" if self.rules else "")
        return text + (f" + check {', '.join(self.checks)}" if self.checks else "")


def _shifted(records: list[Record], offset: timedelta) -> list[Record]:
    """The same records moved in time, so that the attack ends minutes before now."""
    def moved(text: str) -> str:
        return (datetime.fromisoformat(text.removesuffix("Z")) + offset).isoformat() + "Z"
    return [{**record, "eventTime": moved(record["eventTime"])} for record in records]


def _ingest(directory: Path, records: list[Record], rules: RuleSet) -> tuple[DuckDBStore, dict[str, dict]]:
    """A fresh store holding the records, read from a gzipped log file as in production; documents by id."""
    write_log_file(directory / "logs" / "trail.json.gz", records)
    store = DuckDBStore(directory / "events.duckdb")
    summary = ingest(local_objects(str(directory / "logs")), store, rules=rules)
    assert summary.ingested == len(records), f"{directory.name}: {summary}"
    return store, {document["event_id"]: document for document in store.search(All(), limit=None)}


def _fired_checks(store: DuckDBStore, checks: list[Check], actors: set[str], now: datetime) -> tuple[str, ...]:
    fired = []
    for check in checks:
        window = window_for(check, now)
        state = CheckState()
        results = evaluate(check, window, observe(check, store, window, state), state, now).results
        for result in results:
            alarming = result.status in (Status.WARNING, Status.CRITICAL)
            if alarming and ("actor" not in result.group or result.group["actor"] in actors):
                fired.append(check.name)
                break
    return tuple(fired)


def as_deployed(check: Check) -> Check:
    """The check counting by event time. Here the day of history and the attack are ingested in
    the same second, so a window by ingest time would hold both; in a deployment the history was
    ingested the day before and the attack minutes after it happened, which is what a window by
    event time over these records sees."""
    return check.model_copy(update={"count_by": TimeField.event_time, "delay": timedelta(0)})


def _worst(documents: list[dict]) -> tuple[str, tuple[str, ...]]:
    worst = max(documents, key=lambda document: LEVELS.index(document["threat_level"]))
    return worst["threat_level"], tuple(worst["threat_rules"] or ())


def score(scenario: Technique | Benign, directory: Path, rules: RuleSet, checks: list[Check]) -> Outcome:
    """Ingest one scenario after the day of history, and decide whether the pack agrees."""
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    last = max(datetime.fromisoformat(record["eventTime"].removesuffix("Z")) for record in scenario.records)
    offset = (now - timedelta(minutes=5)) - last
    records = _shifted(history() + list(scenario.records), offset)
    store, stored = _ingest(directory, records, rules)
    try:
        ids = {record["eventID"] for record in scenario.records}
        python_agrees = all(rules.evaluate(document_of(normalize(record))).level == stored[record["eventID"]]["threat_level"]
                            for record in records if record["eventID"] in ids)
        actors = {normalize(record).actor for record in scenario.records}
        with store.reading():  # one connection for the checks' many small counts
            checked_at = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0) + timedelta(seconds=1)
            fired = _fired_checks(store, checks, actors, checked_at)
    finally:
        store.close()
    if isinstance(scenario, Benign):
        level, by = _worst([stored[record["eventID"]] for record in scenario.records])
        kind = "attempt" if scenario.name.startswith("attempt.") else "benign"
        return Outcome(scenario.name, kind, f"<= {scenario.most}", level, by, fired,
                       LEVELS.index(level) <= LEVELS.index(scenario.most), python_agrees)
    signals = [stored[record["eventID"]] for record in scenario.records if record["eventName"] in scenario.signal]
    level, by = _worst(signals)
    passed = LEVELS.index(level) >= LEVELS.index(scenario.level) or (scenario.check is not None and bool(fired))
    expected = f"{scenario.level}+" + (f" or check {scenario.check}" if scenario.check else "")
    kind = {"issue13": "behaviour", "attempt": "attempt"}.get(scenario.id.partition(".")[0], "technique")
    return Outcome(scenario.id, kind, expected, level, by, fired, passed, python_agrees)


def score_all(workdir: Path, rules_dir: Path = ROOT / "rules", checks_dir: Path = ROOT / "checks",
              scenarios: list[Technique | Benign] | None = None) -> list[Outcome]:
    rules = load_rules(rules_dir)
    checks = [as_deployed(check) for check in load_checks(checks_dir) if check.enabled]
    chosen = scenarios if scenarios is not None else [*TECHNIQUES, *BEHAVIOURS, *ATTEMPTS, *BENIGN]
    return [score(scenario, workdir / f"{index:02d}", rules, checks) for index, scenario in enumerate(chosen)]


@dataclass(frozen=True)
class Totals:
    techniques: int
    detected: int
    benign: int
    false_positives: int
    behaviours: int = 0
    behaviours_detected: int = 0
    attempts: int = 0
    attempts_right: int = 0

    @property
    def agreement(self) -> float:
        """The share of catalogue techniques and look-alikes judged as the expert does."""
        judged = self.techniques + self.benign
        return (self.detected + self.benign - self.false_positives) / judged if judged else 1.0

    @property
    def target(self) -> int:
        """Techniques that must reach medium+ (or their check) for the issue's bar."""
        return math.ceil(self.techniques * TARGET_SHARE - 1e-9)


def totals(outcomes: list[Outcome]) -> Totals:
    def of(kind: str) -> list[Outcome]:
        return [outcome for outcome in outcomes if outcome.kind == kind]
    techniques, benign, behaviours, attempts = of("technique"), of("benign"), of("behaviour"), of("attempt")
    return Totals(len(techniques), sum(outcome.passed for outcome in techniques), len(benign),
                  sum(not outcome.passed for outcome in benign), len(behaviours),
                  sum(outcome.passed for outcome in behaviours), len(attempts), sum(outcome.passed for outcome in attempts))


def table(outcomes: list[Outcome]) -> str:
    """technique → expected → pass → got, then the totals, as a Markdown table (what
    bench/detection_eval.py prints; it pastes into an issue note)."""
    lines = ["| scenario | expected | pass | got |", "|---|---|---|---|"]
    lines += [f"| {outcome.name} | {outcome.expected} | {'yes' if outcome.passed else '**NO**'} | {outcome.got} |"
              for outcome in outcomes]
    summary = totals(outcomes)
    lines += ["", f"techniques at their level, medium+ unless named (or their check): {summary.detected} of {summary.techniques} "
                  f"(target {summary.target}, i.e. 30 of 35)",
              f"issue 13 behaviours at their level (or their check): {summary.behaviours_detected} of {summary.behaviours}",
              f"refused attempts at the right level: {summary.attempts_right} of {summary.attempts}",
              f"benign look-alikes above their level: {summary.false_positives} of {summary.benign}",
              f"agreement: {summary.agreement:.0%} (target {TARGET_AGREEMENT:.0%})"]
    return "\n".join(lines)
