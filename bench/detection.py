"""Detection benchmark (run by hand): how noisy the rules are, and what a person sees of the
injected incidents, on a generated trail.

    .venv/bin/python bench/detection.py [--days 30] [--events-per-day 20000] [--screen 10] [--json]

Generates `--days` of an organization trail (tattletrail generate: background traffic and the
eight injected incidents, all in the last day), ingests it into a fresh DuckDB file with the rule
pack, then measures:
- the noise rate: medium-or-above events of the background per 100,000 background events, and
  the rules that make it. An event belongs to an incident when it has the incident's actor and
  happened within 15 minutes after its first event (the incidents are short bursts);
- the report's first screen: the first `--screen` items of `tattletrail report` over the last
  24 hours, and which incidents they show (an item of the incident's actor, on its event name or
  holding its first event);
- the checks: the check pack replayed over the last 24 hours by event time (as `check test
  --replay` does; checks that ask the store at each step, distinct and new_value, in hourly
  windows that tile the day); which checks breach on each incident (a group whose every value
  names it: its actor, account, region, address or key, within 90 minutes after it), and how many
  breaches the background causes (an ungrouped check's breach names no incident: background).
Work files go to bench/out/detection/ (replaced on every run).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import run_header  # noqa: E402  (bench/common.py: the command, cores and versions)
from tattletrail.alert import Status  # noqa: E402
from tattletrail.checks import PACK as CHECK_PACK  # noqa: E402
from tattletrail.checks.model import Kind, load_checks  # noqa: E402
from tattletrail.checks.replay import replay  # noqa: E402
from tattletrail.generate import generate_trail  # noqa: E402
from tattletrail.generate.incidents import Incident  # noqa: E402
from tattletrail.ingest import ingest  # noqa: E402
from tattletrail.query import parse_query  # noqa: E402
from tattletrail.report import build_report  # noqa: E402
from tattletrail.rules import load_rules  # noqa: E402
from tattletrail.sources.local import local_objects  # noqa: E402
from tattletrail.stores.duckdb.store import DuckDBStore  # noqa: E402

OUT = ROOT / "bench" / "out" / "detection"
END = datetime(2026, 11, 20, 0, 0)  # a fixed end: the same seed gives the same trail
INCIDENT_SPAN = timedelta(minutes=15)
CHECK_SLACK = timedelta(minutes=30)
HOUR = timedelta(hours=1)


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "")) if text else None


def _start(incident: Incident) -> datetime:
    return datetime.fromisoformat(incident.eventTime.replace("Z", ""))


def owning_incident(document: dict[str, Any], incidents: list[Incident]) -> Incident | None:
    moment = _time(document.get("event_time"))
    for incident in incidents:
        if document.get("actor") == incident.actor and moment is not None and \
                timedelta(0) <= moment - _start(incident) <= INCIDENT_SPAN:
            return incident
    return None


def noise(store: DuckDBStore, incidents: list[Incident]) -> dict[str, Any]:
    total = store.count(parse_query("*")).total
    incident_events = sum(store.count(parse_query(f'actor:"{incident.actor}"'), _start(incident),
                                      _start(incident) + INCIDENT_SPAN).total for incident in incidents)
    loud = store.search(parse_query("threat_score:>=2"), limit=None)
    background = [document for document in loud if owning_incident(document, incidents) is None]
    background_events = total - incident_events
    rules = Counter(document["threat_rules"][0] for document in background if document.get("threat_rules"))
    return {"events": total, "background_events": background_events, "medium_plus_background": len(background),
            "per_100k": round(len(background) * 100_000 / max(1, background_events), 1),
            "noisiest_rules": rules.most_common(10)}


def first_screen(store: DuckDBStore, incidents: list[Incident], screen: int) -> dict[str, Any]:
    # As `tattletrail report` builds it: with the check pack, whose findings (a new region, a denied
    # burst) rank beside the per-event items.
    report = build_report(store, END - timedelta(days=1), END, top=screen, checks=load_checks(CHECK_PACK))
    shown = {incident.kind: any(item.actor == incident.actor and (
        incident.eventName in {call.event_name for call in item.calls} or incident.eventID in item.event_ids)
        for item in report.items) for incident in incidents}
    return {"items": [f"{item.level} {item.what or '?'} ×{item.count} by {item.actor}" for item in report.items],
            "incidents_shown": shown}


def check_findings(store: DuckDBStore, incidents: list[Incident]) -> dict[str, Any]:
    """Each check replayed over the last day: the breaches on incidents and in the background."""
    on_incident: dict[str, list[str]] = {incident.kind: [] for incident in incidents}
    background: Counter[str] = Counter()
    names = {incident.kind: _names_of(store, incident) for incident in incidents}
    for check in (check for check in load_checks(CHECK_PACK) if check.enabled):
        if check.kind is Kind.new_value or check.distinct:  # a store query per step: hourly windows tile the day
            check = check.model_copy(update={"window": max(check.window, HOUR), "interval": HOUR})
        replayed = replay(check, store, timedelta(days=1), END)
        for transition in replayed.transitions:
            if transition.result.status not in (Status.WARNING, Status.CRITICAL) or transition.notify is None:
                continue
            owner = next((incident for incident in incidents if _owns(incident, names[incident.kind],
                                                                     transition.at, transition.result.group)), None)
            if owner is None:
                background[check.name] += 1
            elif check.name not in on_incident[owner.kind]:
                on_incident[owner.kind].append(check.name)
    return {"on_incident": on_incident, "background_breaches": dict(background.most_common())}


def _names_of(store: DuckDBStore, incident: Incident) -> set[str]:
    """What a check's group may call the incident by: its actor, account, region, address, access key."""
    found = store.search(parse_query(f'eventID:"{incident.eventID}"'), limit=1)
    key = (found[0].get("userIdentity") or {}).get("accessKeyId") if found else None
    return {incident.actor, incident.account, incident.region, incident.sourceIPAddress, *([key] if key else [])}


