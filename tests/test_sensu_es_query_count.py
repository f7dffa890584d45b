"""`check es-query-count`: the plugin's semantics on every store — the embedded DuckDB file, our
OpenSearch store, and a Logstash-style cluster at -h (osmem) — with the clock injected."""

from __future__ import annotations

import re
import shlex
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from tattletrail.alert import Status
from tattletrail.checks.model import Check
from tattletrail.checks.sensu import (PluginWindow, check_fields, check_thresholds, months_before, plugin_status,
                                      plugin_window, qualified_query, store_query)
from tattletrail.checks.sensu_cluster import index_names, kibana_index, kibana_link, request_body
from tattletrail.checks.sensu_flags import PluginArgumentError, parse_arguments
from tattletrail.checks.sensu_run import run
from tattletrail.stores.duckdb.store import DuckDBStore
from tattletrail.stores.opensearch.store import OpenSearchStore
from tests.opensearch_helpers import fresh_store
from tests.sensu_events import logstash_index, store_records, window_records

T = datetime(2026, 11, 20, 16, 0, 0)  # the run's now; the window is (15:30:00, 16:00:00)
INSIDE = 5  # matching events strictly inside the window


def arguments(text: str) -> list[str]:
    return text.split()


# The places a run can count in: each gives an opener for `run` and the extra flags that pick it.
@pytest.fixture(scope="module", params=["duckdb", "opensearch-store", "cluster"])
def place(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Callable, str]]:
    records = window_records(T, INSIDE)
    if request.param == "duckdb":
        path = tmp_path_factory.mktemp("sensu") / "events.duckdb"
        store = DuckDBStore(path)
        store_records(store, records, T - timedelta(minutes=1))
        store.close()
        yield (lambda url: DuckDBStore(path)), f"--store duckdb:///{path}"
        return
    server = request.getfixturevalue("opensearch_url")
    if request.param == "opensearch-store":
        store = fresh_store(server, "sensu")
        store_records(store, records, T - timedelta(minutes=1))
        url = store.url
        yield (lambda _: OpenSearchStore(url)), f"--store {url}"
        store.close()
        return
    from opensearchpy import OpenSearch

    client = OpenSearch(server)
    logstash_index(client, records, T - timedelta(minutes=1))
    host, port = server.removeprefix("http://").split(":")
    yield _no_store, f"-h {host} -p {port} -s http -d logstash-%Y.%m.%d --types cloudtrail"
    client.close()


def _no_store(url: Any) -> Any:
    raise AssertionError("a run with -h and no --store must not open one of our stores")


# Each threshold at the count (equal), one below it and one above it; inverted and not.
EDGES = [
    ("-c 5 -w 10", Status.OK, "was ok"),                       # count == crit: not above
    ("-c 4 -w 10", Status.CRITICAL, "was above critical threshold. "),
    ("-c 6 -w 10", Status.OK, "was ok"),
    ("-w 5 -c 10", Status.OK, "was ok"),                       # count == warn: not above
    ("-w 4 -c 10", Status.WARNING, "was above warning threshold. "),
    ("-w 6 -c 10", Status.OK, "was ok"),
    ("-w 10 -c 1", Status.CRITICAL, "was above critical threshold. "),  # CRITICAL is tested first
    ("--invert -c 5 -w 0", Status.OK, "was ok"),               # count == crit: not below
    ("--invert -c 6 -w 0", Status.CRITICAL, "was below critical threshold. "),
    ("--invert -c 4 -w 0", Status.OK, "was ok"),
    ("--invert -w 5 -c 0", Status.OK, "was ok"),               # count == warn: not below
    ("--invert -w 6 -c 0", Status.WARNING, "was below warning threshold. "),
    ("--invert -w 4 -c 0", Status.OK, "was ok"),
]


@pytest.mark.parametrize("thresholds,status,wording", EDGES)
def test_threshold_edges_are_strict_on_every_store(place: tuple[Callable, str], thresholds: str, status: Status,
                                                   wording: str) -> None:
    opener, where = place
    options = parse_arguments(arguments(f"-q Authorize* -f eventName --minutes-previous 30 {thresholds} {where}"))
    result = run(options, T, opener)
    assert (result.status, result.count) == (status, INSIDE), result.line()
    assert result.line().startswith(f"ESQueryCount {status.name}: Query count ({INSIDE}) {wording}")


def test_without_a_window_the_plugin_counts_every_document_and_ignores_the_query(place: tuple[Callable, str]) -> None:
    opener, where = place
    options = parse_arguments(arguments(f"-q Authorize* -f eventName -c 100 -w 100 {where}"))
    result = run(options, T, opener)
    assert result.count == INSIDE + 3 + 3  # every stored event, Describe calls and the edges too
    assert any("every document is counted" in note for note in result.notes)


