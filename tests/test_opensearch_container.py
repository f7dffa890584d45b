"""The OpenSearch store against the real engine: the `opensearchproject/opensearch` image, started
with testcontainers, where a Docker engine answers (skipped elsewhere, with the reason).

osmem (the other test modules) is an OpenSearch-compatible server; this module is the check that
what passes there holds on OpenSearch itself: real `flat_object` and `ip` mappings, the ISM
plugin, a real bulk queue. The store tests that make sense on both engines are imported from
test_opensearch_store.py and run again here on the container (the `opensearch_url` fixture is
overridden below); the rest are about what only the real engine has.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from tattletrail.ingest import ingest
from tattletrail.query import parse_query
from tattletrail.sources.local import local_objects
from tattletrail.searches import load_searches
from tattletrail.stores.duckdb.store import DuckDBStore
from tattletrail.stores.opensearch.store import OpenSearchStore
from tests.cloudtrail_files import CORPORA
from tests.opensearch_helpers import fresh_store, store_url
from tests import test_opensearch_store as on_any_engine

# The version docker-compose.yml runs; override to try another one.
IMAGE = os.environ.get("TATTLETRAIL_TEST_OPENSEARCH_IMAGE", "opensearchproject/opensearch:2.19.1")


def docker_engine_missing() -> str | None:
    """Why no container can be started here, or None if a Docker engine answers."""
    try:
        import docker

        client = docker.from_env(timeout=5)
        client.ping()
        client.close()
    except Exception as error:  # any failure to reach an engine means the same: skip, and say why
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"no Docker engine answers (DOCKER_HOST or /var/run/docker.sock) to run {IMAGE}: {first_line[:120]}"
    return None


_MISSING = docker_engine_missing()
pytestmark = [pytest.mark.docker, pytest.mark.skipif(_MISSING is not None, reason=str(_MISSING))]


@pytest.fixture(scope="module")
def opensearch_url() -> Iterator[str]:
    """One OpenSearch container for this module (the security plugin off, as in docker-compose.yml)."""
    from testcontainers.community.opensearch import OpenSearchContainer

    # As docker-compose.yml: no demo security config (2.12+ would also demand a strong admin password).
    container = (OpenSearchContainer(IMAGE, initial_admin_password="Tattletrail-test-1")
                 .with_env("DISABLE_INSTALL_DEMO_CONFIG", "true")
                 .with_env("OPENSEARCH_JAVA_OPTS", "-Xms512m -Xmx512m"))
    with container:
        config = container.get_config()
        yield f"http://{config['host']}:{config['port']}"


def test_setup_installs_the_ism_policy_with_the_configured_retention_and_doctor_is_happy(opensearch_url: str):
    store = OpenSearchStore(store_url(opensearch_url, "tt-ism") + "&retention_days=30")
    assert store.engine.distribution == "opensearch" and store.engine.payload_type == "flat_object"
    planned = store.setup(dry_run=True)
    assert {step.action for step in planned} == {"create"}, planned  # the real engine has ISM: nothing skipped
    assert [step.action for step in store.setup()] == [step.action for step in planned]
    assert {step.action for step in store.setup()} == {"unchanged"}

    policy = store.client.transport.perform_request("GET", "/_plugins/_ism/policies/tt-ism-events")["policy"]
    (hot, delete) = policy["states"]
    assert hot["transitions"][0]["conditions"]["min_index_age"] == "30d"
    assert delete["actions"][0].keys() >= {"delete"}
    assert policy["ism_template"][0]["index_patterns"] == ["tt-ism-events-*"]
    assert all(check.ok for check in store.doctor()), store.doctor()

    longer = OpenSearchStore(store_url(opensearch_url, "tt-ism") + "&retention_days=90")
    changed = {step.name: step.action for step in longer.setup()}
    assert changed["ism policy tt-ism-events"] == "update"  # retention is changed by running setup again
    assert {action for name, action in changed.items() if name != "ism policy tt-ism-events"} == {"unchanged"}


def test_every_saved_search_counts_like_duckdb(opensearch_url: str, tmp_path: Path):
    store = fresh_store(opensearch_url, "saved")
    embedded = DuckDBStore(tmp_path / "events.duckdb")
    for target in (store, embedded):
        ingest(local_objects(CORPORA), target)
    runnable = [search for search in load_searches().values() if not search.params]
    assert runnable
    for search in runnable:
        query = parse_query(search.query)
        assert store.count(query, by="eventName").as_dict() == embedded.count(query, by="eventName").as_dict(), \
            search.name


# The store's behaviour, run again on the real engine -----------------------------------------------

def test_shared_corpora_land_once_and_answer_like_duckdb(opensearch_url: str, tmp_path: Path):
    on_any_engine.test_shared_corpora_land_once_and_answer_like_duckdb(opensearch_url, tmp_path)


def test_search_pages_past_one_request(opensearch_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    on_any_engine.test_search_pages_past_one_request(opensearch_url, tmp_path, monkeypatch)


def test_reingesting_changed_files_stores_no_duplicates_across_months(opensearch_url: str, tmp_path: Path):
    on_any_engine.test_reingesting_changed_files_stores_no_duplicates_across_months(opensearch_url, tmp_path)


def test_payloads_of_every_shape_land_and_read_back_exactly(opensearch_url: str, tmp_path: Path):
    on_any_engine.test_payloads_of_every_shape_land_and_read_back_exactly(opensearch_url, tmp_path)


def test_events_indices_map_payloads_as_flat_object_and_addresses_with_an_ip_sub_field(opensearch_url: str,
                                                                                       tmp_path: Path):
    on_any_engine.test_events_indices_map_payloads_as_flat_object_and_addresses_with_an_ip_sub_field(
        opensearch_url, tmp_path)


def test_a_document_the_cluster_refuses_is_quarantined_whole_and_the_rest_lands(opensearch_url: str,
                                                                                 tmp_path: Path):
    on_any_engine.test_a_document_the_cluster_refuses_is_quarantined_whole_and_the_rest_lands(opensearch_url, tmp_path)
