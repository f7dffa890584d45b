"""`generate_trail`: a whole organization trail, five minutes at a time.

Everything random comes from one `random.Random(seed)` consumed in a fixed order, and gzip headers
carry no time, so the same seed, end and options give byte-identical files.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from operator import itemgetter
from pathlib import Path
from random import Random
from typing import Any, Callable

from tattletrail.generate.assets import Assets, build_assets
from tattletrail.generate.catalogue import Context
from tattletrail.generate.identities import Account, Ids, build_accounts, day_sessions
from tattletrail.generate.incidents import Incident, plan_incidents
from tattletrail.generate.traffic import (HUMAN_SHARE, Mix, background_records, build_mix, daily_records,
                                          hourly_weight, machine_weight)
from tattletrail.generate.writer import TrailWriter
from tattletrail.timespec import iso_utc

SLOT = timedelta(minutes=5)
SLOTS_PER_DAY = 288
HOME_SHARE = 0.65  # of an account's regional calls that happen in its first region
TRAIL_NAME = "org-trail"
HOME_REGION = "us-east-1"

Progress = Callable[[int, int, int], None]  # (events so far, slots done, slots in all)


@dataclass
class GenerateResult:
    outdir: Path
    start: datetime
    end: datetime
    seed: int
    organization: str
    files: int = 0
    events: int = 0
    digest_files: int = 0
    bytes: int = 0
    accounts: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "outdir": str(self.outdir), "start": iso_utc(self.start), "end": iso_utc(self.end), "seed": self.seed,
            "organization": self.organization, "files": self.files, "events": self.events,
            "digest_files": self.digest_files, "bytes": self.bytes, "accounts": self.accounts,
            "regions": self.regions, "incidents": [incident.as_dict() for incident in self.incidents],
            "seconds": round(self.seconds, 3), "events_per_second": round(self.rate),
        }


def floor_to_slot(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute - moment.minute % 5, second=0, microsecond=0)


def default_end(now: datetime | None = None) -> datetime:
    """Now, rounded down to five minutes, in UTC."""
    return floor_to_slot((now or datetime.now(timezone.utc)).astimezone(timezone.utc))


def generate_trail(outdir: str | Path, *, days: int = 2, seed: int = 1, accounts: int = 3,
                   events_per_day: int = 20_000, end: datetime | None = None,
                   on_progress: Progress | None = None) -> GenerateResult:
    """Write `days` days of an organization trail ending at `end` (UTC) under `outdir`."""
    if days < 1 or accounts < 1 or events_per_day < 0:
        raise ValueError("days and accounts must be at least 1 and events per day not negative")
    end = _utc_naive(end) if end is not None else _utc_naive(default_end())
    start = end - timedelta(days=days)
    started = time.perf_counter()
    ids = Ids(Random(seed))
    cast = build_accounts(ids, accounts)
    assets = [build_assets(ids, account) for account in cast]
    management = cast[0].account_id
    organization = "o-" + "".join(ids.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(10))
    trail_arn = f"arn:aws:cloudtrail:{HOME_REGION}:{management}:trail/{TRAIL_NAME}"
    plan = plan_incidents(ids, cast, assets, end, trail_arn)
    writer = TrailWriter(Path(outdir), ids, organization, f"aws-cloudtrail-logs-{management}-org", TRAIL_NAME,
                         HOME_REGION)
    result = GenerateResult(Path(outdir), start, end, seed, organization,
                            accounts=[account.account_id for account in cast], incidents=plan.incidents)
    scheduled = _Scheduled(start, end, plan.trail_gap)
    scheduled.add(plan.records)
    with writer:
        _write_slots(ids, cast, assets, events_per_day, start, end, plan.trail_gap, scheduled, writer, result,
                     on_progress)
        writer.finish()
    result.files, result.digest_files, result.bytes = writer.files, writer.digest_files, writer.bytes
    result.seconds = time.perf_counter() - started
    return result


class _Scheduled:
    """Records with a fixed time (incidents, sign-ins), waiting for the file of their slot."""

    def __init__(self, start: datetime, end: datetime, gap: tuple[str, str]) -> None:
        self.first, self.last = iso_utc(start), iso_utc(end)
        self.gap = gap
        self.by_slot: dict[str, dict[tuple[str, str], list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))

    def add(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            moment = record["eventTime"]
            if self.first <= moment < self.last and not self.gap[0] < moment < self.gap[1]:
                slot = f"{moment[:15]}{int(moment[15]) // 5 * 5}:00Z"
                self.by_slot[slot][(record["recipientAccountId"], record["awsRegion"])].append(record)

    def pop(self, slot: datetime) -> dict[tuple[str, str], list[dict[str, Any]]]:
        return self.by_slot.pop(iso_utc(slot), {})


def _write_slots(ids: Ids, cast: list[Account], assets: list[Assets], events_per_day: int, start: datetime,
                 end: datetime, gap: tuple[str, str], scheduled: _Scheduled, writer: TrailWriter,
                 result: GenerateResult, on_progress: Progress | None) -> None:
    rng = ids.rng
    contexts = {(account.account_id, region): Context(ids, rng, account, asset, region)
                for account, asset in zip(cast, assets) for region in account.regions}
    total_weight = sum(account.weight for account in cast)
    base = {(account.account_id, region): events_per_day * account.weight / total_weight
            * (HOME_SHARE if index == 0 else 1 - HOME_SHARE) / SLOTS_PER_DAY
            for account in cast for index, region in enumerate(account.regions)}
    mixes: dict[tuple[str, str, bool], Mix] = {}
    regions = {region for account in cast for region in account.regions}
    slot, day, done, slots = floor_to_slot(start), None, 0, int((end - floor_to_slot(start)) / SLOT) + 1
    while slot < end:
        if slot.date() != day:
            day = slot.date()
            midnight = datetime(day.year, day.month, day.day)
            for account in cast:
                sessions = day_sessions(ids, account, midnight)
                for region in account.regions:
                    mixes[(account.account_id, region, True)] = build_mix(sessions, region, humans=True)
                    mixes[(account.account_id, region, False)] = build_mix(sessions, region, humans=False)
                scheduled.add(daily_records(contexts[(account.account_id, account.regions[0])], sessions, midnight))
        low, high = max(slot, start), min(slot + SLOT, end)
        first, span = int((low - slot).total_seconds()), int((high - low).total_seconds())
        busy, running = hourly_weight(slot), machine_weight(slot)
        in_gap = gap if iso_utc(slot) <= gap[1] and gap[0] < iso_utc(slot + SLOT) else None
        fixed = scheduled.pop(slot)
        delivered = high + timedelta(seconds=120 + rng.randrange(180))
        for account in cast:
            for region in account.regions:
                key = (account.account_id, region)
                context, expected = contexts[key], base[key] * span / 300
                records = background_records(context, mixes[(*key, False)], _count(rng, expected * (1 - HUMAN_SHARE) * running),
                                             slot, first, span, in_gap)
                records += background_records(context, mixes[(*key, True)], _count(rng, expected * HUMAN_SHARE * busy),
                                              slot, first, span, in_gap)
                records += fixed.pop(key, [])
                _deliver(writer, result, key, records, delivered)
        for key in list(fixed):  # activity in a region no account normally uses (an incident)
            regions.add(key[1])
            _deliver(writer, result, key, fixed.pop(key), delivered)
        writer.write_digests_until(high)
        slot += SLOT
        done += 1
        if on_progress is not None:
            on_progress(result.events, done, slots)
    result.regions = sorted(regions)


def _deliver(writer: TrailWriter, result: GenerateResult, key: tuple[str, str], records: list[dict[str, Any]],
             delivered: datetime) -> None:
    if not records:
        return
    records.sort(key=itemgetter("eventTime"))
    writer.write_log_file(key[0], key[1], records, delivered)
    result.events += len(records)


def _count(rng: Random, expected: float) -> int:
    """A slot's number of calls: around the expectation, never exactly it, so the volume looks organic."""
    if expected <= 0:
        return 0
    noisy = expected * (0.8 + 0.4 * rng.random())
    return int(noisy + rng.random())


def _utc_naive(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0)
