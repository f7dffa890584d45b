"""The lean read path gives exactly what the per-document path gave: `gather_evidence` (the store's
`group_events`, grouped by the few fields the policy reads) against the one-by-one fold of every
whole document `search` returns, on the embedded store and on OpenSearch, for every actor of the
shared corpora, the generator's roles, the build agent, and a role whose records have odd shapes.
Same evidence (down to the order of its dicts), same policies, same notes."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest

from tattletrail.event import normalize
from tattletrail.generate.trail import generate_trail
from tattletrail.ingest import ingest
from tattletrail.policy import NothingToGrant, actor_query, condition_kinds, gather_evidence, generate_policy
from tattletrail.policy.evidence import ActionUsage, Evidence, gather, policy_fields
from tattletrail.sources.local import local_objects
from tattletrail.stores.base import Batch, EventGroup
from tattletrail.stores.grouping import group_documents
from tests.cloudtrail_files import corpus_records
from tests.opensearch_helpers import STORE_KINDS, new_store
from tests.policy_events import START, build_agent_records, call, identity, run_instances

ODD = "odd-agent"
ALL_KINDS = condition_kinds(["region", "source-ip", "instance-type", "volume-type"])
# (name, --resources, --conditions): the three ways the fields read differ.
OPTIONS = [("star", False, []), ("resources-and-every-condition", True, ALL_KINDS),
           ("star-and-parameter-conditions", False, condition_kinds(["instance-type", "volume-type"]))]


def odd_records() -> list[dict[str, Any]]:
    """Calls of one role whose records bend the usual shape: what a lean read could get wrong."""
    who = identity(ODD, "s1")

    def odd(n: int, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return call(n, *args, who=kwargs.pop("who", who), **kwargs)

    records = [
        odd(1, "ssm", "GetParameter", "not an object"),  # requestParameters a string
        odd(2, "ssm", "GetParameter", None),
        odd(3, "ec2", "DescribeInstances", {"instancesSet": {"items": [{"instanceId": "i-0aaaaaaaaaaaaaaa1"}]},
                                            "maxResults": 5, "dryRun": False}),
        odd(4, "ec2", "DescribeInstances", {"instancesSet": {"items": [{"instanceId": "i-0aaaaaaaaaaaaaaa1"}]},
                                            "maxResults": 5, "dryRun": False}),
        odd(5, "ec2", "RunInstances", {"instanceType": "t3.nano", "iamInstanceProfile": {}, "subnetId": "subnet-1"}),
        odd(6, "ec2", "CreateVolume", {"volumeType": "gp3", "size": 8.5, "tagSpecificationSet": {"items": []}}),
        odd(7, "s3", "GetObject", {"bucketName": "bücket-ünïcode", "key": "a/b\"c"},
            resources=[{"type": "AWS::S3::Object", "arn": "arn:aws:s3:::bücket-ünïcode/a/b\"c"}]),
        odd(8, "s3", "ListObjects", {"bucketName": "bücket-ünïcode"}, error="AccessDenied"),
        odd(9, "ec2", "DescribeRegions", {}, error=403),  # an errorCode that isn't text: not a denial
        odd(10, "sts", "GetCallerIdentity", {}),
        odd(11, "kms", "Decrypt", {"keyId": "alias/x"}, who={**who, "invokedBy": "lambda.amazonaws.com"}),
        odd(12, "lambda", "UpdateFunctionConfiguration20150331v2", {"functionName": "f", "role": "arn:aws:iam::"
                                                                    "111122223333:role/r"}),
        odd(13, "lambda", "UpdateFunctionConfiguration20150331v2", {"functionName": "f", "timeout": 3}),
        odd(14, "ec2", "DescribeInstances", {"filterSet": {}}, region=None),
        odd(15, "logs", "CreateLogStream", {"logGroupName": "/g", "logStreamName": "s"}, vpcEndpointId="vpce-1"),
        odd(16, "ec2", "DescribeSubnets", {}, ip="ec2.amazonaws.com"),
        run_instances(17, "t3.micro", "i-0bbbbbbbbbbbbbbb2") | {"userIdentity": who},
    ]
    # Times to the microsecond, two in one millisecond; one eventID at two times; one without a time.
    for n, moment in ((3, "2026-11-20T09:30:00.123456Z"), (4, "2026-11-20T09:30:00.123999Z"),
                      (5, "2026-11-20T09:30:00.500Z")):
        records[n - 1]["eventTime"] = moment
    records.append({**records[3], "eventTime": "2026-11-20T10:00:00Z"})
    records.append({**odd(18, "ec2", "DescribeVpcs", {}), "eventTime": "not a time"})
    records.append({**odd(19, "ec2", "DescribeVpcs", {}), "eventName": 7})  # a name that isn't text
    return records


@pytest.fixture(scope="module")
def generated_trail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("policy-differential")
    generate_trail(base / "trail", days=1, seed=11, accounts=2, events_per_day=2_500,
                   end=datetime(2026, 11, 23, 10, 40))
    return base / "trail"


@pytest.fixture(scope="module", params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          generated_trail: Path) -> Iterator[Any]:
    store = new_store(request, tmp_path_factory.mktemp("policy-differential"), "policy-differential")
    records = corpus_records() + build_agent_records() + odd_records()
    store.write(Batch(events=[normalize(record, source="s3://trail/test.json") for record in records]))
    ingest(local_objects(generated_trail), store)
    yield store
    store.close()


def actors_of(store: Any) -> list[str]:
    """Every actor in the store, a role by its name (all its sessions)."""
    return sorted({actor.split("/")[0] for actor, _ in store.stats(top=1_000).by_actor if actor != "(none)"})


def usage_facts(usage: ActionUsage) -> dict[str, Any]:
    return {"calls": usage.calls, "first": usage.first_seen, "last": usage.last_seen,
            "examples": usage.example_event_ids, "names": list(usage.event_names.items()),
            "sources": sorted(usage.event_sources), "resources": sorted(usage.resources),
            "without_resource": usage.calls_without_resource, "places": sorted(usage.places),
            "values": {key: sorted(values) for key, values in sorted(usage.condition_values.items())},
            "without_value": sorted(usage.calls_without_value.items())}


def facts(evidence: Evidence, narrow: bool, kinds: list[Any]) -> dict[str, Any]:
    """Everything the evidence holds and everything printed from it, dicts in their order."""
    found: dict[str, Any] = {"printed": orjson.dumps(evidence.as_dict()).decode(),
                             "allowed": [(action, usage_facts(u)) for action, u in evidence.allowed.items()],
                             "denied": [(action, usage_facts(u)) for action, u in evidence.denied.items()],
                             "left_out": list(evidence.left_out.items())}
    try:
        policy = generate_policy(evidence, narrow, kinds, include_denied=True)
        found["policy"] = (policy.documents, policy.notes)
    except NothingToGrant as error:
        found["policy"] = str(error)
    return found


@pytest.mark.parametrize("name, narrow, kinds", OPTIONS, ids=[name for name, _, _ in OPTIONS])
def test_grouped_read_gives_the_evidence_and_policy_of_every_document(store: Any, name: str, narrow: bool,
                                                                     kinds: list[Any]) -> None:
    actors = actors_of(store)
    assert {ODD, "build-agent", "terraform-apply", "github-actions-deploy", "pedro"} <= set(actors)
    compared = with_resources = 0
    for actor in actors:
        documents = store.search(actor_query(actor), None, None, limit=None)
        old = facts(gather(actor, documents, kinds, narrow), narrow, kinds)
        new = facts(gather_evidence(store, actor, None, None, kinds=kinds, with_resources=narrow), narrow, kinds)
        assert new == old, actor
        compared += 1
        with_resources += any(usage["resources"] for _, usage in new["allowed"])
    assert compared == len(actors) > 20
    assert with_resources > 5 if narrow else with_resources == 0


def test_the_odd_role_is_seen_whole(store: Any) -> None:
    """Not vacuous: the odd records reach the evidence as the per-document fold reads them."""
    evidence = gather_evidence(store, ODD, None, None, kinds=ALL_KINDS)
    assert evidence.events == 20
    describe = evidence.allowed["ec2:DescribeInstances"]
    assert describe.calls == 4 and describe.last_seen == datetime(2026, 11, 20, 10, 0)
    assert "ec2:DescribeRegions" in evidence.allowed and list(evidence.denied) == ["s3:ListBucket"]
    assert "iam:PassRole" in evidence.allowed  # RunInstances 17 passes a role; RunInstances 5's {} does not
    assert evidence.allowed["lambda:UpdateFunctionConfiguration"].calls == 2


def comparable(groups: list[EventGroup]) -> list[tuple[Any, ...]]:
    """A store's groups as the reference makes them: in any order, times to the millisecond (as
    documents carry them)."""
    def millisecond(moment: datetime | None) -> datetime | None:
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000) if moment else None

    return sorted((orjson.dumps(group.values, option=orjson.OPT_SORT_KEYS), group.events,
                   millisecond(group.first_time), millisecond(group.last_time),
                   [event_id for _, event_id in group.newest]) for group in groups)


@pytest.mark.parametrize("actor", [ODD, "build-agent", "terraform-apply", "pedro"])
def test_group_events_equals_the_reference_grouping_of_search(store: Any, actor: str) -> None:
    fields = policy_fields(ALL_KINDS, True)
    query = actor_query(actor)
    groups = store.group_events(query, None, None, fields, examples=2)
    reference = group_documents(store.search(query, None, None, limit=None), fields, examples=2)
    assert comparable(groups) == comparable(reference)
    assert sum(group.events for group in groups) == len(store.search(query, None, None, limit=None)) > 0
    assert len(groups) < sum(group.events for group in groups) or actor == ODD


def test_group_events_in_a_window_and_by_a_derived_field(store: Any) -> None:
    since, until = START + timedelta(minutes=10), START + timedelta(minutes=30)
    groups = store.group_events(actor_query("build-agent"), since, until, ["account", "eventName"])
    assert sum(group.events for group in groups) == len(store.search(actor_query("build-agent"), since, until)) == 11
    assert {group.values["account"] for group in groups} == {"111122223333"}
    assert all(since <= group.first_time <= group.last_time < until for group in groups)
