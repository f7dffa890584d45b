"""`tattletrail policy generate|unused`: least-privilege IAM policies from what was really called."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import typer

from tattletrail.cli.output import errors, option_json, option_store, print_json, store_from
from tattletrail.policy import (SIZE_LIMITS, NothingToGrant, condition_kinds, gather_evidence,
                                generate_policy)
from tattletrail.policy.conditions import CONDITION_KINDS, UnknownCondition
from tattletrail.policy.render import FORMATS, print_evidence, render_policy
from tattletrail.policy.unused import PolicyFileError, iam_policies, read_policy_file, unused_actions
from tattletrail.timespec import parse_instant

policy_app = typer.Typer(help="Least-privilege IAM policies from the calls an actor really made.",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")


def option_actor() -> Any:
    return typer.Option(..., "--actor", help="A role name (every session of it), a role ARN, or a user name.")


def _window(since: str, until: Optional[str]) -> tuple[datetime, datetime]:
    now = datetime.now(timezone.utc)
    window = (parse_instant(since, now, None), parse_instant(until, now, None) if until else now.replace(tzinfo=None))
    if window[0] >= window[1]:
        raise typer.BadParameter(f"the window is empty: --since {since} is not before --until {until or 'now'}")
    return window


@policy_app.command("generate")
def generate_command(
    actor: str = option_actor(),
    since: str = typer.Option("30d", "--since", help="Start of the window: 30d (ago), 24h, ISO 8601."),
    until: Optional[str] = typer.Option(None, "--until", help="End of the window (default: now)."),
    account: Optional[str] = typer.Option(None, "--account", help="Only calls made in this account."),
    region: Optional[str] = typer.Option(None, "--region", help="Only calls made in this region."),
    resources: bool = typer.Option(False, "--resources", help="Narrow Resource to the ARNs touched where the "
                                   "action supports resource-level permissions."),
    conditions: Optional[str] = typer.Option(None, "--conditions", help="Comma-separated: "
                                             f"{', '.join(CONDITION_KINDS)}."),
    include_denied: bool = typer.Option(False, "--include-denied", help="Also grant what was refused."),
    output_format: str = typer.Option("json", "--format", help=f"{' | '.join(FORMATS)}."),
    limit: str = typer.Option("managed", "--limit", help="The IAM size limit to stay under: "
                              + ", ".join(f"{name} ({size:,})" for name, size in SIZE_LIMITS.items()) + "."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the policy here instead of stdout."),
    as_json: bool = typer.Option(False, "--json", help="Print policies, evidence and notes as one JSON object."),
    store: Optional[str] = option_store(),
) -> None:
    """The policy that allows what ACTOR called in the window and nothing more: the policy on
    stdout, the evidence (calls per action, first/last seen, example eventIDs), denied and left-out
    calls and every deliberate choice on stderr."""
    if output_format not in FORMATS:
        raise typer.BadParameter(f"{output_format!r}: use one of {', '.join(FORMATS)}", param_hint="--format")
    if limit not in SIZE_LIMITS:
        raise typer.BadParameter(f"{limit!r}: use one of {', '.join(SIZE_LIMITS)}", param_hint="--limit")
    try:
        kinds = condition_kinds([name.strip() for name in conditions.split(",") if name.strip()] if conditions else [])
    except UnknownCondition as error:
        raise typer.BadParameter(str(error), param_hint="--conditions") from None
    evidence = gather_evidence(store_from(store), actor, *_window(since, until), account, region, kinds, resources)
    try:
        policy = generate_policy(evidence, resources, kinds, include_denied, limit)
    except NothingToGrant as error:
        print_evidence(evidence, None, errors)
        errors.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(1) from None
    if as_json:
        print_json({"policies": policy.documents, "sizes": policy.sizes(), "limit": SIZE_LIMITS[limit],
                    "notes": policy.notes, **evidence.as_dict()})
        return
    text = render_policy(policy, output_format, actor)
    if out is not None:
        out.write_text(text, encoding="utf-8")
        errors.print(f"wrote {out} ({output_format}, {len(policy.documents)} policy document(s))", highlight=False)
    else:
        typer.echo(text, nl=False)
    print_evidence(evidence, policy, errors)


@policy_app.command("unused")
def unused_command(
    actor: str = option_actor(),
    policy_file: Optional[Path] = typer.Option(None, "--policy", help="A policy document (JSON) to compare."),
    from_iam: bool = typer.Option(False, "--from-iam", help="Read the role's (or user's) attached and inline "
                                  "policies from IAM (boto3's usual credentials)."),
    since: str = typer.Option("30d", "--since", help="Start of the window."),
    until: Optional[str] = typer.Option(None, "--until", help="End of the window (default: now)."),
    account: Optional[str] = typer.Option(None, "--account", help="Only calls made in this account."),
    profile: Optional[str] = typer.Option(None, "--profile", help="AWS profile for --from-iam."),
    endpoint_url: Optional[str] = typer.Option(None, "--endpoint-url", help="IAM endpoint (for tests or proxies)."),
    list_all: bool = typer.Option(False, "--all", help="List every unused action (default: 8 per service)."),
    as_json: bool = option_json(), store: Optional[str] = option_store(),
) -> None:
    """The actions the policies grant that ACTOR never used in the window, per service."""
    if (policy_file is None) == (not from_iam):
        raise typer.BadParameter("give exactly one of --policy FILE or --from-iam")
    if policy_file is not None:
        try:
            documents, sources = read_policy_file(policy_file), [str(policy_file)]
        except PolicyFileError as error:
            raise typer.BadParameter(str(error), param_hint="--policy") from None
    else:
        import boto3

        session = boto3.Session(profile_name=profile)
        documents, sources = iam_policies(actor, session.client("iam", endpoint_url=endpoint_url))
    evidence = gather_evidence(store_from(store), actor, *_window(since, until), account, with_resources=False)
    result = unused_actions(documents, evidence, sources)
    if as_json:
        print_json({"actor": actor, **result.as_dict()})
        return
    typer.echo(f"{actor}: {len(result.granted):,} actions granted by {len(sources)} "
               f"{'policy' if len(sources) == 1 else 'policies'}, "
               f"{len(result.used)} used, {len(result.unused):,} never used in the window")
    for service, granted, unused in result.by_service():
        shown = unused if list_all or len(unused) <= 8 else [*unused[:8], f"… {len(unused) - 8} more (--all)"]
        typer.echo(f"  {service}: {len(unused)} of {granted} never used: {', '.join(shown)}" if unused
                   else f"  {service}: all {granted} used")
    if result.used_not_granted:
        typer.echo("used but not granted by these policies (allowed by another policy or a resource policy): "
                   + ", ".join(result.used_not_granted))
