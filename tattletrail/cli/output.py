"""Everything the CLI prints goes through here: JSON for scripts, rich tables for people, plain
lines for a count or a warning.

rich is imported when something rich is printed (a table, a progress bar, markup): its import
took 22–46 ms at load ~5, for a `tattletrail count` whose answer is one line. `console` and
`errors`, the consoles of stdout and stderr, are made on first use (tests/test_cli_startup.py
pins what `count` loads).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import orjson
import typer

from tattletrail.config_lookup import default_store_url
from tattletrail.errors import ConfigError, TattletrailError
from tattletrail.packs import PackError
from tattletrail.stores import Store, StoreURLError, open_store, unavailable_reason
from tattletrail.timespec import TimeSpecError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from tattletrail.config import Config


@cache
def stdout_console() -> Console:
    from rich.console import Console

    # Piped output is not cut to 80 columns (200, or $COLUMNS); scripts should still prefer --json.
    return Console(soft_wrap=True, width=None if sys.stdout.isatty() else int(os.environ.get("COLUMNS") or 200))


@cache
def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def __getattr__(name: str) -> Console:
    """`from tattletrail.cli.output import console, errors`: the rich consoles of stdout and stderr."""
    if name == "console":
        return stdout_console()
    if name == "errors":
        return stderr_console()
    raise AttributeError(name)


def print_line(text: str) -> None:
    """One line of plain text on stdout, without rich (`bold()` styles a part of it)."""
    typer.echo(text)


def print_note(text: str) -> None:
    """One line of plain text on stderr: a warning, "N of M shown" (so json/csv on stdout stays
    what a script reads)."""
    typer.echo(text, err=True)


def bold(text: str) -> str:
    """`text` in bold on a terminal; typer.echo drops the style when output is piped, as rich does."""
    return typer.style(text, bold=True)


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                numeric: Sequence[str] = ()) -> None:
    stdout_console().print(table(title, columns, rows, numeric))

# Library errors whose message is the whole story: one clear line and exit code 2, no traceback.
USER_ERRORS: tuple[type[Exception], ...] = (ConfigError, PackError, StoreURLError, TimeSpecError)


INTERRUPTED = "Interrupted: everything already stored is kept; run the same command again to resume."


@contextmanager
def fail_cleanly() -> Iterator[None]:
    """Every TattletrailError (a bad config or query, a store locked or down, a source that can't
    be listed…) as one line and exit 2; a bug keeps its traceback."""
    try:
        yield
    except TattletrailError as error:
        fail(str(error))
    except SystemExit as done:
        # Typer turns Ctrl-C into a silent exit 130 (`ingest` says what it stored itself): say it here.
        if done.code == 130 and isinstance(getattr(done.__context__, "__cause__", None), KeyboardInterrupt):
            print_note(INTERRUPTED)
        raise
    except Exception as error:
        refused = unavailable_reason(error)
        if refused is None:
            raise
        fail(refused)


def fail(message: str) -> None:
    """One clear line on stderr and exit code 2: what `doctor` would say, on every command."""
    stderr_console().print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    sys.exit(2)


def store_from(url: str | None, create: bool = False, config: Config | None = None) -> Store:
    """The store named by --store or the defaults (`config`: the one already loaded). Only `ingest`
    and `setup` create a store: a read of a file that isn't there is a mistyped path, not an empty store."""
    if not url:
        url = default_store_url(config)  # the config's models load only when there is a config file
    return open_store(url, create=create)


def print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, default=_jsonable, option=orjson.OPT_INDENT_2).decode() + "\n")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


