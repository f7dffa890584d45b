"""Sensu's `check-es-query-count.rb` (sensu-plugins-elasticsearch 4.x), read as the plugin reads it.

The plugin counts the documents matching a Lucene query (`-q`, bare terms searching `-f`) whose
`--timestamp-field` lies strictly inside the last `--minutes-previous`… (ending `--offset` seconds
ago), and compares the count with `-w`/`-c` strictly: above them, or below them with `--invert`.
Its flags, defaults and output are listed once here (`FLAGS`, `PluginOptions`); docs/checks.md's
table is generated from them and a test keeps the two equal. What each flag meant in the plugin
is paraphrased from its source (bin/check-es-query-count.rb and
lib/sensu-plugins-elasticsearch/elasticsearch-query.rb); see docs/checks.md for the differences.

This module is the pure part: parsing the command line, the window, the query, the status ladder
and the output line. Counting happens on one of our stores (here) or on a foreign
Elasticsearch/OpenSearch cluster at `-h` (sensu_cluster.py).
"""

from __future__ import annotations

import argparse
import calendar
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any

from luqum import tree as lucene
from luqum.parser import parser as lucene_parser

from tattletrail.alert import Status
from tattletrail.query import QueryError, parse_query
from tattletrail.query.tree import All, And, Node, Range
from tattletrail.stores import Store

PLUGIN = "check-es-query-count.rb"
CHECK_NAME = "ESQueryCount"  # sensu-plugin prints the class name: `ESQueryCount CRITICAL: …`
ANY_FIELD = "*"
# The plugin's range is on @timestamp; Logstash's cloudtrail codec sets it from eventTime.
TIME_FIELDS = {"@timestamp": "event_time", "eventTime": "event_time", "event_time": "event_time",
               "ingest_time": "ingest_time"}


class PluginArgumentError(ValueError):
    """A command line the plugin would refuse, or that can't be read without guessing."""


@dataclass(frozen=True)
class Flag:
    """One flag of the plugin: its names, and what it means in the plugin and here."""

    dest: str
    names: tuple[str, ...]
    kind: type  # int, str or bool (a switch)
    plugin: str
    here: str
    connection: bool = False  # where the documents are: not applicable on our stores


FLAGS: tuple[Flag, ...] = (
    Flag("query", ("-q", "--query"), str, "Lucene query (a `query_string`), required",
         "the same query in our language (docs/query.md)"),
    Flag("search_field", ("-f", "--field", "--fields"), str, "the field bare terms search (`default_field`)",
         "the same. `message` does not exist in CloudTrail: on our stores bare terms with it are refused; "
         "`-f '*'` searches every field. `--fields` is accepted too"),
    Flag("minutes_previous", ("--minutes-previous",), int, "window: minutes before the end",
         "the same; the window is the sum of the five"),
    Flag("hours_previous", ("--hours-previous",), int, "window: hours before the end", "the same"),
    Flag("days_previous", ("--days-previous",), int, "window: days before the end", "the same"),
    Flag("weeks_previous", ("--weeks-previous",), int, "window: weeks before the end", "the same"),
    Flag("months_previous", ("--months-previous",), int, "window: calendar months before the end",
         "the same (calendar months); a converted check writes 31d"),
    Flag("timestamp_field", ("--timestamp-field",), str, "the time field the window is on",
         "on our stores `@timestamp` and `eventTime` are `event_time`; `ingest_time` is allowed"),
    Flag("offset", ("--offset",), int, "the window ends this many seconds ago",
         "the same (a converted check: `count_by: event_time` with `delay`)"),
    Flag("warn", ("-w", "--warn"), int, "WARNING when the count is above it (below with --invert)",
         "the same, strictly; whole numbers only"),
    Flag("crit", ("-c", "--crit"), int, "CRITICAL when the count is above it (below with --invert)",
         "the same, strictly; checked before -w"),
    Flag("invert", ("--invert",), bool, "alert on counts below the thresholds", "the same"),
    Flag("kibana_url", ("--kibana-url",), str, "adds a `Kibana logs:` Discover link to WARNING/CRITICAL",
         "the same link on a cluster at -h; a Dashboards Discover link on our OpenSearch store; "
         "none on the embedded store"),
    Flag("host", ("-h", "--host"), str, "Elasticsearch host", "without --store: the cluster to query", True),
    Flag("port", ("-p", "--port"), int, "Elasticsearch port", "the cluster's port", True),
    Flag("scheme", ("-s", "--scheme"), str, "http or https (https when -u and -P are given)", "the same", True),
    Flag("user", ("-u", "--user"), str, "basic auth user (used only with -P)", "the same", True),
    Flag("password", ("-P", "--password"), str, "basic auth password",
         "the same (or $TATTLETRAIL_OPENSEARCH_PASSWORD); never printed", True),
    Flag("date_index", ("-d", "--date-index"), str, "index name with strftime dates, expanded over the window",
         "the same on the cluster", True),
    Flag("index", ("-i", "--indices"), str, "index names (comma-separated, wildcards); wins over -d",
         "the same on the cluster", True),
    Flag("date_repeat_daily", ("--repeat-daily",), bool, "-d indices roll daily (the default)", "the same", True),
    Flag("date_repeat_hourly", ("--repeat-hourly",), bool, "-d indices roll hourly", "the same", True),
    Flag("types", ("--types",), str, "mapping types to count in",
         "not applicable anywhere: mapping types are gone from OpenSearch and Elasticsearch 8; "
         "reported and not used", True),
    Flag("timeout", ("-t", "--timeout"), int, "request timeout, seconds", "the same", True),
    Flag("transport", ("--transport",), str, "`AWS` signs requests (SigV4)", "the same (`aws=es`)", True),
    Flag("region", ("--region",), str, "region for the AWS transport", "the same", True),
    Flag("headers", ("-H", "--headers"), str, "extra HTTP headers, `Name: value` comma-separated",
         "the same, sent with the count request", True),
    Flag("ignore_unavailable", ("--ignore-unavailable",), bool, "missing indices count as empty (always on)",
         "the same", True),
    Flag("cert_file", ("--cert-file",), str, "CA certificate file", "the same", True),
    Flag("skip_verify", ("--insecure-skip-tls-verify",), bool, "don't verify TLS certificates", "the same", True),
    Flag("store", ("--store",), str, "— (ours)", "count in this store instead (connection flags then don't apply)"),
)
FLAGS_BY_DEST = {flag.dest: flag for flag in FLAGS}