def test_on_our_stores_connection_flags_are_reported_not_applicable(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    DuckDBStore(path).close()
    options = parse_arguments(arguments(f"-q eventName:x --minutes-previous 5 -d logstash-%Y.%m.%d -p 9200 "
                                        f"-u ops -P s3cret --types cloudtrail --store duckdb:///{path}"))
    notes = run(options, T, lambda url: DuckDBStore(path)).notes
    assert len(notes) == 1
    assert "-p 9200, -u ops, -P ***, -d logstash-%Y.%m.%d, --types cloudtrail" in notes[0]
    assert "s3cret" not in notes[0]


# The pure parts ------------------------------------------------------------------------------------

@pytest.mark.parametrize("warn,crit,invert", [(w, c, i) for w in (0, 1, 3, 5) for c in (0, 1, 3, 5)
                                              for i in (False, True)])
def test_a_converted_check_judges_every_count_as_the_plugin(warn: int, crit: int, invert: bool) -> None:
    warning, critical = check_thresholds(warn, crit, invert)
    check = Check(name="converted", warning=warning, critical=critical, direction="below" if invert else "above")
    for count in range(0, 8):
        assert check.status_of(count) == plugin_status(count, warn, crit, invert)[0], (count, warning, critical)


def test_the_window_ends_offset_seconds_ago_on_a_whole_second_and_months_are_calendar_months() -> None:
    options = parse_arguments(arguments("-q x --minutes-previous 30 --hours-previous 1 --offset 120"))
    assert plugin_window(options, T.replace(microsecond=750_000)) == PluginWindow(
        datetime(2026, 11, 20, 14, 28), datetime(2026, 11, 20, 15, 58))
    options = parse_arguments(arguments("-q x --months-previous 1"))
    assert plugin_window(options, datetime(2026, 3, 31, 12)).start == datetime(2026, 2, 28, 12)
    assert months_before(datetime(2026, 1, 15), 13) == datetime(2024, 12, 15)
    assert plugin_window(parse_arguments(["-q", "x"]), T) is None


@pytest.mark.parametrize("query,field,expected", [
    ("Authorize*", "eventName", "eventName:Authorize*"),
    ("Authorize* OR Revoke*", "eventName", "eventName:Authorize* OR eventName:Revoke*"),
    ("Authorize* AND NOT eventSource:s3*", "eventName", "eventName:Authorize* AND NOT eventSource:s3*"),
    ('"Delete Route" (a OR b)', "eventName", 'eventName:"Delete Route" (eventName:a OR eventName:b)'),
    ("Authorize*", "*", "Authorize*"),
])
def test_bare_terms_search_the_field_given_with_f(query: str, field: str, expected: str) -> None:
    assert qualified_query(query, field) == expected


def test_the_default_field_message_is_refused_for_bare_terms_on_our_stores() -> None:
    with pytest.raises(PluginArgumentError, match="no `message`"):
        store_query(parse_arguments(["-q", "Authorize*"]))
    assert store_query(parse_arguments(["-q", "eventName:Authorize*"])) == "eventName:Authorize*"


@pytest.mark.parametrize("line,message", [
    ("-q x --bogus", "unrecognized arguments: --bogus"),
    ("-q x -w 1.5", "not a whole number"),
    ("-w 1", "-q QUERY is required"),
    ("-q x -h", "expected one argument"),
])
def test_command_lines_the_plugin_would_refuse_are_errors(line: str, message: str) -> None:
    with pytest.raises(PluginArgumentError, match=message):
        parse_arguments(arguments(line))


def test_the_date_index_expands_over_the_window_days_or_hours() -> None:
    options = parse_arguments(arguments("-q x -d logstash-%Y.%m.%d --hours-previous 2"))
    window = plugin_window(options, datetime(2026, 11, 21, 1, 0))
    assert index_names(options, window, window.end) == "logstash-2026.11.20,logstash-2026.11.21"
    hourly = parse_arguments(arguments("-q x -d cw-%Y.%m.%d.%H --hours-previous 2 --repeat-hourly"))
    assert index_names(hourly, window, window.end) == "cw-2026.11.20.23,cw-2026.11.21.00,cw-2026.11.21.01"
    assert index_names(parse_arguments(arguments("-q x -i a,b -d x-%Y")), window, window.end) == "a,b"
    assert index_names(parse_arguments(["-q", "x"]), window, window.end) == "_all"


def test_the_request_is_the_plugins_query_string_and_strict_range() -> None:
    options = parse_arguments(arguments("-q Authorize* -f eventName --minutes-previous 30"))
    assert request_body(options, plugin_window(options, T)) == {"query": {"bool": {"must": [
        {"query_string": {"default_field": "eventName", "query": "Authorize*"}},
        {"range": {"@timestamp": {"gt": "2026-11-20T15:30:00", "lt": "2026-11-20T16:00:00"}}}]}}}


def test_the_kibana_link_is_the_plugins() -> None:
    options = parse_arguments(arguments("-q Authorize* -d logstash-%Y.%m.%d --minutes-previous 30 "
                                        "--kibana-url http://kibana.example.com/app/kibana"))
    assert kibana_index(options) == "[logstash-]YYYY.MM.DD"
    assert kibana_link(options, T) == (
        "http://kibana.example.com/app/kibana/#/discover?_g=(refreshInterval:(display:Off,section:0,value:0),"
        "time:(from:'2026-11-20T15:30:00.000Z',mode:absolute,to:'2026-11-20T16:00:00.000Z'))"
        "&_a=(columns:!(_source),index:[logstash-]YYYY.MM.DD,interval:auto,"
        "query:(query_string:(analyze_wildcard:!t,query:'Authorize*')),sort:!('@timestamp',desc))&dummy")


def test_a_check_from_the_seed_has_the_same_meaning() -> None:
    options = parse_arguments(arguments("-h my.elasticsearch -d logstash-%Y.%m.%d --minutes-previous 30 -p 9200 "
                                        "-c 1 -w 100 --types cloudtrail -s http -q Authorize* -f eventName --invert"))
    keys = check_fields(options)
    assert keys == {"query": "eventName:Authorize*", "window": timedelta(minutes=30), "direction": "below",
                    "critical": 1, "warning": 100, "count_by": "event_time"}


DOCS = Path(__file__).resolve().parents[1] / "docs" / "checks.md"


def test_the_docs_list_every_flag_and_their_examples_parse() -> None:
    from tattletrail.checks.sensu_flags import FLAGS, format_flags_table

    text = DOCS.read_text()
    assert format_flags_table() in text, "regenerate the flags table in docs/checks.md from format_flags_table()"
    assert len(format_flags_table().splitlines()) == len(FLAGS) + 2
    sensu_go = re.search(r"command: >-\n((?:    .*\n)+)", text).group(1)
    options = parse_arguments(shlex.split(" ".join(sensu_go.split()))[3:])
    assert (options.query, options.search_field, options.invert, options.warn, options.crit) == (
        "Authorize*", "eventName", True, 100, 1)
    nagios = re.search(r"command_line  (.*)\n", text).group(1)
    nagios = nagios.replace("$ARG1$", "Authorize*").replace("$ARG2$", "eventName").replace("$ARG3$", "30")
    options = parse_arguments(shlex.split(nagios.replace("$ARG4$", "100").replace("$ARG5$", "1"))[3:])
    assert (options.minutes_previous, options.warn, options.crit) == (30, 100, 1)


def test_a_field_the_store_never_saw_is_said_not_silently_counted_as_zero(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    store = DuckDBStore(path)
    store_records(store, window_records(T, 1), T - timedelta(minutes=1))
    store.close()
    options = parse_arguments(arguments(f"-q Authorize* -f eventNme --minutes-previous 30 --store duckdb:///{path}"))
    result = run(options, T, lambda url: DuckDBStore(path))
    assert result.count == 0
    assert "field 'eventNme' was never seen in the store (did you mean eventName" in " ".join(result.notes)


def test_kibana_url_gives_a_link_where_there_is_something_to_open(place: tuple[Callable, str]) -> None:
    opener, where = place
    options = parse_arguments(arguments(f"-q Authorize* -f eventName --minutes-previous 30 -w 1 -c 10 "
                                        f"--kibana-url http://dashboards.example.com:5601 {where}"))
    result = run(options, T, opener)
    assert result.status is Status.WARNING
    if where.startswith("--store duckdb"):
        assert result.message == "Query count (5) was above warning threshold. "
        assert any("--kibana-url: no Dashboards in front of duckdb:///" in note for note in result.notes)
    elif where.startswith("--store"):  # our OpenSearch store: its Dashboards' Discover, on the counted events
        assert result.message.startswith("Query count (5) was above warning threshold. Kibana logs: "
                                          "http://dashboards.example.com:5601/app/discover#/?_g=(time:(from:"
                                          "%272026-11-20T15:30:00Z%27,to:%272026-11-20T16:00:00Z%27))")
        assert "(eventName:Authorize%2A)%20AND%20event_time:" in result.message
    else:  # the plugin's own link
        assert result.message.startswith("Query count (5) was above warning threshold. Kibana logs: "
                                          "http://dashboards.example.com:5601/#/discover?_g=(refreshInterval:")


def test_a_404_from_the_cluster_is_ok_unless_inverted_as_in_the_plugin() -> None:
    from tattletrail.checks.sensu import not_found_verdict

    plain = not_found_verdict(parse_arguments(arguments("-q x -c 1")), "index_not_found_exception")
    assert plain.line() == "ESQueryCount OK: No results found, count was below thresholds|count=0;0;1;0;"
    inverted = not_found_verdict(parse_arguments(arguments("-q x -c 1 --invert")), "index_not_found_exception")
    assert (inverted.status, inverted.line()) == (
        Status.UNKNOWN, "ESQueryCount UNKNOWN: Check failed to run: index_not_found_exception")