def _owns(incident: Incident, names: set[str], moment: datetime, group: dict[str, str]) -> bool:
    near = timedelta(0) <= moment - _start(incident) <= CHECK_SLACK + HOUR
    return near and bool(group) and set(group.values()) <= names  # an ungrouped breach names nobody


def measure(days: int, events_per_day: int, seed: int, screen: int, out: Path = OUT) -> dict[str, Any]:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    started = time.perf_counter()
    generated = generate_trail(out / "trail", days=days, seed=seed, events_per_day=events_per_day, end=END)
    store = DuckDBStore(out / "events.duckdb")
    ingest(local_objects(str(out / "trail")), store, rules=load_rules())
    prepared = time.perf_counter() - started
    result = {"days": days, "events_per_day": events_per_day, "seed": seed,
              "noise": noise(store, generated.incidents),
              "first_screen": first_screen(store, generated.incidents, screen)}
    with store.reading():
        result["checks"] = check_findings(store, generated.incidents)
    result["seconds"] = {"generate_and_ingest": round(prepared, 1),
                         "measure": round(time.perf_counter() - started - prepared, 1)}
    store.close()
    return result


def describe(result: dict[str, Any]) -> str:
    noise_part, screen, checks = result["noise"], result["first_screen"], result["checks"]
    lines = [f"{result['days']} days × {result['events_per_day']:,} events/day (seed {result['seed']}): "
             f"{noise_part['events']:,} events, {noise_part['background_events']:,} of them background",
             f"noise: {noise_part['medium_plus_background']:,} medium+ background events = "
             f"{noise_part['per_100k']} per 100k background events",
             "  noisiest rules: " + (", ".join(f"{name} {n}" for name, n in noise_part["noisiest_rules"]) or "none"),
             f"report, first {len(screen['items'])} items:"]
    lines += [f"  {item}" for item in screen["items"]]
    lines.append("incidents: shown on the first screen / checks that breach on it")
    for kind, shown in screen["incidents_shown"].items():
        lines.append(f"  {kind:28} {'shown' if shown else 'NOT shown':10} "
                     f"{', '.join(checks['on_incident'][kind]) or '-'}")
    lines.append("check breaches in the background (last day): "
                 + (", ".join(f"{name} {n}" for name, n in checks["background_breaches"].items()) or "none"))
    lines.append(f"seconds: {result['seconds']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--events-per-day", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--screen", type=int, default=10, help="report items on the first screen")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args(argv)
    print(run_header(), file=sys.stderr if arguments.json else sys.stdout)
    result = measure(arguments.days, arguments.events_per_day, arguments.seed, arguments.screen, arguments.out)
    print(json.dumps(result, indent=2, default=str) if arguments.json else describe(result))


if __name__ == "__main__":
    main()