@dataclass(frozen=True)
class PluginOptions:
    """A parsed command line, with the plugin's defaults; `given` lists the flags written."""

    query: str = ""
    search_field: str = "message"
    minutes_previous: int = 0
    hours_previous: int = 0
    days_previous: int = 0
    weeks_previous: int = 0
    months_previous: int = 0
    timestamp_field: str = "@timestamp"
    offset: int = 0
    warn: int = 0
    crit: int = 0
    invert: bool = False
    kibana_url: str | None = None
    host: str = "localhost"
    port: int = 9200
    scheme: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    date_index: str | None = None
    index: str | None = None
    date_repeat_daily: bool = True
    date_repeat_hourly: bool = False
    types: str | None = None
    timeout: int = 30
    transport: str | None = None
    region: str | None = None
    headers: str = "Content-Type: application/json"
    ignore_unavailable: bool = True
    cert_file: str | None = None
    skip_verify: bool = False
    store: str | None = None
    given: tuple[str, ...] = ()

    def written(self, dest: str) -> bool:
        return dest in self.given

    @property
    def has_window(self) -> bool:
        return any((self.minutes_previous, self.hours_previous, self.days_previous, self.weeks_previous,
                    self.months_previous))

    def connection_flags(self) -> list[str]:
        """The connection flags written, as `-h my.elasticsearch` (a password as `***`)."""
        shown = []
        for dest in self.given:
            flag = FLAGS_BY_DEST[dest]
            if flag.connection:
                value = getattr(self, dest)
                text = "***" if dest == "password" else value
                shown.append(flag.names[0] if flag.kind is bool else f"{flag.names[0]} {text}")
        return shown


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would print usage and exit 2
        raise PluginArgumentError(message)


def _parser() -> _Parser:
    parser = _Parser(prog=PLUGIN, add_help=False, allow_abbrev=True)
    for flag in FLAGS:
        if flag.kind is bool:
            parser.add_argument(*flag.names, dest=flag.dest, action="store_const", const=True, default=None)
        else:
            parser.add_argument(*flag.names, dest=flag.dest, type=_whole if flag.kind is int else str, default=None)
    return parser


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (the plugin reads it with Ruby's "
                                         "to_i; write it as one)") from None


def parse_arguments(arguments: list[str]) -> PluginOptions:
    """The plugin's command line (without the program name) → options; PluginArgumentError if not."""
    values = vars(_parser().parse_args(arguments))
    given = tuple(dest for dest, value in values.items() if value is not None)
    options = replace(PluginOptions(), given=given, **{dest: values[dest] for dest in given})
    if not options.query:
        raise PluginArgumentError("-q QUERY is required (the plugin refuses to run without it)")
    for name in ("minutes_previous", "hours_previous", "days_previous", "weeks_previous", "months_previous",
                 "offset"):
        if getattr(options, name) < 0:
            raise PluginArgumentError(f"{FLAGS_BY_DEST[name].names[0]} must be 0 or more")
    return options


# The window ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PluginWindow:
    """The plugin's range: strictly after `start`, strictly before `end` (naive UTC, whole seconds)."""

    start: datetime
    end: datetime

    def text(self) -> str:
        return f"({_iso_z(self.start)}, {_iso_z(self.end)})"


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
    bounds = Range(time_field(options), _iso(window.start), _iso(window.end), include_low=False,
                   include_high=False)
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


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def _iso_z(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def option_defaults() -> dict[str, Any]:
    return {item.name: item.default for item in fields(PluginOptions) if item.name != "given"}


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
