"""Sensu's `check-es-query-count.rb` (sensu-plugins-elasticsearch 4.x), read as the plugin reads it.

The plugin counts the documents matching a Lucene query (`-q`, bare terms searching `-f`) whose
`--timestamp-field` lies strictly inside the last `--minutes-previous`… (ending `--offset` seconds
ago), and compares the count with `-w`/`-c` strictly: above them, or below them with `--invert`.
Its flags are read by sensu_flags.py; docs/checks.md lists them and the differences.

This module is the pure part: the window, the query, the status ladder, the output line, and the
same meaning as a check file's keys. Counting happens on one of our stores (here) or on a foreign
Elasticsearch/OpenSearch cluster at `-h` (sensu_cluster.py).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from luqum import tree as lucene
from luqum.parser import parser as lucene_parser

from tattletrail.alert import Status
from tattletrail.checks.sensu_flags import PluginArgumentError, PluginOptions
from tattletrail.query import QueryError, parse_query
from tattletrail.query.tree import All, And, Node, Range
from tattletrail.stores import Store
from tattletrail.timespec import iso_utc

CHECK_NAME = "ESQueryCount"  # sensu-plugin prints the class name: `ESQueryCount CRITICAL: …`
ANY_FIELD = "*"
# The plugin's range is on @timestamp; Logstash's cloudtrail codec sets it from eventTime.
TIME_FIELDS = {"@timestamp": "event_time", "eventTime": "event_time", "event_time": "event_time",
               "ingest_time": "ingest_time"}


# The window ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PluginWindow:
    """The plugin's range: strictly after `start`, strictly before `end` (naive UTC, whole seconds)."""

    start: datetime
    end: datetime


def plugin_window(options: PluginOptions, now: datetime) -> PluginWindow | None:
    """The window the plugin asks for, or None when no *-previous flag is given: then the plugin
    sends no query at all and counts every document (its -q is not used)."""
    if not options.has_window:
        return None
    end = (now - timedelta(seconds=options.offset)).replace(microsecond=0)
    # Elasticsearch date math `END||-Nm-Nh-Nd-Nw-NM`, applied left to right
    start = end - timedelta(minutes=options.minutes_previous, hours=options.hours_previous,
                            days=options.days_previous, weeks=options.weeks_previous)
    return PluginWindow(months_before(start, options.months_previous), end)


def months_before(moment: datetime, months: int) -> datetime:
    """Calendar months back, the day clamped to the month's last (as Java time and so date math do)."""
    if not months:
        return moment
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def window_length(options: PluginOptions) -> timedelta:
    """The window as one duration, a month counted as 31 days (for converted checks)."""
    return timedelta(minutes=options.minutes_previous, hours=options.hours_previous, days=options.days_previous
                     + 31 * options.months_previous, weeks=options.weeks_previous)


# The query -------------------------------------------------------------------------------------------

def qualified_query(query: str, search_field: str) -> str:
    """The query with every bare term given `search_field`, as `query_string` with `default_field`
    reads it (`Authorize*` with -f eventName is `eventName:Authorize*`); with `*` unchanged."""
    if search_field == ANY_FIELD:
        return query
    try:
        tree = lucene_parser.parse(query)
    except Exception as error:  # noqa: BLE001 - luqum raises several types (ParseError, lexer errors)
        raise PluginArgumentError(f"-q {query!r} does not parse: {error}") from None
    return str(_qualify(tree, search_field))


_TERMS = (lucene.Word, lucene.Phrase, lucene.Range, lucene.From, lucene.To, lucene.Fuzzy, lucene.Proximity,
          lucene.Regex)


def _qualify(node: lucene.Item, search_field: str) -> lucene.Item:
    if isinstance(node, lucene.SearchField):
        return node
    if isinstance(node, _TERMS):
        wrapped = lucene.SearchField(search_field, node)
        wrapped.head, wrapped.tail, node.head, node.tail = node.head, node.tail, "", ""
        return wrapped
    node.children = [_qualify(child, search_field) for child in node.children]
    return node


def has_bare_terms(query: str) -> bool:
    """Whether any term of the query names no field (so `default_field` decides where it looks)."""
    try:
        return _bare(lucene_parser.parse(query))
    except Exception:  # noqa: BLE001 - qualified_query reports the syntax error
        return False


def _bare(node: lucene.Item) -> bool:
    if isinstance(node, lucene.SearchField):
        return False
    if isinstance(node, _TERMS):
        return True
    return any(_bare(child) for child in node.children)


def store_query(options: PluginOptions) -> str:
    """The query text our stores run; refuses the plugin's default field where it can't exist."""
    if options.search_field == "message" and has_bare_terms(options.query):
        raise PluginArgumentError(
            f"-q {options.query!r} has bare terms, which the plugin searches in the field `message` "
            f"({'its default' if not options.written('search_field') else 'from -f'}); CloudTrail events have "
            "no `message`, so nothing would ever match. Name the field: -f eventName (or -f '*' for every field)")
    return qualified_query(options.query, options.search_field)


