"""Saved objects for OpenSearch Dashboards and Kibana, built from the same definitions as the CLI.

One NDJSON file per flavor: the index pattern (a data view in Kibana 8), one saved search per
searches/*.yml, the charts of visualizations.py and the dashboard "Tattletrail — last 24 hours".
Ids are derived from names (`tattletrail-search-route-changes`), so importing again overwrites
instead of adding copies. The output is byte-stable (sorted keys, fixed order): the files under
kibana/ are this module's output, and a test regenerates them to prove it.

The objects are written in the 7.10 shape (`migrationVersion` as 7.10 saved them). OpenSearch
Dashboards is a fork of Kibana 7.10.2 and knows exactly these versions; Kibana 8 runs its own
migrations forward on import. A version newer than the importer knows is refused, so never raise
them past what OpenSearch Dashboards knows.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tattletrail.dashboards.visualizations import LEVEL_COLORS, Chart, charts
from tattletrail.searches import SavedSearch, escape_value

DEFAULT_PREFIX = "tattletrail"
DASHBOARD_TITLE = "Tattletrail — last 24 hours"
# Discover's columns after the time column, which a time-based index pattern always shows first.
SEARCH_COLUMNS = ["actor", "eventName", "resource", "awsRegion", "sourceIPAddress", "errorCode"]
# The newest migration each type had in Kibana 7.10 / OpenSearch Dashboards 2.x.
MIGRATION_VERSIONS = {"index-pattern": "7.6.0", "search": "7.9.3", "visualization": "7.10.0", "dashboard": "7.9.3"}
INDEX_REFERENCE = "kibanaSavedObjectMeta.searchSourceJSON.index"
TIME_FORMAT = {"id": "date", "params": {"pattern": "YYYY-MM-DD HH:mm:ss.SSS"}}
# Kibana 7.11+ shows these names instead of the field names (OpenSearch Dashboards has no fieldAttrs).
FIELD_LABELS = {"event_time": "time", "awsRegion": "region", "sourceIPAddress": "source IP", "errorCode": "error"}
GRID_COLUMNS = 48


@dataclass(frozen=True)
class Flavor:
    """What differs between the products that import these objects."""

    name: str
    product: str
    filename: str
    xsrf_header: str
    field_labels: bool  # Kibana 7.11+: custom field labels in the index pattern's fieldAttrs


FLAVORS = {flavor.name: flavor for flavor in (
    Flavor("opensearch", "OpenSearch Dashboards 2.x", "opensearch-dashboards.ndjson", "osd-xsrf", False),
    Flavor("kibana7", "Kibana 7.10+", "kibana-7.ndjson", "kbn-xsrf", False),
    Flavor("kibana8", "Kibana 8", "kibana-8.ndjson", "kbn-xsrf", True),
)}


def flavor_named(name: str) -> Flavor:
    if name not in FLAVORS:
        raise ValueError(f"unknown flavor {name!r}: use one of {', '.join(FLAVORS)}")
    return FLAVORS[name]


def object_id(prefix: str, kind: str, name: str) -> str:
    """A stable id from a name: `tattletrail-visualization-top-actors`."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return f"{prefix}-{kind}-{slug}"


def index_pattern_id(prefix: str) -> str:
    return f"{prefix}-events"


def saved_objects(searches: dict[str, SavedSearch], flavor: Flavor,
                  prefix: str = DEFAULT_PREFIX) -> list[dict[str, Any]]:
    """Every object, in import order: the index pattern, the searches, the charts, the dashboard."""
    pattern = index_pattern(prefix, flavor)
    found = [search_object(search, prefix) for _, search in sorted(searches.items())]
    visualizations = [visualization_object(chart, prefix) for chart in charts(_denied_query(searches))]
    return [pattern, *found, *visualizations, dashboard_object(visualizations, prefix)]


def render_ndjson(objects: list[dict[str, Any]]) -> str:
    return "".join(_json(item) + "\n" for item in objects)


def exportable_query(search: SavedSearch) -> str:
    """The saved search's query for Dashboards: a parameter with a default gets its default, one
    without gets `*` (any value), so the search lists every event that has the field and the user
    narrows it in the query bar."""
    values = {name: escape_value(param.default) if param.default is not None else "*"
              for name, param in search.params.items()}
    return re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda found: values[found.group(1)], search.query)


