"""`tattletrail check run|test|list|validate` and `tattletrail checker`: the checks at the command line.

`check run` is a Sensu/Nagios plugin as it is: one `NAME STATUS: message|count=N;warn;crit` line
per check (and group), exit code the worst status. Whatever goes wrong before a check could run
(a bad check file, an unknown name, a store that can't be opened) is UNKNOWN (3), never OK.
"""

from __future__ import annotations

import logging
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import typer

from tattletrail.alert import Status
from tattletrail.checks import checks_directory, checks_folder, load_checks, load_pack, select_checks
from tattletrail.checks.model import Check, Kind, duration_text
from tattletrail.checks.notify import checker_dispatcher
from tattletrail.checks.silence import SilenceBook, SilenceFile
from tattletrail.checks.replay import replay
from tattletrail.checks.baseline import BaselineFile
from tattletrail.checks.runner import FixedClock, Runner, SystemClock
from tattletrail.checks.scheduler import Checker, WallClock
from tattletrail.checks.state import StateFile, default_state_path
from tattletrail.cli.output import (USER_ERRORS, console, errors, option_checks, option_json, option_state,
                                    option_store, print_json, store_from, table)
from tattletrail.config import Config, ConfigError, load_config
from tattletrail.destinations.delivery import DELIVERY_WAIT
from tattletrail.query import QueryError, surprises
from tattletrail.stores import Store
from tattletrail.timespec import parse_duration, utc_now

# After SIGTERM, how long the daemon waits for a send under way before it exits anyway.
STOP_WAIT = 0.5

