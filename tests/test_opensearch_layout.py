"""Events indices written before the `_id` became eventID@eventTime: `ingest` refuses to double
their events and says what to run, `doctor` and `setup` name them, and `setup --migrate` gives
every event its identity in place, after which the same files ingest as duplicates only."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from tattletrail.cli import app
from tattletrail.event import normalize
from tattletrail.ingest import ingest
from tattletrail.query.tree import All
from tattletrail.sources.local import local_objects
from tattletrail.stores.base import StoreUnavailable
from tattletrail.stores.duckdb.store import DuckDBStore
from tattletrail.stores.opensearch.store import OpenSearchStore
from tattletrail.stores.opensearch.documents import document_id, index_name, indexed_document
from tattletrail.stores.opensearch.layout import LAYOUT, LAYOUT_KEY
from tattletrail.stores.opensearch.setup import EVENTS_TEMPLATE
from tests.cloudtrail_files import corpus_records, write_log_file
from tests.opensearch_helpers import store_url

RECORDS = corpus_records("otrf-ec2-proxy-s3-exfiltration.jsonl")[:40]


def write_as_before_layout_2(store: OpenSearchStore, records: list[dict[str, Any]], source: str) -> set[str]:
    """What tattletrail wrote before layout 2: an index with the mapping of the time (no layout mark,
    no misfits fields) and each event under its eventID alone. The indices it made."""
    template = json.loads(EVENTS_TEMPLATE.read_text())["template"]
    mappings = copy.deepcopy(template["mappings"])
    del mappings["_meta"], mappings["properties"]["misfits"], mappings["properties"]["misfit_paths"]
    lines, indices = [], set()
    for record in records:
        event = normalize(record, source)
        index = index_name(store.settings.prefix, store.settings.period, event.event_time)
        if index not in indices:
            store.client.indices.create(index=index, body={"settings": template["settings"], "mappings": mappings})
            indices.add(index)
        lines += [orjson.dumps({"create": {"_index": index, "_id": event.event_id}}),
                  orjson.dumps(indexed_document(event, None))]
    answer = store.client.bulk(body=b"\n".join(lines) + b"\n", refresh=True)
    assert not answer["errors"]
    return indices


@pytest.fixture()
def old_store(opensearch_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[OpenSearchStore, Path]:
    store = OpenSearchStore(store_url(opensearch_url, f"tt-old-{request.node.name[-20:].lower().strip('_')}"))
    logs = tmp_path / "logs"
    write_log_file(logs / "exfiltration.json.gz", RECORDS)
    write_as_before_layout_2(store, RECORDS, str(logs / "exfiltration.json.gz"))
    store.setup()  # the upgrade installs today's templates; the old index stays as it was
    return store, logs


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_ingest_into_an_index_with_old_ids_refuses_and_says_to_migrate(old_store: tuple[OpenSearchStore, Path]):
    store, logs = old_store
    with pytest.raises(StoreUnavailable, match=r"stored under their eventID alone.*setup --migrate --store"):
        ingest(local_objects(logs), store)
    assert store.stats().events == len(RECORDS)  # nothing written twice
    result = subprocess.run([sys.executable, "-m", "tattletrail", "ingest", str(logs), "--store", store.url],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert f"tattletrail setup --migrate --store {store.url}" in result.stderr


def test_doctor_and_setup_name_the_old_index_and_what_to_run(old_store: tuple[OpenSearchStore, Path]):
    store, _ = old_store
    (failed,) = [check for check in store.doctor() if not check.ok]
    assert failed.name.startswith(f"events index {store.settings.prefix}-events-")
    assert failed.fix == f"run `tattletrail setup --migrate --store {store.url}`"
    result = invoke("setup", "--store", store.url, "--json")
    steps = {step["name"]: step for step in json.loads(result.stdout)["steps"]}
    assert steps[failed.name]["action"] == "needs migration"
    assert "run setup --migrate" in steps[failed.name]["detail"]


def test_setup_migrate_rewrites_ids_in_place_and_the_same_files_are_duplicates(old_store: tuple[OpenSearchStore, Path],
                                                                              tmp_path: Path):
    store, logs = old_store
    # One event was also stored by the new version under its identity: two copies of one event.
    event = normalize(RECORDS[0], str(logs / "exfiltration.json.gz"))
    store.client.index(index=index_name(store.settings.prefix, "month", event.event_time), id=document_id(event),
                       body=indexed_document(event, None), refresh=True)
    distinct = len({(record["eventID"], record["eventTime"]) for record in RECORDS})
    assert store.stats().events == len(RECORDS) + 1

    result = invoke("setup", "--migrate", "--store", store.url, "--json")
    assert result.exit_code == 0, result.output
    (step,) = [step for step in json.loads(result.stdout)["steps"] if step["action"] == "migrate"]
    assert step["detail"] == f"{distinct - 1} events given their eventID@eventTime _id, 1 duplicate copies removed"
    assert all(check.ok for check in store.doctor()), store.doctor()
    (mapping,) = store.client.indices.get_mapping(index=store.events_pattern).values()
    assert mapping["mappings"]["_meta"][LAYOUT_KEY] == LAYOUT
    assert mapping["mappings"]["properties"]["misfits"]["type"] == "flat_object"
    hits = store.client.search(index=store.events_pattern, body={"size": 100})["hits"]["hits"]
    assert sorted(hit["_id"] for hit in hits) == sorted(f"{hit['_source']['event_id']}@{hit['_source']['event_time']}"
                                                         for hit in hits)

    again = ingest(local_objects(logs), store)
    assert (again.ingested, again.duplicates) == (0, len(RECORDS))
    embedded = DuckDBStore(tmp_path / "events.duckdb")
    ingest(local_objects(logs), embedded)
    assert store.stats().events == embedded.stats().events == distinct
    assert [document["event_id"] for document in store.search(All(), limit=None)] == \
        [document["event_id"] for document in embedded.search(All(), limit=None)]
    assert invoke("setup", "--migrate", "--store", store.url).exit_code == 0  # again: nothing left to do
    assert "migrate" not in {step.action for step in store.setup(migrate=True)}
