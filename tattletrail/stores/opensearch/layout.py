"""Events indices written by an older tattletrail: found before anything is written, and brought
up to date in place by `setup --migrate`.

Layout 2 (this version) stores an event under `_id` = `eventID@eventTime` (documents.
document_id) and has the `misfits` fields (fit.py). Older indices stored events under
their eventID alone: ingesting the same files into them again would store every event twice (the
new `_id` doesn't meet the old one). An index says its layout in its mapping's `_meta`
(`tattletrail_layout`, from mappings/cloudtrail-template.json); an index without it was created
before layout 2, and its oldest document tells whether its ids are the old ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import orjson

from tattletrail.stores.base import DoctorCheck, SetupStep, StoreUnavailable
from tattletrail.stores.opensearch.bulk import BulkItem, BulkOutcome
from tattletrail.stores.opensearch.documents import id_of_identity
from tattletrail.stores.opensearch.fit import template_properties

LAYOUT = 2
LAYOUT_KEY = "tattletrail_layout"
MIGRATE_PAGE = 2_000  # documents read, rewritten and deleted per round
_MISSING_INDEX_OK = {"ignore_unavailable": True, "allow_no_indices": True}


@dataclass(frozen=True)
class Outdated:
    index: str
    old_ids: bool  # events stored under their eventID alone: re-ingesting would double them

    def describe(self) -> str:
        if self.old_ids:
            return "events stored under their eventID alone (before eventID@eventTime): ingesting again doubles them"
        return "mapping without the misfits fields: a record with a conflicting shape is quarantined"


def outdated_indices(client: Any, pattern: str) -> list[Outdated]:
    """The events indices older than LAYOUT, by name."""
    found = []
    for index, mapping in sorted(client.indices.get_mapping(index=pattern, **_MISSING_INDEX_OK).items()):
        if mapping["mappings"].get("_meta", {}).get(LAYOUT_KEY, 0) >= LAYOUT:
            continue
        found.append(Outdated(index, _has_old_ids(client, index)))
    return found


def identity_of(source: dict[str, Any]) -> str:
    """`document_id` from an indexed document: its event_id and event_time, as written."""
    return id_of_identity(f"{source['event_id']}@{source.get('event_time') or 'undated'}")


def _has_old_ids(client: Any, index: str) -> bool:
    """Whether the oldest document's `_id` is not its identity: the index was written before layout 2."""
    hits = client.search(index=index, body={"size": 1, "sort": ["_doc"], "_source": ["event_id", "event_time"]})
    return any(hit["_id"] != identity_of(hit["_source"]) for hit in hits["hits"]["hits"])


def refusal(outdated: list[Outdated], store_url: str) -> str | None:
    """What `ingest` says, and why it writes nothing, when an index has old ids; else None."""
    old = [found.index for found in outdated if found.old_ids]
    if not old:
        return None
    return (f"{', '.join(old)} {'holds' if len(old) == 1 else 'hold'} events stored under their eventID alone "
            "by an older tattletrail: ingesting would store events already there twice. Run "
            f"`tattletrail setup --migrate --store {store_url}` once to give them their (eventID, eventTime) "
            "identity in place, or ingest into a fresh prefix (`?prefix=...`)")


def layout_checks(client: Any, pattern: str, store_url: str) -> list[DoctorCheck]:
    """`doctor`: each events index of an older layout, and what to run."""
    return [DoctorCheck(f"events index {found.index}", not found.old_ids, found.describe(),
                        f"run `tattletrail setup --{'migrate --' if found.old_ids else ''}store {store_url}`")
            for found in outdated_indices(client, pattern)]


def setup_steps(client: Any, pattern: str, payload_type: str, send: Callable[[list[BulkItem]], BulkOutcome],
                migrate_ids: bool, dry_run: bool) -> list[SetupStep]:
    """One step per events index of an older layout: its mapping updated, its ids migrated (with
    `setup --migrate`), or what to run to migrate them."""
    steps = []
    for found in outdated_indices(client, pattern):
        name = f"events index {found.index}"
        if found.old_ids and not migrate_ids:
            steps.append(SetupStep(name, "needs migration", f"{found.describe()}: run setup --migrate"))
        elif dry_run:
            steps.append(SetupStep(name, "migrate" if found.old_ids else "update", "dry run: not done"))
        elif found.old_ids:
            rewritten, duplicates = migrate(client, found, payload_type, send)
            steps.append(SetupStep(name, "migrate", f"{rewritten:,} events given their eventID@eventTime _id, "
                                                    f"{duplicates:,} duplicate copies removed"))
        else:
            client.indices.put_mapping(index=found.index, body=_layout_mapping(payload_type))
            steps.append(SetupStep(name, "update", "added the misfits fields"))
    return steps


def migrate(client: Any, found: Outdated, payload_type: str, send: Callable[[list[BulkItem]], BulkOutcome],
            page: int = MIGRATE_PAGE) -> tuple[int, int]:
    """Rewrite an index to LAYOUT in place: each old-id document is created again under its identity,
    then the old one deleted (a copy already there answers 409: the old one was a duplicate). Safe to
    run again if stopped. The mapping's layout is set last. (rewritten, duplicates removed)"""
    rewritten = duplicates = 0
    while found.old_ids:
        hits = _old_id_page(client, found.index, page)
        if not hits:
            break
        outcome = send([BulkItem("create", found.index, identity_of(hit["_source"]), orjson.dumps(hit["_source"]))
                        for hit in hits])
        if outcome.rejected:
            item, why = outcome.rejected[0]
            raise StoreUnavailable(f"{found.index}: the cluster refused to rewrite {item.id}: {why}")
        rewritten, duplicates = rewritten + outcome.stored, duplicates + outcome.duplicates
        _delete(client, found.index, [hit["_id"] for hit in hits])
    client.indices.put_mapping(index=found.index, body=_layout_mapping(payload_type))
    client.indices.refresh(index=found.index)
    return rewritten, duplicates


def _old_id_page(client: Any, index: str, page: int) -> list[dict[str, Any]]:
    """Up to `page` documents whose `_id` is not their identity, scrolling the index once."""
    answer = client.search(index=index, body={"size": page, "sort": ["_doc"]}, scroll="2m")
    scroll_id = answer.get("_scroll_id")
    old: list[dict[str, Any]] = []
    try:
        while answer["hits"]["hits"] and len(old) < page:
            old += [hit for hit in answer["hits"]["hits"] if hit["_id"] != identity_of(hit["_source"])]
            answer = client.scroll(scroll_id=scroll_id, scroll="2m")
            scroll_id = answer.get("_scroll_id", scroll_id)
    finally:
        if scroll_id:
            client.clear_scroll(scroll_id=scroll_id)
    return old[:page]


def _delete(client: Any, index: str, ids: list[str]) -> None:
    body = b"".join(orjson.dumps({"delete": {"_index": index, "_id": identity}}) + b"\n" for identity in ids)
    answer = client.bulk(body=body, refresh=True)
    failed = [item["delete"] for item in answer["items"] if item["delete"].get("status", 500) not in (200, 404)]
    if failed:
        raise StoreUnavailable(f"{index}: the cluster refused to delete {failed[0].get('_id')}: {failed[0].get('error')}")


def _layout_mapping(payload_type: str) -> dict[str, Any]:
    """What an index of an older layout lacks: the misfits fields, and the layout mark."""
    properties = template_properties()
    misfits = dict(properties["misfits"], type=payload_type)
    return {"_meta": {LAYOUT_KEY: LAYOUT}, "properties": {"misfits": misfits,
                                                          "misfit_paths": properties["misfit_paths"]}}
