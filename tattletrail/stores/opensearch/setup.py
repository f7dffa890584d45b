"""What an OpenSearch (or Elasticsearch) cluster needs before events go in, installed idempotently.

Everything comes from the files in mappings/: two component templates (settings, mappings) composed
into the events index template, a lifecycle policy (ISM on OpenSearch, ILM on Elasticsearch) and
the ledger and quarantine indices. Each installed body carries a digest of what we meant to
install in its `_meta` (ISM policies have none: in their description), so `setup` compares digests,
not the cluster's normalized echo of a body, and a second run changes nothing.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Callable

from tattletrail.packs import shipped
from tattletrail.stores.base import DoctorCheck, SetupStep
from tattletrail.stores.opensearch.connection import ConnectionSettings, Engine
from tattletrail.stores.opensearch.schema import EVENTS_TEMPLATE, events_index_pattern

MAPPINGS = shipped("mappings")
NO_LIFECYCLE_API = "no handler found"  # what a cluster without the ISM/ILM plugin answers (osmem)


@dataclass
class Resource:
    """One thing to install: its kind picks the API (see _APIS)."""

    kind: str
    name: str
    body: dict[str, Any]

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.body, sort_keys=True).encode()).hexdigest()[:16]

    def label(self) -> str:
        return f"{self.kind} {self.name}"


def desired_resources(settings: ConnectionSettings, engine: Engine) -> list[Resource]:
    prefix = settings.prefix
    template = json.loads(EVENTS_TEMPLATE.read_text())["template"]
    mappings = _payload_type(copy.deepcopy(template["mappings"]), engine.payload_type)
    index_settings = dict(template["settings"])
    if engine.lifecycle == "ilm":
        index_settings["index.lifecycle.name"] = f"{prefix}-events"
    if settings.aws_service == "aoss":  # Serverless manages shards and has no lifecycle API
        index_settings.pop("index.number_of_shards", None)
    resources = [
        Resource("component template", f"{prefix}-events-settings", {"template": {"settings": index_settings}}),
        Resource("component template", f"{prefix}-events-mappings", {"template": {"mappings": mappings}}),
        Resource("index template", f"{prefix}-events", {
            "index_patterns": [events_index_pattern(prefix)], "priority": 100,
            "composed_of": [f"{prefix}-events-settings", f"{prefix}-events-mappings"]}),
    ]
    if settings.aws_service != "aoss":
        policy_file = "ism-policy.json" if engine.lifecycle == "ism" else "ilm-policy.json"
        text = (MAPPINGS / policy_file).read_text().replace("{{prefix}}", prefix)
        text = text.replace("{{retention_days}}", str(settings.retention_days))
        policy = json.loads(text)
        if engine.lifecycle == "ilm" and not engine.ilm_policy_meta:
            del policy["policy"]["_meta"]  # Elasticsearch 7.10-7.13: see _ilm_digest
        resources.append(Resource(f"{engine.lifecycle} policy", f"{prefix}-events", policy))
    for role in ("ledger", "quarantine"):
        resources.append(Resource("index", f"{prefix}-{role}", json.loads((MAPPINGS / f"{role}-index.json").read_text())))
    return resources


def _payload_type(mappings: dict[str, Any], payload_type: str) -> dict[str, Any]:
    for spec in mappings["properties"].values():
        if spec.get("type") == "flat_object":
            spec["type"] = payload_type
    return mappings


def setup(client: Any, resources: list[Resource], dry_run: bool) -> list[SetupStep]:
    steps = []
    for resource in resources:
        api = _APIS[resource.kind]
        found = api.installed_digest(client, resource)
        if found is _UNSUPPORTED:
            steps.append(SetupStep(resource.label(), "skipped", "this cluster has no lifecycle API (ISM/ILM): "
                                   "indices won't expire; delete old ones yourself"))
            continue
        if found == resource.digest:
            steps.append(SetupStep(resource.label(), "unchanged"))
            continue
        action = "create" if found is None else "update"
        if not dry_run:
            api.install(client, resource)
        steps.append(SetupStep(resource.label(), action, "dry run: not done" if dry_run else ""))
    return steps


def resource_checks(client: Any, resources: list[Resource], store_url: str) -> list[DoctorCheck]:
    checks = []
    for resource in resources:
        found = _APIS[resource.kind].installed_digest(client, resource)
        if found is _UNSUPPORTED:
            checks.append(DoctorCheck(resource.label(), True, "no lifecycle API on this cluster: indices never expire",
                                      None))
        elif found is None:
            checks.append(DoctorCheck(resource.label(), False, "missing",
                                      f"run `tattletrail setup --store {store_url}`"))
        elif found != resource.digest:
            checks.append(DoctorCheck(resource.label(), False, "installed by another version of tattletrail",
                                      f"run `tattletrail setup --store {store_url}` to update it"))
        else:
            checks.append(DoctorCheck(resource.label(), True, "installed, current"))
    return checks


# Per-kind APIs --------------------------------------------------------------------------------------

_UNSUPPORTED = object()


@dataclass(frozen=True)
class _Api:
    installed_digest: Callable[[Any, Resource], Any]  # the digest found, None if absent, or _UNSUPPORTED
    install: Callable[[Any, Resource], None]


def _with_meta(resource: Resource) -> dict[str, Any]:
    body = copy.deepcopy(resource.body)
    body.setdefault("_meta", {})["digest"] = resource.digest
    return body


def _absent_is_none(read: Callable[[], Any]) -> Any:
    from opensearchpy.exceptions import NotFoundError, RequestError

    try:
        return read()
    except NotFoundError as error:
        return _UNSUPPORTED if NO_LIFECYCLE_API in str(error.info) else None
    except RequestError as error:
        if NO_LIFECYCLE_API in str(error.info) or NO_LIFECYCLE_API in str(error.error):
            return _UNSUPPORTED
        raise


def _component_digest(client: Any, resource: Resource) -> Any:
    def read() -> Any:
        found = client.cluster.get_component_template(name=resource.name)["component_templates"]
        return found[0]["component_template"].get("_meta", {}).get("digest") if found else None
    return _absent_is_none(read)


def _index_template_digest(client: Any, resource: Resource) -> Any:
    def read() -> Any:
        found = client.indices.get_index_template(name=resource.name)["index_templates"]
        return found[0]["index_template"].get("_meta", {}).get("digest") if found else None
    return _absent_is_none(read)


def _ism_digest(client: Any, resource: Resource) -> Any:
    def read() -> Any:
        found = client.transport.perform_request("GET", f"/_plugins/_ism/policies/{resource.name}")
        description = found["policy"].get("description", "")
        return description.rsplit("[digest ", 1)[-1].rstrip("]") if "[digest " in description else ""
    return _absent_is_none(read)


def _install_ism(client: Any, resource: Resource) -> None:
    body = copy.deepcopy(resource.body)
    body["policy"]["description"] += f" [digest {resource.digest}]"
    path = f"/_plugins/_ism/policies/{resource.name}"
    current = _absent_is_none(lambda: client.transport.perform_request("GET", path))
    params = {}
    if isinstance(current, dict):  # updating a policy needs the version we are replacing
        params = {"if_seq_no": current["_seq_no"], "if_primary_term": current["_primary_term"]}
    client.transport.perform_request("PUT", path, body=body, params=params)


def _ilm_digest(client: Any, resource: Resource) -> Any:
    def read() -> Any:
        policy = client.transport.perform_request("GET", f"/_ilm/policy/{resource.name}")[resource.name]["policy"]
        if "_meta" in resource.body["policy"]:
            return policy.get("_meta", {}).get("digest")
        # Before 7.14 a policy has no _meta to hold the digest: the retention is all we install that can differ
        wanted = resource.body["policy"]["phases"]["delete"]["min_age"]
        return resource.digest if policy["phases"].get("delete", {}).get("min_age") == wanted else "other retention"
    return _absent_is_none(read)


def _install_ilm(client: Any, resource: Resource) -> None:
    body = copy.deepcopy(resource.body)
    if "_meta" in body["policy"]:
        body["policy"]["_meta"]["digest"] = resource.digest
    client.transport.perform_request("PUT", f"/_ilm/policy/{resource.name}", body=body)


def _index_digest(client: Any, resource: Resource) -> Any:
    def read() -> Any:
        found = client.indices.get_mapping(index=resource.name)
        return next(iter(found.values()))["mappings"].get("_meta", {}).get("digest")
    return _absent_is_none(read)


def _install_index(client: Any, resource: Resource) -> None:
    body = copy.deepcopy(resource.body)
    mappings = body["mappings"]
    mappings["_meta"] = {**body.pop("_meta", {}), "digest": resource.digest}
    if client.indices.exists(index=resource.name):  # mappings only grow: add what is new
        client.indices.put_mapping(index=resource.name, body=mappings)
    else:
        client.indices.create(index=resource.name, body=body)


_APIS: dict[str, _Api] = {
    "component template": _Api(_component_digest, lambda client, resource: client.cluster.put_component_template(
        name=resource.name, body=_with_meta(resource))),
    "index template": _Api(_index_template_digest, lambda client, resource: client.indices.put_index_template(
        name=resource.name, body=_with_meta(resource))),
    "ism policy": _Api(_ism_digest, _install_ism),
    "ilm policy": _Api(_ilm_digest, _install_ilm),
    "index": _Api(_index_digest, _install_index),
}


# Doctor ---------------------------------------------------------------------------------------------

MINIMUM_VERSIONS = {"opensearch": (2, 7), "elasticsearch": (7, 10)}  # flat_object / flattened


def doctor(store: Any) -> list[DoctorCheck]:
    """Connectivity, engine and version, health, installed resources, and read/write permission."""
    from tattletrail.stores.base import StoreUnavailable

    try:
        engine = store.engine
    except StoreUnavailable as error:
        return [DoctorCheck("connect", False, str(error), "check the URL, that the cluster runs, and credentials")]
    checks = [DoctorCheck("connect", True, f"{store.url}: {engine.describe()}"), _version_check(engine)]
    if store.settings.aws_service != "aoss":
        checks.append(_health_check(store.client))
    resources = desired_resources(store.settings, engine)
    checks.extend(resource_checks(store.client, resources, store.url))
    from tattletrail.stores.opensearch.layout import layout_checks
    checks.extend(layout_checks(store.client, store.events_pattern, store.url))
    checks.extend(_permission_checks(store))
    return checks


def _version_check(engine: Engine) -> DoctorCheck:
    minimum = MINIMUM_VERSIONS.get(engine.distribution)
    if minimum is None or engine.version == "serverless":
        return DoctorCheck("version", True, engine.describe())
    try:
        found = tuple(int(part) for part in engine.version.split(".")[:2])
    except ValueError:
        return DoctorCheck("version", True, f"{engine.describe()} (can't compare)")
    needed = ".".join(map(str, minimum))
    if found < minimum:
        return DoctorCheck("version", False, f"{engine.describe()} has no {engine.payload_type} field type",
                           f"upgrade to {engine.distribution} {needed} or later")
    return DoctorCheck("version", True, f"{engine.describe()} (>= {needed}: {engine.payload_type}, {engine.lifecycle})")


def _health_check(client: Any) -> DoctorCheck:
    health = client.cluster.health()
    status = health.get("status")
    if status == "red":
        return DoctorCheck("health", False, "cluster status red: some primary shards are unassigned",
                           "see GET _cluster/allocation/explain; writes to those indices will fail")
    detail = f"cluster status {status}, {health.get('number_of_nodes')} node(s)"
    if status == "yellow":
        detail += " (yellow: replicas unassigned, normal on one node)"
    return DoctorCheck("health", True, detail)


def _permission_checks(store: Any) -> list[DoctorCheck]:
    """Try what ingest and search do: read the events, write (and remove) a ledger document."""
    from opensearchpy.exceptions import TransportError

    checks = []
    try:
        store.client.count(index=store.events_pattern, ignore_unavailable=True, allow_no_indices=True)
        checks.append(DoctorCheck("read permission", True, f"can count {store.events_pattern}"))
    except TransportError as error:
        checks.append(DoctorCheck("read permission", False, f"counting {store.events_pattern}: {error.status_code}",
                                  f"grant the user read on {store.events_pattern}"))
    probe = "tattletrail-doctor-probe"
    if not store.client.indices.exists(index=store.ledger_index):  # writing would create it unmapped
        checks.append(DoctorCheck("write permission", False, f"not tried: {store.ledger_index} doesn't exist",
                                  f"run `tattletrail setup --store {store.url}`"))
        return checks
    try:
        store.client.index(index=store.ledger_index, id=probe, body={
            "source": probe, "etag": "", "events": 0, "ingested_at": "1970-01-01T00:00:00Z"})
        store.client.delete(index=store.ledger_index, id=probe)
        checks.append(DoctorCheck("write permission", True, f"can write and delete in {store.ledger_index}"))
    except TransportError as error:
        fix = (f"run `tattletrail setup --store {store.url}`" if error.status_code == 404 else
               f"grant the user write (index, create_doc, delete) on {store.settings.prefix}-*")
        checks.append(DoctorCheck("write permission", False, f"writing to {store.ledger_index}: "
                                  f"{error.status_code} {error.error}", fix))
    return checks
