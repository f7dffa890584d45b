"""`tattletrail search`, `count` and `searches`: the query language at the command line."""

from __future__ import annotations

import csv
import io
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterator, Optional

import orjson
import typer

from tattletrail.cli.output import (bold, option_json, option_store, print_json, print_line, print_note, print_table,
                                    store_from)
from tattletrail.query import QueryError, parse_query, surprises
from tattletrail.query.catalogue import catalogue
from tattletrail.query.python import leaf_text, values_at
from tattletrail.query.tree import Node
from tattletrail.stores import Store
from tattletrail.stores.base import MAX_BUCKETS, Counted
from tattletrail.timespec import parse_duration, parse_window, utc_now, zone

if TYPE_CHECKING:
    from tattletrail.searches import SavedSearch

# Who, what, when, where: (heading, field) of the default table.
DEFAULT_COLUMNS = [("time", "event_time"), ("actor", "actor"), ("eventName", "eventName"),
                   ("resource", "resource"), ("region", "awsRegion"), ("source IP", "sourceIPAddress"),
                   ("error", "errorCode")]
FORMATS = ("table", "json", "jsonl", "csv")
HISTOGRAM_WIDTH = 50


def register(app: typer.Typer) -> None:
    app.command("search")(search_command)
    app.command("count")(count_command)
    app.command("searches")(searches_command)


def option_since() -> Any:
    return typer.Option(None, "--since", help="Events from this time on: 30m, 24h, 7d (ago), today, ISO 8601.")


def option_until() -> Any:
    return typer.Option(None, "--until", help="Events before this time (same forms as --since).")


def option_tz() -> Any:
    return typer.Option(None, "--tz", help="Time zone for --since/--until without an offset and for "
                        "displayed times (IANA name; default UTC).")


def option_saved() -> Any:
    return typer.Option(None, "--saved", help="Run a saved search (see `tattletrail searches`); the "
                        "arguments are then its parameters as name=value.")


def option_searches() -> Any:
    return typer.Option(None, "--searches", help="A folder of saved searches (default: $TATTLETRAIL_SEARCHES, "
                        "`searches:` in the config file, the searches/ folder of your config directory, else the "
                        "shipped pack).")


def search_command(
    words: list[str] = typer.Argument(None, metavar="QUERY", help="A Lucene query, e.g. "
                                      "'eventName:ConsoleLogin AND NOT additionalEventData.MFAUsed:Yes'."),
    since: Optional[str] = option_since(), until: Optional[str] = option_until(), tz: Optional[str] = option_tz(),
    fields: Optional[str] = typer.Option(None, "--fields", help="Comma-separated fields to show instead "
                                         "of time, actor, eventName, resource, region, source IP, error."),
    limit: int = typer.Option(100, "--limit", help="At most this many events, newest first."),
    output_format: str = typer.Option("table", "--format", help="table, json, jsonl or csv."),
    store: Optional[str] = option_store(), saved: Optional[str] = option_saved(),
    searches_dir: Optional[str] = option_searches(),
) -> None:
    """Find events: newest first, who did what, when and where."""
    if output_format not in FORMATS:
        raise typer.BadParameter(f"{output_format!r}: use one of {', '.join(FORMATS)}", param_hint="--format")
    with query_errors():
        window = time_window(since, until, tz)
        target = store_from(store)
        tree = query_of(words, saved, target, searches_dir)
        started = time.monotonic()
        documents = target.search(tree, since=window[0], until=window[1], limit=limit)
        matched = (target.count(tree, since=window[0], until=window[1]).total if len(documents) >= limit
                   else len(documents))
    columns = [(name, name) for name in fields.split(",") if name] if fields else DEFAULT_COLUMNS
    print_documents(documents, columns, output_format, zone_name=tz, full=not fields)
    if matched > len(documents):  # on stderr, so json/csv output stays what a script reads
        print_note(f"{len(documents):,} of {matched:,} shown (--limit)")
    for note in scan_notes(target.scans(tree), time.monotonic() - started):
        print_note(note)