def index_pattern(prefix: str, flavor: Flavor) -> dict[str, Any]:
    formats = {"event_time": TIME_FORMAT, "ingest_time": TIME_FORMAT, "threat_level": _level_colors()}
    attributes: dict[str, Any] = {"title": f"{prefix}-events-*", "timeFieldName": "event_time",
                                  "fieldFormatMap": _json(formats)}
    if flavor.field_labels:
        attributes["fieldAttrs"] = _json({name: {"customLabel": label} for name, label in FIELD_LABELS.items()})
    return _saved_object("index-pattern", index_pattern_id(prefix), attributes, [])


def search_object(search: SavedSearch, prefix: str) -> dict[str, Any]:
    description = search.description
    open_params = [name for name, param in search.params.items() if param.default is None]
    if open_params:
        description += "".join(f" Here {name} is * (any value): replace it in the query bar with "
                               f"{search.params[name].description}." for name in open_params)
    attributes = {
        "title": f"Tattletrail: {search.name}", "description": description, "hits": 0, "version": 1,
        "columns": SEARCH_COLUMNS, "sort": [["event_time", "desc"]],
        "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source(exportable_query(search), highlight=True)},
    }
    return _saved_object("search", object_id(prefix, "search", search.name), attributes, [_index_reference(prefix)])


def visualization_object(chart: Chart, prefix: str) -> dict[str, Any]:
    attributes = {
        "title": chart.title, "description": chart.description, "version": 1,
        "visState": _json(chart.vis_state()), "uiStateJSON": _json(chart.ui_state),
        "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source(chart.query)},
    }
    return _saved_object("visualization", object_id(prefix, "visualization", chart.title.removeprefix("Tattletrail: ")),
                         attributes, [_index_reference(prefix)])


def dashboard_object(visualizations: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    """Two panels a row, the first (events by threat level) across the whole width."""
    panels, references, row_y = [], [], 0
    for number, visualization in enumerate(visualizations):
        full_width = number == 0
        width, height = (GRID_COLUMNS, 15) if full_width else (GRID_COLUMNS // 2, 15)
        x = 0 if full_width or number % 2 == 1 else GRID_COLUMNS // 2
        panel_index = str(number + 1)
        panels.append({"version": "7.10.0", "panelIndex": panel_index, "panelRefName": f"panel_{number}",
                       "gridData": {"x": x, "y": row_y, "w": width, "h": height, "i": panel_index},
                       "embeddableConfig": {}})
        references.append({"name": f"panel_{number}", "type": "visualization", "id": visualization["id"]})
        if full_width or x != 0:
            row_y += height
    attributes = {
        "title": DASHBOARD_TITLE, "description": "What happened in the last 24 hours: threat levels, who, what, "
        "errors and denied calls, where.", "hits": 0, "version": 1,
        "timeRestore": True, "timeFrom": "now-24h", "timeTo": "now",
        "refreshInterval": {"pause": True, "value": 0},
        "optionsJSON": _json({"useMargins": True, "hidePanelTitles": False}),
        "panelsJSON": _json(panels),
        "kibanaSavedObjectMeta": {"searchSourceJSON": _json({"query": {"query": "", "language": "lucene"},
                                                             "filter": []})},
    }
    return _saved_object("dashboard", object_id(prefix, "dashboard", "last 24 hours"), attributes, references)


def _denied_query(searches: dict[str, SavedSearch]) -> str:
    if "denied-calls" not in searches:
        raise ValueError("the dashboards need the denied-calls saved search (searches/denied-calls.yml)")
    return searches["denied-calls"].query


def _level_colors() -> dict[str, Any]:
    rules = [{"range": "-Infinity:Infinity", "regex": f"^{level}$", "text": "#FFFFFF", "background": color}
             for level, color in LEVEL_COLORS.items()]
    return {"id": "color", "params": {"fieldType": "string", "colors": rules}}


def _search_source(query: str, highlight: bool = False) -> str:
    source: dict[str, Any] = {"query": {"query": query, "language": "lucene"}, "filter": [],
                              "indexRefName": INDEX_REFERENCE}
    if highlight:
        source.update(highlightAll=True, version=True)
    return _json(source)


def _index_reference(prefix: str) -> dict[str, str]:
    return {"name": INDEX_REFERENCE, "type": "index-pattern", "id": index_pattern_id(prefix)}


def _saved_object(kind: str, identity: str, attributes: dict[str, Any],
                  references: list[dict[str, str]]) -> dict[str, Any]:
    return {"type": kind, "id": identity, "attributes": attributes, "references": references,
            "migrationVersion": {kind: MIGRATION_VERSIONS[kind]}}


def _json(value: Any) -> str:
    """Compact, key-sorted JSON: the same objects give the same bytes on every run."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
