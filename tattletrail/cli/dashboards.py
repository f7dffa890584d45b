"""`tattletrail dashboards export|import`: saved objects for OpenSearch Dashboards and Kibana."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import typer

from tattletrail.cli.output import console, errors, option_json, print_json, table
from tattletrail.dashboards import (FLAVORS, DashboardsImportError, Flavor, ImportResult, Target, flavor_named,
                                    import_objects, render_ndjson, saved_objects)
from tattletrail.dashboards.export import DEFAULT_PREFIX
from tattletrail.searches import load_searches

dashboards_app = typer.Typer(help="Saved objects for OpenSearch Dashboards and Kibana: export, import.",
                             no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(dashboards_app, name="dashboards")


def option_flavor(default: Optional[str]) -> Any:
    return typer.Option(default, "--flavor", help=f"Which product: {', '.join(FLAVORS)}"
                        + ("" if default else " (default: every one, a file each)") + ".")


def option_prefix() -> Any:
    return typer.Option(DEFAULT_PREFIX, "--prefix", help="The store's index prefix (prefix= in the store URL); "
                        "the index pattern is PREFIX-events-*.")


@dashboards_app.command("export")
def export_command(
    out: str = typer.Option("kibana", "--out", help="Folder for the NDJSON files, or - for standard output "
                            "(then give --flavor)."),
    flavor: Optional[str] = option_flavor(None), prefix: str = option_prefix(),
) -> None:
    """Write the saved objects as NDJSON: index pattern, saved searches, visualizations, dashboard."""
    flavors = [_flavor(flavor)] if flavor else list(FLAVORS.values())
    searches = load_searches()
    if out == "-":
        if len(flavors) != 1:
            raise typer.BadParameter("standard output takes one flavor: add --flavor", param_hint="--out")
        sys.stdout.write(render_ndjson(saved_objects(searches, flavors[0], prefix)))
        return
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for chosen in flavors:
        objects = saved_objects(searches, chosen, prefix)
        path = folder / chosen.filename
        path.write_text(render_ndjson(objects), encoding="utf-8")
        console.print(f"{path}: {len(objects)} objects for {chosen.product}", highlight=False)


@dashboards_app.command("import")
def import_command(
    url: str = typer.Option(..., "--url", help="Dashboards or Kibana, e.g. http://localhost:5601 "
                            "(with its base path, if it has one)."),
    flavor: str = option_flavor("opensearch"), prefix: str = option_prefix(),
    file: Optional[Path] = typer.Option(None, "--file", help="Import this NDJSON file instead of the objects "
                                        "built from the saved searches here.", exists=True, dir_okay=False),
    space: Optional[str] = typer.Option(None, "--space", help="A Kibana space (default: the default space)."),
    user: Optional[str] = typer.Option(None, "--user", envvar="TATTLETRAIL_DASHBOARDS_USER",
                                       help="Basic auth user (default: $TATTLETRAIL_DASHBOARDS_USER)."),
    password: Optional[str] = typer.Option(None, "--password", envvar="TATTLETRAIL_DASHBOARDS_PASSWORD",
                                           help="Basic auth password; prefer $TATTLETRAIL_DASHBOARDS_PASSWORD "
                                           "to keep it out of the process list.", show_default=False),
    wait: float = typer.Option(120.0, "--wait", help="Seconds to keep retrying while Dashboards starts "
                               "(connection refused, 5xx)."),
    ca_certs: Optional[Path] = typer.Option(None, "--ca-certs", exists=True, dir_okay=False,
                                            help="PEM file of a private CA to trust (default: $REQUESTS_CA_BUNDLE, "
                                            "else the system's). Proxies: $HTTPS_PROXY, $NO_PROXY."),
    as_json: bool = option_json(),
) -> None:
    """Import the saved objects through the saved-objects API (overwriting earlier imports).
    Exits 1 if any object was refused."""
    chosen = _flavor(flavor)
    ndjson = file.read_text(encoding="utf-8") if file else render_ndjson(saved_objects(load_searches(), chosen, prefix))
    target = Target(url, chosen, space=space, user=user, password=password,
                    ca_certs=str(ca_certs) if ca_certs else None)
    try:
        result = import_objects(target, ndjson, wait=wait)
    except DashboardsImportError as error:
        errors.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        print_json({"url": url, "flavor": chosen.name, **result.as_dict()})
    else:
        _print_summary(result, target)
    if not result.success or result.refused:
        raise typer.Exit(1)


def _print_summary(result: ImportResult, target: Target) -> None:
    console.print(f"{target.host()} ({target.flavor.product}): {result.success_count} object(s) imported"
                  f"{f' after {result.attempts} attempts' if result.attempts > 1 else ''}", highlight=False)
    if result.refused:
        console.print(table(f"{len(result.refused)} refused", ["type", "id", "title", "reason"],
                            [(item.type, item.id, item.title, item.reason) for item in result.refused]))


def _flavor(name: str) -> Flavor:
    try:
        return flavor_named(name)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--flavor") from None