def count_command(
    words: list[str] = typer.Argument(None, metavar="QUERY", help="A Lucene query ('*' or nothing: every event)."),
    since: Optional[str] = option_since(), until: Optional[str] = option_until(), tz: Optional[str] = option_tz(),
    by: Optional[str] = typer.Option(None, "--by", help="Count per value of this field (the top --limit)."),
    limit: int = typer.Option(20, "--limit", min=1, help="With --by: show this many values, most events first."),
    interval: Optional[str] = typer.Option(None, "--interval", help="Count per time bucket, e.g. 1h, 15m, 1d: "
                                           "a histogram."),
    as_json: bool = option_json(), store: Optional[str] = option_store(), saved: Optional[str] = option_saved(),
    searches_dir: Optional[str] = option_searches(),
) -> None:
    """How many events match; per field value with --by, over time with --interval."""
    with query_errors():
        window = time_window(since, until, tz)
        asked = parse_duration(interval) if interval else None
        if asked is not None and window[0] is not None and window[1] is None:
            # [since, now): the histogram runs to now, so today's bucket is shown even when empty
            window = (window[0], utc_now())
        target = store_from(store)
        tree = query_of(words, saved, target, searches_dir)
        started = time.monotonic()
        counted = target.count(tree, since=window[0], until=window[1], by=by, interval=asked, top=limit)
    notes = scan_notes(target.scans(tree), time.monotonic() - started)
    if as_json:
        print_json(counted.as_dict())
        print_values_shown(counted)
        for note in notes:
            print_note(note)
        return
    print_line(f"{bold(f'{counted.total:,}')} {'event' if counted.total == 1 else 'events'}")
    if by is not None:
        print_table(None, [by, "events"], counted.groups, numeric=["events"])
    if counted.buckets:
        print_line(histogram(counted.buckets, tz))
    for note in bucket_notes(counted, asked):
        print_line(note)
    print_values_shown(counted)
    for note in notes:
        print_note(note)


# A query that read every record for at least this long says how to make it fast.
SLOW_SECONDS = 2.0


def scan_notes(scanned: list[str | None], seconds: float) -> list[str]:
    """What made a slow query read every record in its window, and what to do about it (stderr)."""
    if seconds < SLOW_SECONDS or not scanned:
        return []
    fields = [name for name in scanned if name is not None]
    notes = []
    if fields:
        notes.append(f"note: {seconds:.1f} s: {', '.join(fields)} {'has' if len(fields) == 1 else 'have'} no column "
                     "in this store, so every record in the window was read.\n"
                     "  To make it fast: list it under `fast_fields:` in config.yml and run `tattletrail setup` "
                     "(docs/query.md, Fast fields).")
    if None in scanned:
        notes.append(f"note: {seconds:.1f} s: a bare term reads every record in the window; name its field "
                     "(actor:DOE1) or narrow --since when you can.")
    return notes


def print_values_shown(counted: Counted) -> None:
    """On stderr, as search's "N of M shown", so --json output stays what a script reads."""
    if counted.values > len(counted.groups):
        print_note(f"{len(counted.groups):,} of {counted.values:,} values shown (--limit)")


def bucket_notes(counted: Counted, asked: timedelta | None) -> list[str]:
    """What a reader of the histogram must know to make its buckets add up to the count."""
    notes = []
    if asked is not None and counted.interval is not None and counted.interval != asked:
        notes.append(f"interval widened from {describe_interval(asked)} to {describe_interval(counted.interval)}: "
                     f"at most {MAX_BUCKETS:,} buckets (narrow --since/--until for finer buckets)")
    if counted.untimed:
        notes.append(f"{counted.untimed:,} events have no usable eventTime: counted, in no bucket")
    return notes


