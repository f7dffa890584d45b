"""The dashboard's charts as classic `visualization` saved objects (visState JSON).

Only aggregation-based types that OpenSearch Dashboards 2.x, Kibana 7.10 and Kibana 8 all still
import and render: `histogram` (vertical bars), `horizontal_bar`, `pie` and `table`. Region and
coordinate maps, TSVB, Timeline and Vega are left out: maps are gone from Kibana 8, and the others
keep their query outside the searchSourceJSON that the tests check against our parser.

The params are the full defaults each editor saves, not a minimal subset: every version's
migrations were written against objects the editor saved, and some of them read these keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tattletrail.event import THREAT_LEVELS

# Threat level colours, calm to loud, for the legend (uiStateJSON) and Discover (color format).
LEVEL_COLORS = dict(zip(THREAT_LEVELS, ("#6092C0", "#54B399", "#D6BF57", "#E7664C", "#BD271E")))


@dataclass(frozen=True)
class Chart:
    """One visualization: its title, the query that narrows its events, and its visState."""

    title: str
    description: str
    vis_type: str
    aggs: list[dict[str, Any]]
    params: dict[str, Any]
    query: str = ""
    ui_state: dict[str, Any] = field(default_factory=dict)

    def vis_state(self) -> dict[str, Any]:
        return {"title": self.title, "type": self.vis_type, "aggs": self.aggs, "params": self.params}

    def queries(self) -> list[str]:
        """Every Lucene query the chart holds: its own and those of its `filters` buckets."""
        inputs = [item["input"]["query"] for agg in self.aggs if agg["type"] == "filters"
                  for item in agg["params"]["filters"]]
        return [self.query, *inputs]

    def fields(self) -> list[str]:
        """The fields its aggregations read."""
        return [agg["params"]["field"] for agg in self.aggs if "field" in agg["params"]]


def charts(denied_query: str) -> list[Chart]:
    """The charts, in dashboard order. `denied_query` is the denied-calls saved search's query,
    so "denied" means the same here as on the command line."""
    return [
        Chart("Tattletrail: events over time by threat level",
              "Every event, stacked by the threat level the rules gave it (none: no rule matched).",
              "histogram", [_count(), _date_histogram("2"), _terms("3", "threat_level", 6, "group", missing="none")],
              _vertical_bars("stacked"), ui_state={"vis": {"colors": LEVEL_COLORS}}),
        Chart("Tattletrail: high and critical events",
              "Which rules fired at high or critical level, and who triggered them.",
              "table", [_count(), _terms("2", "threat_rules", 20, "bucket"), _terms("3", "actor", 5, "bucket")],
              _table(), query="threat_level:(high OR critical)"),
        Chart("Tattletrail: top actors", "Who did the most, and how many different actions.",
              "table", [_count(), _cardinality("2", "eventName"), _terms("3", "actor", 20, "bucket")], _table()),
        Chart("Tattletrail: top event names", "The most frequent API calls.",
              "horizontal_bar", [_count(), _terms("2", "eventName", 20, "segment")], _horizontal_bars()),
        Chart("Tattletrail: errors and denied calls over time",
              "Calls refused for lack of permission (the denied-calls saved search) and other failed calls.",
              "histogram", [_count(), _date_histogram("2"),
                            _filters("3", {"denied": denied_query,
                                           "other errors": f"outcome:failure AND NOT ({denied_query})"})],
              _vertical_bars("stacked"), query="outcome:failure",
              ui_state={"vis": {"colors": {"denied": "#BD271E", "other errors": "#D6BF57"}}}),
        Chart("Tattletrail: errors by code and actor", "Which errors, for whom.",
              "table", [_count(), _terms("2", "errorCode", 20, "bucket"), _terms("3", "actor", 5, "bucket")],
              _table(), query="outcome:failure"),
        Chart("Tattletrail: regions", "Events by AWS region: a region nobody uses is worth a look.",
              "pie", [_count(), _terms("2", "awsRegion", 20, "segment")], _donut()),
    ]


def _count() -> dict[str, Any]:
    return {"id": "1", "enabled": True, "type": "count", "schema": "metric", "params": {}}


def _cardinality(agg_id: str, field_name: str) -> dict[str, Any]:
    return {"id": agg_id, "enabled": True, "type": "cardinality", "schema": "metric",
            "params": {"field": field_name, "customLabel": f"distinct {field_name}"}}


def _date_histogram(agg_id: str) -> dict[str, Any]:
    return {"id": agg_id, "enabled": True, "type": "date_histogram", "schema": "segment",
            "params": {"field": "event_time", "interval": "auto", "drop_partials": False, "min_doc_count": 1,
                       "extended_bounds": {}}}


def _terms(agg_id: str, field_name: str, size: int, schema: str, missing: str | None = None) -> dict[str, Any]:
    return {"id": agg_id, "enabled": True, "type": "terms", "schema": schema,
            "params": {"field": field_name, "orderBy": "1", "order": "desc", "size": size,
                       "otherBucket": False, "otherBucketLabel": "Other",
                       "missingBucket": missing is not None, "missingBucketLabel": missing or "Missing"}}


def _filters(agg_id: str, named_queries: dict[str, str]) -> dict[str, Any]:
    return {"id": agg_id, "enabled": True, "type": "filters", "schema": "group",
            "params": {"filters": [{"input": {"query": query, "language": "lucene"}, "label": label}
                                   for label, query in named_queries.items()]}}


def _axes(category_position: str, value_position: str, value_name: str) -> dict[str, Any]:
    horizontal = category_position == "left"
    return {
        "categoryAxes": [{"id": "CategoryAxis-1", "type": "category", "position": category_position, "show": True,
                          "style": {}, "scale": {"type": "linear"},
                          "labels": {"show": True, "rotate": 0, "filter": not horizontal,
                                     "truncate": 200 if horizontal else 100}, "title": {}}],
        "valueAxes": [{"id": "ValueAxis-1", "name": value_name, "type": "value", "position": value_position,
                       "show": True, "style": {}, "scale": {"type": "linear", "mode": "normal"},
                       "labels": {"show": True, "rotate": 75 if horizontal else 0, "filter": horizontal,
                                  "truncate": 100}, "title": {"text": "Count"}}],
    }


def _bars(category_position: str, value_position: str, value_name: str, mode: str) -> dict[str, Any]:
    return {
        "type": "histogram", "grid": {"categoryLines": False},
        **_axes(category_position, value_position, value_name),
        "seriesParams": [{"show": True, "type": "histogram", "mode": mode, "data": {"label": "Count", "id": "1"},
                          "valueAxis": "ValueAxis-1", "drawLinesBetweenPoints": True, "lineWidth": 2,
                          "showCircles": True}],
        "addTooltip": True, "addLegend": True, "legendPosition": "right", "times": [], "addTimeMarker": False,
        "labels": {"show": False},
        "thresholdLine": {"show": False, "value": 10, "width": 1, "style": "full", "color": "#E7664C"},
    }


def _vertical_bars(mode: str) -> dict[str, Any]:
    return _bars("bottom", "left", "LeftAxis-1", mode)


def _horizontal_bars() -> dict[str, Any]:
    return _bars("left", "bottom", "BottomAxis-1", "normal")


def _donut() -> dict[str, Any]:
    return {"type": "pie", "addTooltip": True, "addLegend": True, "legendPosition": "right", "isDonut": True,
            "labels": {"show": False, "values": True, "last_level": True, "truncate": 100}}


def _table() -> dict[str, Any]:
    return {"perPage": 10, "showPartialRows": False, "showMetricsAtAllLevels": False,
            "sort": {"columnIndex": None, "direction": None}, "showTotal": False, "totalFunc": "sum",
            "percentageCol": ""}
