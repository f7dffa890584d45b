"""A count check's events read once, and every replay step's counts taken from memory.

A replay evaluates a check at every step of its span (a day of the report: 288 to 1,440 steps).
Asking the store for each step's counts (a `distinct:` check), or for a histogram per group (a
plain count), cost the report ~5 CPU seconds at 10M events: 80 queries for `secret-harvesting`
alone, each reading the same rows again. Instead one `Store.tally` reads, for the span and the
window before it, the events per group and bucket and each distinct value's buckets per group;
a step's window is a run of whole buckets (the replay's grid), so its counts are sums over them.

The counts are what checks/observe.py answers for the same window: `count_groups` (events per
group; a group with none is absent) and `count_distinct` (distinct values per group, and the same
shortcut to the `followed` groups when the window holds too few values to reach a threshold).
tests/test_check_tally.py holds a replay from the tally equal to one from the store, on both
stores. A tally that would be too big to hold (MAX_TALLY_ROWS), or one in which a field has more
values than a count keeps (MAX_GROUPS: the store's answer would leave the rarest out), is not
used: `read_tally` returns None and the caller asks the store as before.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Iterable

from tattletrail.checks.evaluate import Window
from tattletrail.checks.model import Check, Kind
from tattletrail.checks.observe import MAX_GROUPS
from tattletrail.checks.state import GroupKey
from tattletrail.stores import Store
from tattletrail.stores.base import TallyRow

# Rows of a tally held in memory at most (each a group, a bucket and maybe a value: ~200 bytes).
MAX_TALLY_ROWS = 200_000


class Tally:
    """A check's events over [start, end), per group and `bucket`; `counts` and `distinct_counts`
    answer for any window of whole buckets inside it, fastest when windows move forward."""

    def __init__(self, start: datetime, end: datetime, bucket: timedelta,
                 rows: Iterable[tuple[GroupKey, str | None, datetime, int]]) -> None:
        self.start, self.end, self.bucket = start, end, bucket
        self.rows = list(rows)
        events: dict[int, list[tuple[Any, int]]] = {}
        values: dict[int, list[tuple[Any, int]]] = {}
        for key, value, moment, n in self.rows:
            index = self._index(moment)
            if value is None:
                events.setdefault(index, []).append((key, n))
            else:
                values.setdefault(index, []).append(((key, value), n))
        self._events, self._values = _Sliding(events), _Sliding(values)
        # The replay's histograms list the groups as `count_groups` over all of it does.
        self._order = {key: place for place, key in enumerate(count_order(self._events.over(0, self._index(end))))}

    def counts(self, window: Window) -> dict[GroupKey, int]:
        """Events per group in the window (groups without any left out), as the replay's histograms."""
        counted = self._events.over(*self._span(window))
        return {key: counted[key] for key in sorted(counted, key=self._order.__getitem__)}

    def distinct_counts(self, window: Window, group_by: list[str], threshold: float,
                        followed: frozenset[GroupKey] | set[GroupKey] = frozenset()) -> dict[GroupKey, int]:
        """Distinct values per group in the window, as `count_distinct` answers."""
        low, high = self._span(window)
        present = self._values.over(low, high)
        sets: dict[GroupKey, int] = {}
        union: set[str] = set()
        for (key, value), _ in present.items():
            sets[key] = sets.get(key, 0) + 1
            union.add(value)
        if not group_by:
            return {(): len(union)}
        groups = self._events.over(low, high)
        if len(union) < threshold:
            # No group can reach it: only the groups the state follows (so they can recover).
            return {key: sets.get(key, 0) for key in followed if len(key) == len(group_by)}
        return {key: sets.get(key, 0) for key in count_order(groups)}

    def restricted(self, groups: set[GroupKey]) -> "Tally":
        """The same events, of these groups only."""
        return Tally(self.start, self.end, self.bucket, [row for row in self.rows if row[0] in groups])

    def _index(self, moment: datetime) -> int:
        return int((moment - self.start) / self.bucket)

    def _span(self, window: Window) -> tuple[int, int]:
        if not self.start <= window.start <= window.end <= self.end:
            raise ValueError(f"window {window.text()} is outside the tally's [{self.start}, {self.end})")
        return self._index(window.start), self._index(window.end)


def count_order(counts: dict[GroupKey, int]) -> list[GroupKey]:
    """Groups in the order `count_groups` lists them: by their first value's events (most first, then
    by the value), then within it by the next value's, and so on. (From the groups' own counts: an
    event with two values of a later field would count twice here, once there; only the order of
    such ties can differ.)"""
    totals: Counter[GroupKey] = Counter()
    for key, n in counts.items():
        for length in range(1, len(key) + 1):
            totals[key[:length]] += n
    return sorted(counts, key=lambda key: [part for length in range(1, len(key) + 1)
                                           for part in (-totals[key[:length]], key[length - 1])])


class _Sliding:
    """Sums of (item, n) per bucket over a run of buckets [low, high), kept as the run moves on."""

    def __init__(self, by_bucket: dict[int, list[tuple[Any, int]]]) -> None:
        self.by_bucket = by_bucket
        self.low = self.high = 0
        self.sums: Counter[Any] = Counter()

    def over(self, low: int, high: int) -> Counter[Any]:
        if low < self.low or high < self.high or low >= self.high:  # moved back, or past all it holds
            self.sums = Counter()
            self._add(range(low, high), 1)
        else:
            self._add(range(self.high, high), 1)
            self._add(range(self.low, low), -1)
        self.low, self.high = low, high
        return self.sums

    def _add(self, indices: range, sign: int) -> None:
        for index in indices:
            for item, n in self.by_bucket.get(index, ()):
                total = self.sums[item] + sign * n
                if total:
                    self.sums[item] = total
                else:
                    self.sums.pop(item, None)


def read_tally(check: Check, store: Store, start: datetime, end: datetime, bucket: timedelta) -> Tally | None:
    """The check's events in [start, end) per group and bucket, read in one query; None when they
    are too many to hold or a field has more values than a count would keep (ask the store instead)."""
    assert check.kind is Kind.count
    rows = store.tally(check.tree, start, end, check.group_by, bucket, check.distinct, limit=MAX_TALLY_ROWS)
    if too_big(rows, len(check.group_by)) or len({value for _, value, _, _ in rows if value is not None}) > MAX_GROUPS:
        return None
    return Tally(start, end, bucket, rows)


def too_big(rows: list[TallyRow], fields: int) -> bool:
    """Whether a `Store.tally` answer can't be used as it is: over MAX_TALLY_ROWS rows (some were
    left out), or one of its `fields` group fields has more values than a count keeps (MAX_GROUPS:
    the store's count would leave the rarest out)."""
    return len(rows) > MAX_TALLY_ROWS or any(len({key[position] for key, _, _, _ in rows}) > MAX_GROUPS
                                             for position in range(fields))