def describe_interval(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def searches_command(searches_dir: Optional[str] = option_searches(), as_json: bool = option_json()) -> None:
    """List the saved searches: name, parameters and what each finds; and the folder they were read from."""
    from tattletrail.searches import load_searches, search_directories, searches_folder

    with query_errors():
        folder = searches_folder(searches_dir)
        searches = load_searches(search_directories(folder.path))
    if as_json:
        print_json([asdict(search) for search in searches.values()])
        return
    print_line(f"{len(searches)} {folder.describe()}")
    print_table(None, ["name", "parameters", "description"],
                [(search.name, describe_params(search), search.description)
                 for search in sorted(searches.values(), key=lambda found: found.name)])


def describe_params(search: SavedSearch) -> str:
    return "" if not search.params else search.usage()


# The library calls behind the commands ---------------------------------------------------------------

def query_of(words: list[str] | None, saved: str | None, store: Store, searches_dir: str | None = None) -> Node:
    """The query the command line asks for, parsed and checked; warns about never-seen fields."""
    words = words or []
    if saved:
        # saved searches are YAML files: `count QUERY` starts without reading them
        from tattletrail.searches import find_search, load_searches, parse_arguments, search_directories

        searches = load_searches(search_directories(searches_dir))
        text = find_search(saved, searches).render(parse_arguments(words))
    else:
        text = " ".join(words)
    tree = parse_query(text)
    warn_unknown_fields(tree, store)
    for surprise in surprises(tree):
        print_note(f"warning: {surprise}")
    return tree


def warn_unknown_fields(tree: Node, store: Store) -> None:
    """Fields no mapping or CloudTrail record has (the field catalogue: no store sample, so a rare
    field is never called unknown)."""
    fields = catalogue()
    for field, _ in fields.unknown_in(tree):
        print_note(f"warning: {fields.problem(field)}")


def time_window(since: str | None, until: str | None, tz: str | None) -> tuple[datetime | None, datetime | None]:
    return parse_window(since, until, datetime.now(timezone.utc), tz)


@contextmanager
def query_errors() -> Iterator[None]:
    """A query that can't be used: the query, a caret under the column, exit code 2."""
    try:
        yield
    except QueryError as error:
        print_note(f"error: {error}")
        raise typer.Exit(2) from None


# Output -------------------------------------------------------------------------------------------

def cell(document: dict[str, Any], field: str, zone_name: str | None) -> str | None:
    if field == "event_time":
        moment = document.get("event_time")
        return local_time(moment, zone_name) if moment else None
    values = [value for value in values_at(document, field)]
    if not values:
        return None
    return ", ".join(leaf_text(value) if not isinstance(value, dict) else orjson.dumps(value).decode()
                     for value in values)


def local_time(iso: str, zone_name: str | None) -> str:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(zone(zone_name))
    return moment.strftime("%Y-%m-%d %H:%M:%S") + ("" if zone_name in (None, "UTC") else moment.strftime(" %Z"))


def print_documents(documents: list[dict[str, Any]], columns: list[tuple[str, str]], output_format: str,
                    zone_name: str | None, full: bool) -> None:
    if output_format in ("json", "jsonl"):
        rows = documents if full else [{field: _projected(document, field) for _, field in columns}
                                       for document in documents]
        if output_format == "json":
            print_json(rows)
        else:
            sys.stdout.write("".join(orjson.dumps(row).decode() + "\n" for row in rows))
        return
    rows_text = [[cell(document, field, zone_name) for _, field in columns] for document in documents]
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([name for name, _ in columns])
        writer.writerows([[value or "" for value in row] for row in rows_text])
        sys.stdout.write(buffer.getvalue())
        return
    if not documents:
        print_line("No matching events.")
        return
    print_table(None, [name for name, _ in columns], rows_text)


def _projected(document: dict[str, Any], field: str) -> Any:
    values = values_at(document, field)
    return None if not values else values[0] if len(values) == 1 else values


def histogram(buckets: list[tuple[datetime, int]], zone_name: str | None) -> str:
    """One line per bucket: its start, a bar scaled to the largest bucket, the count."""
    largest = max((n for _, n in buckets), default=0) or 1
    lines = []
    for start, n in buckets:
        bar = "█" * round(n / largest * HISTOGRAM_WIDTH) if n else ""
        lines.append(f"{local_time(start.isoformat() + 'Z', zone_name)}  {bar:<{HISTOGRAM_WIDTH}}  {n:,}")
    return "\n".join(lines)

