"""Everything the CLI prints goes through here: JSON for scripts, rich tables for people."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator, Sequence

import orjson
import typer
from rich.console import Console
from rich.table import Table

from tattletrail.config import ConfigError, default_store_url
from tattletrail.stores import Store, StoreURLError, duckdb_path, open_store
from tattletrail.timespec import TimeSpecError

# Piped output is not cut to 80 columns; scripts should still prefer --json.
console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
errors = Console(stderr=True, soft_wrap=True)

# Library errors whose message is the whole story: one clear line and exit code 2, no traceback.
USER_ERRORS: tuple[type[Exception], ...] = (ConfigError, StoreURLError, TimeSpecError)


@contextmanager
def fail_cleanly() -> Iterator[None]:
    from tattletrail.sources.base import SourceError
    from tattletrail.stores.base import StoreUnavailable
    from tattletrail.stores.duckdb import StoreLocked

    try:
        yield
    except (*USER_ERRORS, SourceError, StoreLocked, StoreUnavailable) as error:
        fail(str(error))
    except Exception as error:
        if "opensearchpy" not in sys.modules:
            raise
        from tattletrail.stores.opensearch_connection import unavailable_cluster

        refused = unavailable_cluster(error)
        if refused is None:
            raise
        fail(refused)


def fail(message: str) -> None:
    """One clear line on stderr and exit code 2: what `doctor` would say, on every command."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    sys.exit(2)


def store_from(url: str | None, create: bool = False) -> Store:
    """The store named by --store or the defaults. Only `ingest` and `setup` create an embedded
    store: a read of a file that isn't there is a mistyped path, not an empty store."""
    url = url or default_store_url()
    if not create and url.startswith("duckdb:"):
        path = duckdb_path(url)
        if not path.exists():
            raise StoreURLError(f"{path}: no store here yet; run `tattletrail ingest SOURCE --store {url}` first "
                                "(or check the path)")
    return open_store(url)


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
WRAPPING_COLUMNS = ("description", "detail")
# Long values that would push everything else off a terminal line; time is never cut.
COLUMN_WIDTHS = {"time": (19, 19), "actor": (5, 34), "resource": (8, 26)}


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]],
          numeric: Sequence[str] = ()) -> Table:
    view = Table(title=title, title_justify="left", box=None, header_style="bold", pad_edge=False)
    for column in columns:
        wraps = column in WRAPPING_COLUMNS
        least, most = COLUMN_WIDTHS.get(column, (len(column), None))
        view.add_column(column, justify="right" if column in numeric else "left", no_wrap=not wraps,
                        overflow="fold" if wraps else "ellipsis", min_width=least, max_width=most)
    actor_at = list(columns).index("actor") if "actor" in columns else None
    for row in rows:
        cells = [_cell(value) for value in row]
        if actor_at is not None:
            cells[actor_at] = shorten_actor(cells[actor_at], COLUMN_WIDTHS["actor"][1])
        view.add_row(*cells)
    return view


def shorten_actor(actor: str, width: int) -> str:
    """`ROLE/SESSION` cut in the role, so the session (the person: mike@example.com) stays visible."""
    if len(actor) <= width or "/" not in actor:
        return actor
    role, session = actor.split("/", 1)
    room = width - len(session) - 2  # "…/"
    if room < 4:
        return actor[: width - 1] + "…"
    return f"{role[:room]}…/{session}"


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
