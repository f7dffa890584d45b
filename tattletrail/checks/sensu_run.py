"""One run of `tattletrail check es-query-count`: where to count, counting, and the verdict.

Without --store but with -h the documents are on the cluster the Sensu check queried
(sensu_cluster.py); otherwise on one of our stores, through the Store protocol, where the
connection flags don't apply and each one written is reported as such (never silently reread).
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from tattletrail.checks.evaluate import Window
from tattletrail.checks.explore import explore
from tattletrail.checks.model import Check
from tattletrail.checks.sensu import (PluginResult, PluginWindow, check_fields, count_on_store, not_found_verdict,
                                      plugin_window, store_tree, verdict)
from tattletrail.checks.sensu_flags import PluginOptions
from tattletrail.checks.sensu_cluster import IndexNotFound, count_on_cluster, kibana_link
from tattletrail.query.fields import closest_fields, mapped_kinds
from tattletrail.query.tree import Node, fields_of
from tattletrail.stores import Store

NO_WINDOW = ("no --minutes-previous (or --hours/--days/--weeks/--months-previous): like the plugin, no query is "
             "sent and every document is counted; -q is not used")


def run(options: PluginOptions, now: datetime, open_store: Callable[[str | None], Store]) -> PluginResult:
    """Count as the plugin would and judge the count; exceptions are the caller's UNKNOWN.
    `open_store` opens --store (None: the default store)."""
    window = plugin_window(options, now)
    notes = [] if window is not None else [NO_WINDOW]
    if options.store is None and options.written("host"):
        result = _on_cluster(options, window, now)
    else:
        store = open_store(options.store)
        try:
            notes += not_applicable(options, store.url)
            with store.reading():
                count = count_on_store(options, store, window)
                notes += unseen_fields(store_tree(options, window), store)
            link = _dashboards_link(options, store, window)
            if options.kibana_url is not None and link is None:
                notes.append(f"--kibana-url: no Dashboards in front of {store.url}; no link")
            result = verdict(options, count, link)
        finally:
            store.close()
    result.notes = notes + _cluster_notes(options) + result.notes
    return result


def _on_cluster(options: PluginOptions, window: PluginWindow | None, now: datetime) -> PluginResult:
    end = window.end if window is not None else now.replace(microsecond=0)
    try:
        count = count_on_cluster(options, window, end)
    except IndexNotFound as error:
        return not_found_verdict(options, str(error))
    return verdict(options, count, kibana_link(options, now))


def not_applicable(options: PluginOptions, store_url: str) -> list[str]:
    """What a run on one of our stores leaves out, said once on stderr."""
    flags = options.connection_flags()
    if not flags:
        return []
    hint = "" if options.written("host") or options.store else \
        "; to query an Elasticsearch/OpenSearch as the plugin did, give -h HOST"
    return [f"not applicable to the store {store_url}: {', '.join(flags)} (the events are counted in the store)"
            f"{hint}"]


def unseen_fields(tree: Node, store: Store) -> list[str]:
    """A field the store has never seen matches nothing, so a check on it would say OK forever:
    say so. Fields of the mapping are known without asking the store."""
    named = [name for name, _ in fields_of(tree) if name not in mapped_kinds()]
    if not named:
        return []
    known = store.field_names() | set(mapped_kinds())
    notes = []
    for name in dict.fromkeys(named):
        if name not in known:
            close = closest_fields(name, known)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            notes.append(f"field {name!r} was never seen in the store{hint}: it matches nothing")
    return notes


def _cluster_notes(options: PluginOptions) -> list[str]:
    if options.store is not None or not options.written("host") or not options.written("types"):
        return []
    return [f"--types {options.types}: mapping types are gone from OpenSearch and Elasticsearch 8 (deprecated in 7); "
            "not used: every document in the indices is counted"]


def _dashboards_link(options: PluginOptions, store: Store, window: PluginWindow | None) -> str | None:
    """On our OpenSearch store, --kibana-url is where its Dashboards are: a Discover link for the
    counted events (the plugin's Kibana 4 link names its own indices, not ours)."""
    if options.kibana_url is None or window is None:
        return None
    check = Check(name="es-query-count", **check_fields(options))
    counted = Window(window.start, window.end)
    url, _ = explore(store, options.kibana_url, check, counted, ())
    return url