check_app = typer.Typer(help="Run, test, list and validate checks.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    from tattletrail.cli import check_status  # check status|silence|unsilence
    from tattletrail.cli import sensu  # check es-query-count, check convert-sensu

    check_status.register(check_app)
    sensu.register(check_app)
    app.add_typer(check_app, name="check")
    app.command("checker")(checker_command)


@check_app.command("run")
def run_command(
    names: Optional[list[str]] = typer.Argument(None, metavar="[NAME]...", help="Checks to run (default: every "
                                                "enabled check)."),
    checks_dir: Optional[Path] = option_checks(), store: Optional[str] = option_store(),
    as_json: bool = option_json(),
    notify: bool = typer.Option(False, "--notify", help="Send alerts to the checks' destinations, and keep state "
                                "(occurrences, refresh, catch-up) as the checker does."),
    state: Optional[Path] = option_state(),
) -> None:
    """Run checks once: one Sensu/Nagios line per check and group; exit code the worst status."""
    with unknown_on_error():
        config = load_config()
        checks = select_checks(load_pack(checks_dir, config), names)
        target = store_from(store, config=config)  # the checker never creates one
        runner = make_runner(target, config, state, notify=notify)
    try:
        with target.reading():
            runs = [runner.run(check) for check in checks]
        if runner.dispatcher is not None:  # cron mode: what earlier runs left in the outbox goes now, once
            runner.dispatcher.retry_pending()
    finally:
        if runner.dispatcher is not None:
            runner.dispatcher.close(timeout=DELIVERY_WAIT)  # bounded: a stuck send stays in the outbox
    results = [result for run in runs for result in run.results]
    if as_json:
        print_json({"results": [result.to_json() for result in results],
                    "alerts": [alert.to_json() for run in runs for alert in run.alerts],
                    "deliveries": [delivery.__dict__ for run in runs for delivery in run.deliveries]})
    else:
        for result in results:
            sys.stdout.write(result.sensu_line() + "\n")
    raise typer.Exit(int(max((result.status for result in results), default=Status.OK)))


def make_runner(store: Store, config: Config, state: Path | None, notify: bool) -> Runner:
    """A runner for the CLI: read-only unless notifying (the state file is read if it exists)."""
    path = state or default_state_path()
    state_file = StateFile(path, store.url) if notify or path.exists() else None
    dispatcher = checker_dispatcher(config, path) if notify else None
    silences = SilenceBook(SilenceFile(path), config.checker.maintenance) if notify else None
    return Runner(store, state=state_file, dispatcher=dispatcher, dashboards_url=config.dashboards_url,
                  clock=FixedClock(SystemClock().now()), silences=silences,
                  baselines=BaselineFile.beside(path, store.url))


@contextmanager
def unknown_on_error() -> Iterator[None]:
    """Before any check ran: one `UNKNOWN:` line and exit 3, as a monitoring plugin must."""
    try:
        yield
    except USER_ERRORS + (QueryError,) as error:
        sys.stdout.write(f"UNKNOWN: {error}\n")
        raise typer.Exit(int(Status.UNKNOWN)) from None
    except Exception as error:  # noqa: BLE001 - a plugin that can't run says UNKNOWN, never crashes silent
        sys.stdout.write(f"UNKNOWN: {type(error).__name__}: {error}\n")
        raise typer.Exit(int(Status.UNKNOWN)) from None


@check_app.command("test")
def test_command(
    name: str = typer.Argument(..., help="The check to replay."),
    replay_span: str = typer.Option("7d", "--replay", help="How far back to replay, e.g. 24h, 7d."),
    checks_dir: Optional[Path] = option_checks(), store: Optional[str] = option_store(),
    as_json: bool = option_json(),
) -> None:
    """Replay history in interval steps: when the check would have gone WARNING/CRITICAL/OK, and
    which notifications it would have sent. Nothing is delivered and no state is kept."""
    check = select_checks(load_pack(checks_dir), [name])[0]
    target = store_from(store)
    with target.reading():
        replayed = replay(check, target, parse_duration(replay_span), utc_now())
    if as_json:
        print_json({"check": check.name, "start": replayed.start, "end": replayed.end,
                    "step_seconds": replayed.step.total_seconds(), "steps": replayed.steps,
                    "notifications": replayed.notifications,
                    "transitions": [{"at": change.at, "previous": change.previous.name,
                                     "notify": list(change.notify) if change.notify is not None else None,
                                     **change.result.to_json()} for change in replayed.transitions]})
        return
    console.print(f"{check.name}: replayed {replayed.start:%Y-%m-%d %H:%M} → {replayed.end:%Y-%m-%d %H:%M} UTC "
                  f"in {replayed.steps:,} steps of {duration_text(replayed.step)} (by event time)", highlight=False)
    rows = [(change.at, change.result.check, _group_text(change.result.group),
             f"{change.previous.name} → {change.result.status.name}",
             change.result.count, ", ".join(change.notify) if change.notify else ("yes" if change.notify == () else "-"),
             change.result.message) for change in replayed.transitions]
    if rows:
        console.print(table(None, ["time", "check", "group", "status", "count", "notify", "detail"], rows,
                            numeric=["count"]))
    console.print(f"{len(replayed.transitions)} transition(s), {replayed.notifications} notification(s).",
                  highlight=False)


def _group_text(group: dict[str, str]) -> str | None:
    return ", ".join(f"{name}={value}" for name, value in group.items()) or None


@check_app.command("list")
def list_command(checks_dir: Optional[Path] = option_checks(), as_json: bool = option_json()) -> None:
    """Every check: kind, window, interval, thresholds, groups, occurrences, refresh, destinations,
    enabled, what is expected (except); and the folder they were read from."""
    folder = checks_folder(checks_dir)
    checks = load_pack(folder.path)
    if as_json:
        print_json([check.model_dump(mode="json", by_alias=True) for check in checks])
        return
    console.print(f"{len(checks)} {folder.describe()}", highlight=False, markup=False)
    console.print(table(None, ["name", "kind", "window", "every", "warning", "critical", "group_by", "occurrences",
                               "refresh", "destinations", "enabled", "except", "description"],
                        [_row(check) for check in checks]))


def _row(check: Check) -> tuple[Any, ...]:
    warning, critical = check.thresholds
    operator = ">=" if check.direction.value == "above" else "<"
    kind = check.kind.value if check.kind is Kind.count else f"new {check.field}"
    if check.distinct:
        kind = f"distinct {'+'.join(check.distinct)}"
    return (check.name, kind, duration_text(check.window), duration_text(check.interval),
            f"{operator} {warning:g}" if warning is not None else None,
            f"{operator} {critical:g}" if critical is not None else None,
            ",".join(check.group_by) or None, check.occurrences, duration_text(check.refresh),
            ", ".join(check.destinations.everywhere()) or None, "yes" if check.enabled else "no", check.except_,
            check.description)


@check_app.command("validate")
def validate_command(directory: Optional[Path] = typer.Argument(None, help="Checks to validate (default: as "
                                                                "--checks)."),
                     as_json: bool = option_json()) -> None:
    """Check every check file: keys, types, queries, and destination names against the config."""
    path = checks_directory(directory)
    checks = load_checks(path)
    for check in checks:
        for surprise in surprises(check.tree):
            errors.print(f"warning: check {check.name!r}: {surprise}", highlight=False, markup=False)
    config = load_config()
    known = {"stdout", *config.destinations}
    for check in checks:
        for name in check.destinations.everywhere():
            if name not in known:
                raise ConfigError(f"{path}: check {check.name!r} sends to {name!r}, which is not a destination in "
                                  f"the config (known: {', '.join(sorted(known))})")
    if as_json:
        print_json({"checks": len(checks), "path": str(path), "ok": True})
        return
    console.print(f"{len(checks)} check(s) in {path}: valid.", highlight=False)


def _serve_check_metrics(port: int | None) -> tuple[Any, Any]:
    """The checker's on_run hook and its delivery metrics (the outbox, outcomes per destination)
    that feed Prometheus, once the metrics endpoint is up (or (None, None))."""
    if port is None:
        return None, None
    from tattletrail.metrics import CheckMetrics, DeliveryMetrics, serve_metrics

    serve_metrics(port)
    metrics = CheckMetrics()
    return (lambda run, lag: metrics.record_run(run.check.name, int(run.worst), schedule_lag=lag)), DeliveryMetrics()


def checker_command(checks_dir: Optional[Path] = option_checks(), store: Optional[str] = option_store(),
                    state: Optional[Path] = option_state(),
                    metrics_port: Optional[int] = typer.Option(
                        None, "--metrics-port", help="Serve Prometheus metrics on this port: each check's "
                        "status, last run, lag behind schedule and since its last run.")) -> None:
    """The daemon: runs each enabled check on its interval, notifies destinations, logs each run with
    its lag behind schedule; stops cleanly on SIGTERM or Ctrl-C."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = load_config()
    checks = load_pack(checks_dir, config)
    target = store_from(store, config=config)  # the checker never creates one
    state_path = state or default_state_path()
    on_run, delivery_metrics = _serve_check_metrics(metrics_port)
    # wait=0: delivery runs on the destinations' own threads, beside the scheduler, never in it
    dispatcher = checker_dispatcher(config, state_path, wait=0,
                                    observer=delivery_metrics.record_outcome if delivery_metrics else None)
    if delivery_metrics:
        delivery_metrics.watch(dispatcher)
    silences = SilenceBook(SilenceFile(state_path), config.checker.maintenance)
    runner = Runner(target, state=StateFile(state_path, target.url), dispatcher=dispatcher,
                    dashboards_url=config.dashboards_url, silences=silences,
                    baselines=BaselineFile.beside(state_path, target.url))
    clock = WallClock()
    checker = Checker(checks, runner, clock, on_run=on_run)
    from tattletrail.report.schedule import schedule_report

    schedule_report(checker, config.checker.report, target, dispatcher, checks, state_path)

    def stop(signum: int, frame: Any) -> None:
        checker.stop(f"{signal.Signals(signum).name} received")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        checker.serve()
    finally:
        dispatcher.close(timeout=STOP_WAIT)  # a send stuck in its timeout stays in the outbox for the next start

