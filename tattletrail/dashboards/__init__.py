"""Saved objects for OpenSearch Dashboards and Kibana: export (NDJSON) and import (saved-objects API).

    objects = saved_objects(load_searches([PACK]), FLAVORS["opensearch"])
    import_objects(Target("http://localhost:5601", FLAVORS["opensearch"]), render_ndjson(objects))

docs/dashboards.md says what is exported and how the flavors differ.
"""

from tattletrail.dashboards.export import FLAVORS, Flavor, flavor_named, render_ndjson, saved_objects
from tattletrail.dashboards.importer import DashboardsImportError, ImportResult, Target, import_objects

__all__ = ["FLAVORS", "DashboardsImportError", "Flavor", "ImportResult", "Target", "flavor_named",
           "import_objects", "render_ndjson", "saved_objects"]
