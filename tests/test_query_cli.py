"""`tattletrail search`, `count` and `searches`, run as a user runs them (a subprocess)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tests.query_events import build_store


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_store(tmp_path_factory.mktemp("cli")).url


def run_cli(store_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tattletrail", *args, *(["--store", store_url] if store_url else [])],
                          capture_output=True, text=True, timeout=120, env={"COLUMNS": "200", "PATH": "/usr/bin"})


def test_search_table_answers_who_what_when_where(store_url: str) -> None:
    result = run_cli(store_url, "search", "eventName:ConsoleLogin")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["time", "actor", "eventName", "resource", "region", "source", "IP", "error"]
    assert rows[0].split()[:5] == ["2024-05-02", "08:30:00", "bob", "ConsoleLogin", "-"]  # newest first
    assert rows[1].split()[:4] == ["2024-05-02", "08:00:00", "root", "ConsoleLogin"]


def test_search_json_gives_whole_documents(store_url: str) -> None:
    result = run_cli(store_url, "search", "requestParameters.ipPermissions.items.ipRanges.items.cidrIp:\"0.0.0.0/0\"",
                     "--format", "json")
    documents = json.loads(result.stdout)
    assert [document["eventID"] for document in documents] == ["extra-ingress-world"]
    assert documents[0]["actor"] == "NetworkAdmin/alice" and documents[0]["event_time"] == "2024-05-01T10:00:00.000Z"


@pytest.mark.parametrize("output_format, parse", [
    ("jsonl", lambda text: [json.loads(line) for line in text.splitlines()]),
    ("csv", lambda text: list(csv.DictReader(io.StringIO(text)))),
])
def test_search_fields_pick_columns(store_url: str, output_format: str, parse: object) -> None:
    result = run_cli(store_url, "search", "actor:root", "--fields", "eventName,sourceIPAddress",
                     "--format", output_format, "--limit", "2")
    rows = parse(result.stdout)  # type: ignore[operator]
    assert [dict(row) for row in rows] == [{"eventName": "CreateAccessKey", "sourceIPAddress": "203.0.113.7"},
                                           {"eventName": "StopLogging", "sourceIPAddress": "203.0.113.7"}]


def test_search_since_until_and_time_zone(store_url: str) -> None:
    result = run_cli(store_url, "search", "*", "--since", "2024-05-02T10:00", "--until", "2024-05-02T11:00",
                     "--tz", "Europe/Paris", "--fields", "event_time,eventName", "--format", "csv")
    assert list(csv.reader(io.StringIO(result.stdout)))[1:] == [["2024-05-02 10:30:00 CEST", "ConsoleLogin"],
                                                                ["2024-05-02 10:00:00 CEST", "ConsoleLogin"]]


def test_search_saved_with_parameter(store_url: str) -> None:
    result = run_cli(store_url, "search", "--saved", "access-key-activity", "key=AKIAEXAMPLEBOB",
                     "--fields", "eventID", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.split()[1:]) == ["extra-bob-login-failed", "extra-bucket-policy", "extra-denied",
                                                 "extra-ingress-private", "extra-odd-values", "extra-unauthorized"]


@pytest.mark.parametrize("args, message", [
    (["search", "--saved", "actor-activity"], "needs actor=VALUE"),
    (["search", "--saved", "actor-activty", "actor=x"], "did you mean 'actor-activity'"),
    (["search", "--saved", "actor-activity", "who=x"], "has no parameter 'who'"),
    (["search", "--saved", "actor-activity", "alice"], "name=value"),
])
def test_saved_search_mistakes_say_what_to_do(store_url: str, args: list[str], message: str) -> None:
    result = run_cli(store_url, *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_query_that_does_not_parse_shows_a_caret(store_url: str) -> None:
    result = run_cli(store_url, "search", "eventName:(ConsoleLogin OR")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-2:] == ["  eventName:(ConsoleLogin OR", "                            ^"]


def test_unknown_field_warns_with_closest_fields(store_url: str) -> None:
    result = run_cli(store_url, "count", "eventNmae:ConsoleLogin")
    assert result.returncode == 0
    assert "warning: unknown field 'eventNmae' (did you mean 'eventName'" in result.stderr
    assert result.stdout.split()[0] == "0"


@pytest.mark.parametrize("query", ["vpcEndpointAccountId:111122223333", "requestParameters.ipPermissions.items.ipRanges"
                                   ".items.cidrIp:\"0.0.0.0/0\"", "userIdentity.onBehalfOf.userId:x"])
def test_a_field_the_store_never_held_but_cloudtrail_has_does_not_warn(store_url: str, query: str) -> None:
    result = run_cli(store_url, "count", query)
    assert result.returncode == 0 and "warning" not in result.stderr, result.stderr


def test_count_json_total_and_by(store_url: str) -> None:
    result = run_cli(store_url, "count", "eventName:ConsoleLogin OR actor:root", "--by", "actor", "--json")
    assert json.loads(result.stdout) == {"count": 4, "by": "actor", "values": 2, "groups": [
        {"value": "root", "count": 3}, {"value": "bob", "count": 1}]}
    assert "shown" not in result.stderr  # every value is there


@pytest.mark.parametrize("args", [["--json"], []])
def test_count_by_says_when_more_values_exist_than_shown(store_url: str, args: list[str]) -> None:
    everything = json.loads(run_cli(store_url, "count", "--by", "eventName", "--json", "--limit", "1000").stdout)
    assert len(everything["groups"]) == everything["values"] > 3
    result = run_cli(store_url, "count", "--by", "eventName", "--limit", "3", *args)
    assert f"3 of {everything['values']} values shown (--limit)" in result.stderr
    if args:
        assert json.loads(result.stdout)["groups"] == everything["groups"][:3]


def test_count_by_a_field_inside_arrays_counts_each_value(store_url: str) -> None:
    result = run_cli(store_url, "count", "eventName:AuthorizeSecurityGroupIngress", "--json",
                     "--by", "requestParameters.ipPermissions.items.ipRanges.items.cidrIp")
    assert json.loads(result.stdout)["groups"] == [{"value": "0.0.0.0/0", "count": 1},
                                                   {"value": "10.0.0.0/16", "count": 1},
                                                   {"value": "10.0.0.0/8", "count": 1}]


def test_count_interval_draws_a_histogram_with_empty_buckets(store_url: str) -> None:
    result = run_cli(store_url, "count", "recipientAccountId:111122223333", "--interval", "1d",
                     "--since", "2024-05-01", "--until", "2024-05-05")
    lines = result.stdout.splitlines()
    assert lines[0] == "14 events"
    assert [line.split()[0] for line in lines[1:]] == ["2024-05-01", "2024-05-02", "2024-05-03", "2024-05-04"]
    assert [line.split()[-1] for line in lines[1:]] == ["4", "4", "6", "0"]
    assert "█" * 50 in lines[3]


def test_count_interval_json_has_buckets(store_url: str) -> None:
    result = run_cli(store_url, "count", "actor:root", "--interval", "1d", "--json")
    assert json.loads(result.stdout) == {"count": 3, "interval_seconds": 86400.0, "untimed": 0, "buckets": [
        {"start": "2024-05-02T00:00:00Z", "count": 1}, {"start": "2024-05-03T00:00:00Z", "count": 2}]}


def test_searches_lists_the_pack() -> None:
    result = run_cli("", "searches", "--json")
    listed = {search["name"]: search for search in json.loads(result.stdout)}
    assert {"ingress-open-to-world", "console-logins-without-mfa", "access-key-activity"} <= set(listed)
    assert listed["region-activity"]["params"] == {"region": {"description": "an AWS region, e.g. eu-west-1",
                                                              "default": None}}


def test_every_command_is_documented() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "query.md").read_text()
    for command in ("tattletrail search", "tattletrail count", "tattletrail searches", "--saved", "--interval",
                    "--by", "--fields", "--format"):
        assert command in text


def test_bare_cidr_warns_that_it_also_matches_source_ips(store_url: str) -> None:
    result = run_cli(store_url, "count", 'eventName:Authorize* AND "0.0.0.0/0"', "--json")
    assert result.returncode == 0, result.stderr
    assert 'bare "0.0.0.0/0" also matches every sourceIPAddress inside 0.0.0.0/0' in result.stderr
    named = run_cli(store_url, "count", 'requestParameters.ipPermissions.items.ipRanges.items.cidrIp:"0.0.0.0/0"')
    assert "warning" not in named.stderr


def test_a_long_actor_is_cut_in_the_role_so_the_person_stays_visible() -> None:
    from tattletrail.cli.output import shorten_actor

    actor = "AWSReservedSSO_AdministratorAccess_a72991b9e8c14743/mike@example.com"
    assert shorten_actor(actor, 34) == "AWSReservedSSO_A…/mike@example.com"
    assert shorten_actor("bob", 34) == "bob"
    assert len(shorten_actor("role/" + "s" * 40, 34)) == 34


def test_actors_cut_in_the_middle_stay_distinct_within_the_table() -> None:
    from tattletrail.cli.output import shorten_distinct

    actors = {"AWSReservedSSO_AdministratorAccess_a72991b9e8c14743/mike@example.com",
              "AWSReservedSSO_AdministratorAccess_0c3f66e1d2b4a9f0/mike@example.com",
              "AWSReservedSSO_ReadOnlyAccess_5e1d0b6c7a8f9e2d/nina@example.com", "bob"}
    short = shorten_distinct(actors, 34)
    assert len(set(short.values())) == len(actors)  # two rows never look like one
    assert short["bob"] == "bob"
    for actor, text in short.items():
        head, _, tail = text.partition("…")
        assert actor.startswith(head) and actor.endswith(tail)  # both ends kept
    assert short["AWSReservedSSO_ReadOnlyAccess_5e1d0b6c7a8f9e2d/nina@example.com"].endswith("/nina@example.com")


@pytest.mark.parametrize("query, reads", [
    ("DOE1", [None]),
    ("requestParameters.instanceType:c6i.8xlarge AND eventName:RunInstances", ["requestParameters.instanceType"]),
    ("requestParameters.instanceType:* OR requestParameters.instanceType:x OR DOE1", ["requestParameters.instanceType",
                                                                                    None]),
    ('requestParameters.ipPermissions.items.ipRanges.items.cidrIp:"0.0.0.0/0"', []),  # a fast field
    ("_exists_:userIdentity.invokedBy AND actor:DOE1 AND event_time:[2024-05-01 TO *]", []),
])
def test_a_store_names_what_a_query_reads_from_every_record(store_url: str, query: str,
                                                            reads: list[str | None]) -> None:
    from tattletrail.query import parse_query
    from tattletrail.stores import open_store

    assert open_store(store_url).scans(parse_query(query)) == reads


def test_a_slow_query_that_read_every_record_says_how_to_make_it_fast(store_url: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from tattletrail.cli import app, query

    query_text = "requestParameters.instanceType:* OR DOE1"
    quick = CliRunner().invoke(app, ["count", query_text, "--store", store_url])
    assert quick.exit_code == 0 and "note:" not in quick.output  # under SLOW_SECONDS: nothing to say
    monkeypatch.setattr(query, "SLOW_SECONDS", 0.0)
    for command in (["count", query_text], ["count", query_text, "--json"], ["search", query_text]):
        slow = CliRunner().invoke(app, [*command, "--store", store_url])
        assert slow.exit_code == 0, slow.output
        assert "requestParameters.instanceType has no column in this store" in slow.output
        assert "`fast_fields:` in config.yml and run `tattletrail setup`" in slow.output
        assert "a bare term reads every record in the window" in slow.output
    fast = CliRunner().invoke(app, ["count", "eventName:RunInstances", "--store", store_url])
    assert "note:" not in fast.output  # columns only: nothing was scanned


ROWS = [[datetime(2026, 12, 5, 2, 37, 47), "AWSReservedSSO_AdministratorAccess_95e761d17731af10/ken@example.com",
         "AuthorizeSecurityGroupIngress", "ken opened sg-0b77570a4bf168da7 to 0.0.0.0/0, ::/0 on all traffic from "
         "198.51.100.23, and this sentence goes on long enough to need wrapping on any terminal"],
        [datetime(2026, 12, 4, 16, 42, 7), "DOE1", "DeleteRoute", "DOE1 deleted the default route 0.0.0.0/0"]]


@pytest.mark.parametrize("width", [80, 100, 140, 200])
def test_a_table_keeps_every_column_and_whole_times_on_any_terminal(width: int) -> None:
    from rich.console import Console

    from tattletrail.cli.output import table

    console = Console(width=width, record=True, file=io.StringIO())
    console.print(table(None, ["event_time", "actor", "eventName", "annotations"], ROWS, width=width))
    lines = console.export_text().splitlines()
    assert lines[0].split() == ["event_time", "actor", "eventName", "annotations"]  # none cut off the right
    assert all(len(line.rstrip()) <= width for line in lines)
    assert "2026-12-05 02:37:47" in lines[1] and "2026-12-04 16:42:07" in "\n".join(lines)
    if width >= 100:
        assert "ken@example.com" in lines[1]  # the actor is cut in the role, the person kept
    prose = lines[0].index("annotations")
    text = "".join(line[prose:].strip() for line in lines[1:])
    assert "198.51.100.23,andthissentence" in text.replace(" ", "")  # prose wraps, nothing of it lost


def test_a_table_cuts_the_widest_values_first_and_leaves_short_ones_whole() -> None:
    from tattletrail.cli.output import _fitted

    columns = ["time", "actor", "eventName", "resource", "region", "source IP", "error"]
    natural = [19, 34, 11, 21, 9, 14, 5]
    widths = _fitted(columns, natural, 100 - 12)
    assert sum(widths) <= 88 and widths[0] == 19
    assert widths[2] == 11 and widths[4] == 9 and widths[6] == 5  # eventName, region and error whole
    assert widths[1] < 34 and widths[3] < 21
    assert _fitted(columns, natural, 200) == natural  # room enough: nothing cut