def time_field(options: PluginOptions) -> str:
    if options.timestamp_field not in TIME_FIELDS:
        raise PluginArgumentError(f"--timestamp-field {options.timestamp_field}: our stores keep two times, "
                                  "event_time (@timestamp, eventTime) and ingest_time; name one of them")
    return TIME_FIELDS[options.timestamp_field]


def store_tree(options: PluginOptions, window: PluginWindow | None) -> Node:
    """What our stores count: the query within the window, or every event without a window."""
    if window is None:
        return All()
    try:
        query = parse_query(store_query(options))
    except QueryError as error:
        raise PluginArgumentError(f"-q: {error}") from None
    bounds = Range(time_field(options), iso_utc(window.start, "microseconds", zulu=False),
                   iso_utc(window.end, "microseconds", zulu=False), include_low=False, include_high=False)
    return And((query, bounds))


def count_on_store(options: PluginOptions, store: Store, window: PluginWindow | None) -> int:
    return store.count(store_tree(options, window)).total


# The verdict -----------------------------------------------------------------------------------------

def plugin_status(count: int, warn: int, crit: int, invert: bool) -> tuple[Status, str]:
    """The plugin's ladder: CRITICAL is tested first, comparisons are strict. The message is the
    plugin's own; a WARNING/CRITICAL one ends in `. ` where its Kibana link goes."""
    if invert:
        if count < crit:
            return Status.CRITICAL, f"Query count ({count}) was below critical threshold. "
        if count < warn:
            return Status.WARNING, f"Query count ({count}) was below warning threshold. "
    else:
        if count > crit:
            return Status.CRITICAL, f"Query count ({count}) was above critical threshold. "
        if count > warn:
            return Status.WARNING, f"Query count ({count}) was above warning threshold. "
    return Status.OK, f"Query count ({count}) was ok"


@dataclass
class PluginResult:
    """One run: the status, the count (None when it could not be counted) and the message."""

    status: Status
    count: int | None
    message: str
    warn: int = 0
    crit: int = 0
    invert: bool = False
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        """`ESQueryCount CRITICAL: Query count (3) was above critical threshold. |count=3;100;1;0;`

        Performance data in Nagios range syntax: `N` alerts above N, `N:` below N, as the plugin does."""
        if self.count is None:
            return f"{CHECK_NAME} {self.status.name}: {self.message}"
        suffix = ":" if self.invert else ""
        return (f"{CHECK_NAME} {self.status.name}: {self.message}"
                f"|count={self.count};{self.warn}{suffix};{self.crit}{suffix};0;")


def verdict(options: PluginOptions, count: int, link: str | None = None) -> PluginResult:
    status, message = plugin_status(count, options.warn, options.crit, options.invert)
    if link and status in (Status.WARNING, Status.CRITICAL):
        message += f"Kibana logs: {link}"
    return PluginResult(status, count, message, options.warn, options.crit, options.invert)


def not_found_verdict(options: PluginOptions, reason: str) -> PluginResult:
    """The cluster answered 404 (no such index or type): the plugin says OK unless inverted, when
    its own code fails (it reads the count it never got) and the run is UNKNOWN."""
    if options.invert:
        return PluginResult(Status.UNKNOWN, None, f"Check failed to run: {reason}")
    return PluginResult(Status.OK, 0, "No results found, count was below thresholds", options.warn, options.crit)


# The same meaning as a check file ---------------------------------------------------------------------

def check_thresholds(warn: int, crit: int, invert: bool) -> tuple[int | None, int]:
    """(warning, critical) for a check whose `above` means >= and `below` means <, giving the
    plugin's strict ladder exactly: above N is >= N+1; a WARNING the ladder can never reach
    (CRITICAL is tested first) is left out."""
    if invert:
        return (warn if warn > crit else None), crit
    return (warn + 1 if warn < crit else None), crit + 1


def check_fields(options: PluginOptions) -> dict[str, Any]:
    """The plugin's meaning as the keys of a check file (query, window, thresholds, direction,
    count_by, delay); PluginArgumentError for what a check can't say."""
    if not options.has_window:
        raise PluginArgumentError("no --minutes-previous (or hours/days/weeks/months): the plugin then counts "
                                  "every document and ignores -q, which a check can't express; add a window")
    warning, critical = check_thresholds(options.warn, options.crit, options.invert)
    counted_by = time_field(options)
    keys: dict[str, Any] = {"query": store_query(options), "window": window_length(options),
                            "direction": "below" if options.invert else "above", "critical": critical,
                            "count_by": counted_by}
    if warning is not None:
        keys["warning"] = warning
    if options.offset:
        if counted_by == "ingest_time":
            raise PluginArgumentError("--offset with --timestamp-field ingest_time: a check's delay applies to "
                                      "event time only (ingest time is never late)")
        keys["delay"] = timedelta(seconds=options.offset)
    return keys
