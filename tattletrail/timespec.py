"""Times as people type them: `30m`, `24h`, `7d`, ISO 8601, `today`, `yesterday`, `now`.

Every instant comes back as a naive UTC datetime, which is how stores keep event times. The clock
(`utc_now`) and the ISO 8601 form Tattletrail writes (`iso_utc`) live here too, once.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tattletrail.errors import TattletrailError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)\s*$")
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class TimeSpecError(TattletrailError, ValueError):
    """A time or duration that can't be understood; the message shows what is accepted."""


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text)
    if not match:
        raise TimeSpecError(f"{text!r} is not a duration: use a number and a unit, e.g. 90s, 30m, 24h, 7d")
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def zone(name: str | None) -> tzinfo:
    if not name or name.upper() == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise TimeSpecError(f"unknown time zone {name!r}: use an IANA name such as Europe/Paris") from error


def parse_instant(text: str, now: datetime, tz: str | None = None) -> datetime:
    """An instant: relative to `now` (`24h` means 24 hours ago), a day name, or ISO 8601.

    A time without an offset is read in `tz` (UTC unless given). `now` is aware or naive UTC.
    """
    local = zone(tz)
    now_utc = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    word = text.strip().lower()
    if word == "now":
        return _naive_utc(now_utc)
    if word in ("today", "yesterday"):
        midnight = now_utc.astimezone(local).replace(hour=0, minute=0, second=0, microsecond=0)
        return _naive_utc(midnight - timedelta(days=1 if word == "yesterday" else 0))
    if _DURATION.match(word):
        return _naive_utc(now_utc - parse_duration(word))
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise TimeSpecError(
            f"{text!r} is not a time: use 30m, 24h, 7d (ago), today, yesterday, or ISO 8601 "
            "such as 2026-11-23 or 2026-11-23T16:42:00Z") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=local)
    return _naive_utc(parsed)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def parse_window(since: str | None, until: str | None, now: datetime,
                 tz: str | None = None) -> tuple[datetime | None, datetime | None]:
    """`--since` and `--until` together: a window that ends before it starts is a mistake (the
    two swapped, or a relative time read the wrong way), never an empty answer."""
    start = parse_instant(since, now, tz) if since else None
    end = parse_instant(until, now, tz) if until else None
    if start is not None and end is not None and start >= end:
        raise TimeSpecError(f"--since {since} ({start:%Y-%m-%d %H:%M:%S} UTC) is not before --until {until} "
                            f"({end:%Y-%m-%d %H:%M:%S} UTC): swap them, or widen the window")
    return start, end


def utc_now() -> datetime:
    """Now as a naive UTC datetime, the form stores keep and compare times in."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@overload
def iso_utc(moment: datetime, timespec: str = "seconds", *, zulu: bool = True) -> str: ...
@overload
def iso_utc(moment: None, timespec: str = "seconds", *, zulu: bool = True) -> None: ...
def iso_utc(moment: datetime | None, timespec: str = "seconds", *, zulu: bool = True) -> str | None:
    """A naive-UTC (or aware) instant as ISO 8601: `2026-11-22T16:42:07Z`; None stays None.

    `timespec` as `datetime.isoformat` takes it; `zulu=False` leaves the `Z` off (state files
    written that way before)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = _naive_utc(moment)
    return moment.isoformat(timespec=timespec) + ("Z" if zulu else "")


def unix_time(moment: datetime) -> float:
    """Unix time of a naive-UTC (as stores keep them) or aware datetime."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()