# Columns of prose that may wrap; every other column stays on one line (cut with … if need be),
# so a row of a who-did-what table is one line of the terminal.
WRAPPING_COLUMNS = ("description", "detail", "annotations", "errorMessage")
PROSE_WIDTH = 24  # the least a wrapping column is given: the others are cut with … before it goes narrower
# Long values that would push everything else off a terminal line: shortened in the middle (both
# ends kept, distinct values kept distinct), to a width that grows with the terminal. Time is never cut.
SHORTENED_COLUMNS = {"actor": (34, 4), "resource": (26, 6)}  # (least width, share of the terminal: 1/n)


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]],
          numeric: Sequence[str] = (), width: int | None = None) -> Table:
    """Rows as a table that fits `width` (the terminal's): every column stays on screen, times
    whole, prose wrapped, and other values cut with … only as far as they must be."""
    from rich.table import Table

    width = width or stdout_console().width
    view = Table(title=title, title_justify="left", box=None, header_style="bold", pad_edge=False)
    texts = [[_cell(value) for value in row] for row in rows]
    natural = [max([len(column)] + [len(cells[at]) for cells in texts]) for at, column in enumerate(columns)]
    for at, column in enumerate(columns):
        if column in SHORTENED_COLUMNS:
            least, share = SHORTENED_COLUMNS[column]
            natural[at] = min(natural[at], max(least, width // share))
    fitted = _fitted(columns, natural, width - 2 * (len(columns) - 1))
    for at, column in enumerate(columns):
        if column in SHORTENED_COLUMNS:  # cut in the middle, to the width it is given
            short = shorten_distinct({cells[at] for cells in texts}, fitted[at])
            for cells in texts:
                cells[at] = short[cells[at]]
    for column, room in zip(columns, fitted):
        wraps = column in WRAPPING_COLUMNS
        view.add_column(column, justify="right" if column in numeric else "left", no_wrap=not wraps,
                        overflow="fold" if wraps else "ellipsis", min_width=room, max_width=room)
    for cells in texts:
        view.add_row(*cells)
    return view


def _fitted(columns: Sequence[str], natural: list[int], room: int) -> list[int]:
    """Each column's width when together they must fit `room`: prose gives way first (down to
    PROSE_WIDTH: it wraps), then the widest of the other columns are cut to a common width, so
    short values (a region, an error code) stay whole; times are never cut, and no column goes
    below its header (or 8). On a terminal too narrow even for that, the line runs over."""
    prose = [at for at, column in enumerate(columns) if column in WRAPPING_COLUMNS]
    flexible = [at for at, column in enumerate(columns) if column not in WRAPPING_COLUMNS and not is_time_column(column)]
    widths = list(natural)
    for at in prose:
        others = sum(widths) - widths[at]
        widths[at] = max(min(natural[at], PROSE_WIDTH), min(widths[at], room - others))
    excess = sum(widths) - room
    if excess > 0 and flexible:
        floors = {at: min(natural[at], max(len(columns[at]), 8)) for at in flexible}
        cap = max(natural[at] for at in flexible)
        while cap > 0 and sum(max(floors[at], min(natural[at], cap)) for at in flexible) > \
                sum(natural[at] for at in flexible) - excess:
            cap -= 1
        for at in flexible:
            widths[at] = max(floors[at], min(natural[at], cap))
    return widths


def is_time_column(column: str) -> bool:
    """`time`, `event_time`, `ingest_time`, `eventTime`: shown whole, whatever else must give way."""
    return column == "time" or column.endswith("_time") or column == "eventTime"


def shorten_distinct(values: set[str], width: int) -> dict[str, str]:
    """Each value shortened in the middle to `width`, except that two values never look the same:
    those that would are given more room until they differ (or are shown whole)."""
    short = {value: shorten_middle(value, width) for value in values}
    room = width
    while len(set(short.values())) < len(short) and room < max(map(len, values)):
        room += 1
        seen: dict[str, int] = {}
        for text in short.values():
            seen[text] = seen.get(text, 0) + 1
        short = {value: shorten_middle(value, room) if seen[text] > 1 else text for value, text in short.items()}
    return short


def shorten_actor(actor: str, width: int) -> str:
    return shorten_middle(actor, width)


def shorten_middle(text: str, width: int) -> str:
    """`text` cut in the middle, keeping both ends: the end of `ROLE/SESSION` (the person,
    mike@example.com) whole when it fits, and the start of the role."""
    if len(text) <= width:
        return text
    tail = max((width - 1) // 2, len(text) - text.rfind("/") if "/" in text else 0)
    if width - 1 - tail < 4:
        tail = (width - 1) // 2
    head = width - 1 - tail
    return f"{text[:head]}…{text[len(text) - tail:]}"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def option_store() -> Any:
    return typer.Option(None, "--store", help="Store URL, e.g. duckdb:///path/events.duckdb "
                        "(default: $TATTLETRAIL_STORE, the config file, else your data directory).")


def option_json() -> Any:
    return typer.Option(False, "--json", help="Print machine-readable JSON instead of a table.")


def option_checks() -> Any:
    return typer.Option(None, "--checks", help="A directory (or file) of checks (default: $TATTLETRAIL_CHECKS, "
                        "`checks:` in the config file, the checks/ folder of your config directory, else the "
                        "shipped pack).")


def option_state() -> Any:
    return typer.Option(None, "--state", help="The check state file (default: $TATTLETRAIL_CHECK_STATE, else "
                        "checks-state.sqlite in your data directory). The outbox of undelivered alerts is "
                        "outbox.sqlite beside it (or $TATTLETRAIL_OUTBOX).")
