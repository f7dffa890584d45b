"""The command line of Sensu's `check-es-query-count.rb` (sensu-plugins-elasticsearch 4.x): every
flag once, with what it meant in the plugin and what it means here.

`FLAGS` gives the names (long and short, as the plugin's mixlib-cli options declare them) and the
meanings; `PluginOptions` the plugin's defaults. Both the command and the Sensu converter read
command lines with `parse_arguments`, and docs/checks.md's table is `format_flags_table()` (a test
keeps them equal). The plugin's meanings are paraphrased from its source: bin/check-es-query-count.rb
and lib/sensu-plugins-elasticsearch/elasticsearch-{common,query}.rb.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, fields, replace
from typing import Any

from tattletrail.errors import TattletrailError

PLUGIN = "check-es-query-count.rb"


class PluginArgumentError(TattletrailError, ValueError):
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


def option_defaults() -> dict[str, Any]:
    return {item.name: item.default for item in fields(PluginOptions) if item.name != "given"}


def format_flags_table() -> str:
    """The markdown table of every flag: docs/checks.md holds exactly this (a test says so)."""
    defaults = option_defaults()
    rows = ["| flag | default | in the plugin | here |", "|---|---|---|---|"]
    for flag in FLAGS:
        default = defaults[flag.dest]
        shown = "—" if default is None or flag.kind is bool and not default else f"`{default}`"
        if flag.kind is bool and default:
            shown = "on"
        if flag.dest == "query":
            shown = "required"
        rows.append(f"| {', '.join(f'`{name}`' for name in flag.names)} | {shown} | {flag.plugin} | {flag.here} |")
    return "\n".join(rows)

