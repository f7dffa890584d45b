"""The same query selects the same events on DuckDB, in Python and on OpenSearch.

Events: every corpus record plus tests/query_events.EXTRA_RECORDS, ingested through the real
`ingest` into a DuckDBStore; the very documents it stores are indexed into osmem-server (over
HTTP, opensearch-py, index from mappings/cloudtrail-template.json) and given to the Python
predicate. Queries: a hand-written table of every construct, then ones hypothesis generates from
the fields and values the events really hold.

DuckDB answers each query four ways, which must all agree: the store as ingested (the shipped fast
fields in columns), one where every field the events hold is a fast field filled at ingest, the
same events without any fast column (a store made before them: queries read the JSON), and that
one after `setup` filled every fast column from the JSON.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tattletrail.query import parse_query, predicate
from tattletrail.query.fields import TEMPLATE
from tattletrail.query.opensearch import to_opensearch
from tattletrail.query.python import walk_leaves
from tattletrail.query.tree import All
from tattletrail.stores.duckdb.store import DuckDBStore
from tattletrail.stores.duckdb.fast import problem_with
from tattletrail.stores.duckdb.search import DERIVED_FIELDS
from tests.query_events import build_store

INDEX = "tattletrail-events-differential"


class Backends:
    def __init__(self, stores: dict[str, DuckDBStore], documents: list[dict[str, Any]], client: Any) -> None:
        self.stores, self.documents, self.client = stores, documents, client
        self.store = stores["ingested"]

    def duckdb(self, query: str) -> set[str]:
        """The matches, after asserting every DuckDB layout found the same ones."""
        found = {name: {document["event_id"] for document in store.search(parse_query(query), limit=None)}
                 for name, store in self.stores.items()}
        for name, ids in found.items():
            assert ids == found["ingested"], (f"DuckDB ({name}) differs from DuckDB (ingested) on {query!r}: "
                                              f"extra {ids - found['ingested']}, lacks {found['ingested'] - ids}")
        return found["ingested"]

    def python(self, query: str, documents: list[dict[str, Any]] | None = None) -> set[str]:
        test = predicate(parse_query(query))
        return {document["event_id"] for document in documents or self.documents if test(document)}

    def opensearch(self, query: str) -> set[str]:
        body = {"query": to_opensearch(parse_query(query)), "size": 10_000, "_source": False}
        return {hit["_id"] for hit in self.client.search(index=INDEX, body=body)["hits"]["hits"]}

    def agree(self, query: str) -> set[str]:
        """The matching ids, after asserting all three backends found exactly the same ones."""
        reference = self.python(query)
        duckdb, opensearch = self.duckdb(query), self.opensearch(query)
        assert duckdb == reference, f"DuckDB differs on {query!r}: extra {duckdb - reference}, lacks {reference - duckdb}"
        assert opensearch == reference, (f"OpenSearch differs on {query!r}: extra {opensearch - reference}, "
                                         f"lacks {reference - opensearch}")
        return reference


@pytest.fixture(scope="module")
def backends(tmp_path_factory: pytest.TempPathFactory, opensearch_url: str) -> Iterator[Backends]:
    from opensearchpy import OpenSearch, helpers

    store = build_store(tmp_path_factory.mktemp("differential"))
    documents = store.search(All(), limit=None)
    stores = {"ingested": store, **other_layouts(tmp_path_factory, store, documents)}
    client = OpenSearch(hosts=[opensearch_url])
    client.indices.put_index_template(name="tattletrail-events", body=json.loads(Path(TEMPLATE).read_text()))
    client.indices.create(index=INDEX)
    indexed, errors = helpers.bulk(client, ({"_index": INDEX, "_id": document["event_id"], "_source": document}
                                            for document in documents), raise_on_error=False, refresh=True)
    assert not errors and indexed == len(documents) == 424
    yield Backends(stores, documents, client)
    client.indices.delete(index=INDEX)


def other_layouts(tmp_path_factory: pytest.TempPathFactory, store: DuckDBStore,
                  documents: list[dict[str, Any]]) -> dict[str, DuckDBStore]:
    """The same events with every field fast (filled at ingest), with no fast column, and with
    every field fast filled by `setup` from the JSON."""
    every: list[str] = []
    for path in sorted({path for document in documents for path, _ in walk_leaves(document)}):
        if path.split(".")[0] not in DERIVED_FIELDS and problem_with(path, every) is None:
            every.append(path)
    assert len(every) > 100
    everything = build_store(tmp_path_factory.mktemp("everything-fast"), fast_fields=every)
    plain_path = tmp_path_factory.mktemp("no-fast-columns") / "events.duckdb"
    shutil.copy(store.path, plain_path)
    with duckdb.connect(str(plain_path)) as connection:
        for column in store.fast_columns.values():
            connection.execute(f"ALTER TABLE events DROP COLUMN {column}")
    plain = DuckDBStore(plain_path)
    assert not plain.fast_columns
    filled_path = tmp_path_factory.mktemp("filled-by-setup") / "events.duckdb"
    shutil.copy(plain_path, filled_path)
    filled = DuckDBStore(filled_path)
    filled.setup(fast_fields=every)
    assert set(every) <= set(filled.fast_columns) == set(everything.fast_columns)
    return {"every field fast": everything, "no fast column": plain, "filled by setup": filled}


# query, the events it must select: a number, or the exact ids (None: just agree).
HAND_WRITTEN: list[tuple[str, int | set[str] | None]] = [
    # terms on columns and on the record
    ("eventName:ConsoleLogin", {"extra-root-login", "extra-bob-login-failed"}),
    ("eventName:consolelogin", 0),  # keywords are case-sensitive
    ('eventName:"ConsoleLogin"', 2),
    ("eventSource:s3.amazonaws.com", None),
    ("awsRegion:us-east-1", None),
    ("userIdentity.type:Root", {"extra-root-login", "extra-stop-logging", "extra-iam-user"}),
    ("userIdentity.type:AssumedRole", None),
    ("userIdentity.userName:pedro", 87),
    ("userIdentity.accessKeyId:AKIAEXAMPLEBOB", None),
    ("userIdentity.sessionContext.sessionIssuer.userName:NetworkAdmin", None),
    ("userIdentity.sessionContext.attributes.mfaAuthenticated:true", None),
    ("userIdentity.invokedBy:ec2.amazonaws.com", None),
    ("eventType:AwsServiceEvent", {"extra-service-event"}),
    ("recipientAccountId:111122223333", 14),
    ("errorCode:AccessDenied", {"extra-denied"}),
    ("errorMessage:\"Access Denied\"", {"extra-denied"}),
    ("userAgent:\"aws-cli/2.15.0 Python/3.11.6 Linux/6.1\"", None),
    ("eventID:extra-route", {"extra-route"}),
    ("requestID:req-extra-route", {"extra-route"}),
    # derived fields
    ("actor:root", {"extra-root-login", "extra-stop-logging", "extra-iam-user"}),
    ("actor:NetworkAdmin/alice", None),
    ("actor:pedro", 87),
    ("account:111122223333", None),
    ("outcome:failure", None),
    ("outcome:success AND eventSource:signin.amazonaws.com", 2),  # a failed login has no errorCode
    ("resource:sg-0123456789abcdef0", 3),
    ("resource:rtb-0abc", {"extra-route"}),
    ("missing:awsRegion", None),
    ("missing:eventVersion AND NOT missing:awsRegion", None),
    ("_exists_:missing", None),
    ("event_id:extra-denied", {"extra-denied"}),
    # wildcards
    ("eventName:Describe*", None),
    ("eventName:*Bucket*", None),
    ("eventName:Get?bject", None),
    ("eventName:List*s", None),
    ("actor:*alice", None),
    ("userIdentity.arn:arn\\:aws\\:iam\\:\\:123456789123\\:user/*", None),
    ("errorCode:*Unauthorized*", {"extra-unauthorized"}),
    ("requestParameters.bucketName:finance-*", {"extra-denied", "extra-bucket-policy"}),
    ("requestParameters.key:*summary.pdf", {"extra-denied"}),
    ("requestParameters.description:Größe*", {"extra-odd-values"}),
    ("requestParameters.description:*\\*\\?", {"extra-odd-values"}),
    ("requestParameters.description:*more*", {"extra-odd-values"}),
    ('eventName:"Get*"', 0),  # a phrase is literal
    ("eventName:*", None),
    # wildcards compiled to starts_with / suffix / contains / LIKE (with ESCAPE only for % _ \\)
    ("eventName:Get?bject*", None),
    ("eventName:*Objec?", None),
    ("eventName:Put*Policy", None),
    ("errorCode:*NotAuthorized*", None),
    ("requestParameters.label:50%*", {"extra-odd-values"}),
    ("requestParameters.label:*_off*", {"extra-odd-values"}),
    ("requestParameters.label:5?%_off*", {"extra-odd-values"}),
    ("requestParameters.label:*\\\\sale", {"extra-odd-values"}),
    ("requestParameters.label:50_*", 0),  # `_` is a literal, not LIKE's any-character
    ("requestParameters.label:*%", 0),  # `%` is a literal, not LIKE's anything
    ("requestParameters.label:50%_off\\\\sale", {"extra-odd-values"}),
    ("requestParameters.label:*%_*", {"extra-odd-values"}),
    ("resources.type:AWS\\:\\:SSM\\:\\:Parameter", None),
    ("resources.type:AWS\\:\\:KMS*", None),
    # phrases and escapes
    ('requestParameters.key:"2024/q1 summary.pdf"', {"extra-denied"}),
    ('requestParameters.name:"/app/db: \\"password\\""', {"extra-odd-values"}),
    ("requestParameters.name:\\/app\\/db\\:\\ \\\"password\\\"", {"extra-odd-values"}),
    ('errorMessage:"You are not authorized to perform this operation."', {"extra-unauthorized"}),
    # payloads (flat_object), arrays, nesting
    ('requestParameters.ipPermissions.items.ipRanges.items.cidrIp:"0.0.0.0/0"', {"extra-ingress-world"}),
    ('requestParameters.ipPermissions.items.ipv6Ranges.items.cidrIpv6:"::/0"', {"extra-ingress-world6"}),
    ('requestParameters.ipPermissions.items.ipRanges.items.cidrIp:"10.0.0.0/16"', {"extra-ingress-world"}),
    ("requestParameters.ipPermissions.items.fromPort:22", 3),
    ("requestParameters.instancesSet.items.instanceId:i-044b1baf4c96e1b62", 8),
    ("requestParameters.instancesSet.items.minCount:1", {"extra-unauthorized"}),
    ("requestParameters.tags:nested", {"extra-odd-values"}),
    ("requestParameters.tags:flat", {"extra-odd-values"}),
    ("requestParameters.overwrite:true", {"extra-odd-values"}),
    ("requestParameters.version:12.5", {"extra-odd-values"}),
    ("requestParameters.bucketPolicy.Statement.Action:s3\\:GetObject", {"extra-bucket-policy"}),
    ('requestParameters.bucketPolicy.Statement.Principal:"*"', {"extra-bucket-policy"}),
    ("requestParameters:finance-reports", {"extra-denied", "extra-bucket-policy"}),
    ("requestParameters:microsoft-devtest", None),
    ("requestParameters:22", 3),
    ("requestParameters:fin*", {"extra-denied", "extra-bucket-policy"}),
    ("responseElements.ConsoleLogin:Success", {"extra-root-login"}),
    ("responseElements.accessKey.accessKeyId:AKIANEWKEY", {"extra-iam-user"}),
    ("additionalEventData.MFAUsed:No", {"extra-root-login"}),
    ("additionalEventData.bytesTransferredIn:*", None),
    ("serviceEventDetails.source.account:444455556666", {"extra-service-event"}),
    ("resources.type:AWS\\:\\:KMS\\:\\:Key", {"extra-odd-values"}),
    ("resources.ARN:arn\\:aws\\:ssm*", {"extra-odd-values"}),
    ("resources.accountId:111122223333", {"extra-odd-values"}),
    # existence
    ("_exists_:errorCode", None),
    ("NOT _exists_:errorCode", None),
    ("_exists_:awsRegion", None),
    ("_exists_:requestParameters", None),
    ("_exists_:responseElements", None),
    ("_exists_:additionalEventData", None),
    ("_exists_:userIdentity", None),
    ("_exists_:userIdentity.sessionContext", None),
    ("_exists_:userIdentity.sessionContext.sessionIssuer.userName", None),
    ("_exists_:requestParameters.bucketName", None),
    ("_exists_:requestParameters.bucketPolicy", 0),  # inside a payload only leaves exist
    ("_exists_:requestParameters.bucketPolicy.Version", {"extra-bucket-policy"}),
    ("_exists_:resources", None),
    ("_exists_:readOnly", None),
    ("_exists_:eventTime", 424),
    ("_exists_:tlsDetails", 0),
    ("_exists_:nonexistentField", 0),
    ("errorCode:*", None),
    # booleans, dates, IPs
    ("readOnly:true", None),
    ("readOnly:false", None),
    ("NOT readOnly:true", None),
    ("managementEvent:true", None),
    ("eventTime:[2024-05-01 TO 2024-05-02]", None),
    ("eventTime:[2024-05-01T10:00:00Z TO 2024-05-01T10:10:00Z}", {"extra-ingress-world", "extra-ingress-world6"}),
    ("eventTime:{2024-05-01T10:00:00Z TO 2024-05-01T10:10:00Z]", {"extra-ingress-world6", "extra-ingress-private"}),
    ("eventTime:>=2024-05-03", None),
    ("eventTime:<2020-09-14T00:45:00Z", None),
    ("eventTime:>2022-01-01 AND eventTime:<2023-01-01", None),
    ("eventTime:2024-05-03T05:00:00.123Z", {"extra-odd-values"}),
    ('eventTime:"2024-05-02T08:00:00+00:00"', {"extra-root-login"}),
    ("event_time:[2024-05-02T00:00:00Z TO *]", None),
    ("eventTime:[* TO *]", 424),
    ('sourceIPAddress:"10.0.0.0/8"', {"extra-ingress-private", "extra-unauthorized", "extra-odd-values"}),
    ('sourceIPAddress:"203.0.113.0/24"', None),
    ('sourceIPAddress:"2001:db8::/32"', {"extra-denied"}),
    ('sourceIPAddress:"::/0"', None),
    ('sourceIPAddress:"0.0.0.0/0"', None),
    ("sourceIPAddress:1.2.3.4", 98),
    ("sourceIPAddress:ec2.amazonaws.com", None),
    ("sourceIPAddress:*.amazonaws.com", None),
    ("sourceIPAddress:203.0.113.*", None),
    ("sourceIPAddress:[1 TO 2]", None),
    ("NOT sourceIPAddress:\"0.0.0.0/0\"", None),
    # ranges on keywords (string order)
    ("eventName:[A TO C]", None),
    ("eventName:{AuthorizeSecurityGroupIngress TO CreateRoute]", None),
    ("awsRegion:>=us", None),
    ("requestParameters.maxResults:[1 TO 5]", None),
    # boolean logic
    ("eventName:ConsoleLogin AND userIdentity.type:Root", {"extra-root-login"}),
    ("eventName:ConsoleLogin OR eventName:StopLogging", 3),
    ("eventName:(ConsoleLogin OR StopLogging OR CreateRoute)", 4),
    ("eventName:(ConsoleLogin StopLogging)", 3),  # implicit OR
    ("eventName:ConsoleLogin userIdentity.type:Root", None),  # implicit OR
    ("+eventName:ConsoleLogin +userIdentity.type:Root", {"extra-root-login"}),
    ("+eventName:ConsoleLogin userIdentity.type:Root", 2),  # optional clause beside a required one
    ("+eventName:ConsoleLogin -userIdentity.type:Root", {"extra-bob-login-failed"}),
    ("eventName:ConsoleLogin -userIdentity.type:Root", {"extra-bob-login-failed"}),
    ("-eventName:ListObjects", None),
    ("NOT eventName:ListObjects", None),
    ("eventName:ConsoleLogin NOT userIdentity.type:Root", {"extra-bob-login-failed"}),
    ("eventName:ConsoleLogin AND NOT (userIdentity.type:Root OR errorMessage:*)", 0),
    ("eventName:ConsoleLogin OR NOT _exists_:awsRegion", None),  # NOT is negation inside OR
    ("(eventSource:s3.amazonaws.com AND outcome:failure) OR (eventSource:ec2.amazonaws.com AND outcome:failure)", None),
    ("NOT (NOT eventName:CreateRoute)", {"extra-route"}),
    ("userIdentity.type:(Root OR AssumedRole) AND NOT eventName:ConsoleLogin", None),
    ("eventSource:ec2.amazonaws.com AND eventName:(AuthorizeSecurityGroupIngress OR CreateRoute) AND "
     "NOT requestParameters.ipPermissions.items.ipRanges.items.cidrIp:\"10.0.0.0/8\"", None),
    ("*", 424),
    ("*:*", 424),
    # bare terms: any field
    ("pedro", 87),
    ("ConsoleLogin", None),
    ("AccessDenied", {"extra-denied"}),
    ("success", None),
    ("failure", None),
    ("ANONYMOUS_PRINCIPAL", None),
    ("finance-reports", {"extra-denied", "extra-bucket-policy"}),
    ("pedr*", None),
    ("*Denied", None),
    ("Access*", None),
    ('"Access Denied"', {"extra-denied"}),
    ("true", None),
    ("tr*", None),
    ("false", None),
    ("12.5", {"extra-odd-values"}),
    ("22", None),
    ("1.2.3.4", 98),
    ("10.0.0.0/8", None),  # a CIDR also matches IP fields
    ("2600\\:1f18\\:abcd\\:\\:5", {"extra-ingress-world6"}),
    ("2024-05-02T08:00:00Z", {"extra-root-login"}),
    ("awsRegion", None),  # missing lists field names
    ("eventName", 0),  # keys are not values
    ("pedro AND ListObjects", None),
    ("pedro -DescribeInstances", None),
    ("nosuchvalueanywhere", 0),
    # fields named `_…` are metadata to OpenSearch's all-field search: a bare term skips them
    ("_honeybucket_repeated_attempts:4", None),
    ('"2020-02-11T03:35:42.025640+00:00"', 0),
    ('_honeybucket_alarm_time:"2020-02-11T03:35:42.025640+00:00"', 1),
    # the threat fields the rule pack stores at ingest (docs/rules.md)
    ("threat_rules:cloudtrail-stopped", {"extra-stop-logging"}),
    ("threat_level:critical", None),
    ("threat_level:info AND NOT _exists_:threat_rules", None),
    ("threat_score:4", None),
    ("threat_score:[3 TO 4]", None),
    ("threat_score:{0 TO 3]", None),
    ("threat_score:>=1 AND NOT threat_level:(high OR critical)", None),
    ("_exists_:threat_score", 424),
    ("annotations:*0.0.0.0\\/0*", None),
    ("threat_rules:*world*", None),
    ("critical", None),  # a bare term reads threat_level, threat_rules and annotations too
    ("4", None),  # and threat_score, as a whole number
    ("root", None),
]


@pytest.mark.parametrize("query, expected", HAND_WRITTEN, ids=[query for query, _ in HAND_WRITTEN])
def test_backends_agree_on_hand_written_query(backends: Backends, query: str, expected: Any) -> None:
    found = backends.agree(query)
    if isinstance(expected, int):
        assert len(found) == expected
    elif isinstance(expected, set):
        assert found == expected


# Generated queries ---------------------------------------------------------------------------------

SKIPPED_FIELDS = ("eventTime", "event_time", "ingest_time", "readOnly", "managementEvent", "threat_score")


def _field_values(backends: Backends) -> list[tuple[str, str]]:
    """(field, value) pairs the events really hold, for generated queries to hit something."""
    from tattletrail.query.python import leaf_text

    pairs: set[tuple[str, str]] = set()
    for document in backends.documents:
        for path, value in walk_leaves(document):
            text = leaf_text(value)
            if path not in SKIPPED_FIELDS and 0 < len(text) < 80:
                pairs.add((path, text))
    return sorted(pairs)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _escape(value: str) -> str:
    return "".join("\\" + char if char in '+-=&|><!(){}[]^"~*?:\\/ ' else char for char in value)


@st.composite
def clauses(draw: st.DrawFn, pairs: list[tuple[str, str]]) -> str:
    field, value = draw(st.sampled_from(pairs))
    form = draw(st.sampled_from(["term", "phrase", "prefix", "suffix", "one", "exists", "range", "bare", "cidr"]))
    if form == "phrase" or (form == "term" and not value.strip()):
        return f"{field}:{_quote(value)}"
    if form == "term":
        return f"{field}:{_escape(value)}"
    if form == "prefix":
        return f"{field}:{_escape(value[: max(1, len(value) // 2)])}*"
    if form == "suffix":
        return f"{field}:*{_escape(value[len(value) // 2:])}"
    if form == "one":
        cut = draw(st.integers(0, len(value) - 1))
        return f"{field}:{_escape(value[:cut])}?{_escape(value[cut + 1:])}"
    if form == "exists":
        return f"_exists_:{field}"
    if form == "range":
        other = draw(st.sampled_from(pairs))[1]
        low, high = sorted([value, other])
        brackets = draw(st.sampled_from(["[]", "{}", "[}", "{]"]))
        return f"{field}:{brackets[0]}{_quote(low)} TO {_quote(high)}{brackets[1]}"
    if form == "cidr":
        prefix = draw(st.sampled_from(["0.0.0.0/0", "1.0.0.0/8", "10.0.0.0/8", "198.51.100.0/24", "::/0",
                                       "2001:db8::/32", "2600::/12", "177.0.0.0/8"]))
        return f'sourceIPAddress:"{prefix}"'
    return _quote(value) if draw(st.booleans()) else f"{_escape(value[:max(1, len(value) // 2)])}*"


@st.composite
def queries(draw: st.DrawFn, pairs: list[tuple[str, str]], depth: int = 2) -> str:
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(clauses(pairs))
    operator = draw(st.sampled_from([" AND ", " OR ", " ", " AND NOT ", " OR NOT "]))
    left, right = draw(queries(pairs, depth - 1)), draw(queries(pairs, depth - 1))
    prefix = draw(st.sampled_from(["", "NOT ", "-", "+"])) if operator == " " else ""
    return f"({prefix}{left}{operator}{right})"


@pytest.fixture(scope="module")
def field_values(backends: Backends) -> list[tuple[str, str]]:
    return _field_values(backends)


@settings(max_examples=250, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_backends_agree_on_generated_queries(backends: Backends, field_values: list[tuple[str, str]],
                                             data: st.DataObject) -> None:
    backends.agree(data.draw(queries(field_values)))



# The saved search pack: each finds what its description promises, the same on every backend.
SAVED: list[tuple[str, dict[str, str], int | set[str] | None]] = [
    ("actor-activity", {"actor": "NetworkAdmin/alice"},
     {"extra-ingress-world", "extra-ingress-world6", "extra-route", "extra-kms-delete"}),
    ("route-changes", {}, {"extra-route"}),
    ("security-group-changes", {}, {"extra-ingress-world", "extra-ingress-world6", "extra-ingress-private"}),
    ("ingress-open-to-world", {}, {"extra-ingress-world", "extra-ingress-world6"}),
    ("console-logins", {}, {"extra-root-login", "extra-bob-login-failed"}),
    ("console-logins-without-mfa", {}, {"extra-root-login"}),
    ("root-activity", {}, {"extra-root-login", "extra-stop-logging", "extra-iam-user"}),
    ("denied-calls", {}, {"extra-denied", "extra-unauthorized"}),
    ("failed-calls", {}, None),
    ("iam-changes", {}, {"extra-iam-user"}),
    ("cloudtrail-changes", {}, {"extra-stop-logging"}),
    ("kms-key-disable-delete", {}, {"extra-kms-delete"}),
    ("s3-bucket-policy-acl-changes", {}, {"extra-bucket-policy"}),
    ("region-activity", {"region": "us-east-1"}, None),
    ("access-key-activity", {"key": "AKIAEXAMPLEBOB"}, None),
]


def test_every_saved_search_is_in_the_table() -> None:
    from tattletrail.searches import load_searches

    assert sorted(load_searches()) == sorted(name for name, _, _ in SAVED)


@pytest.mark.parametrize("name, arguments, expected", SAVED, ids=[name for name, _, _ in SAVED])
def test_saved_search_finds_what_it_promises_on_every_backend(backends: Backends, name: str,
                                                              arguments: dict[str, str], expected: Any) -> None:
    from tattletrail.searches import find_search

    found = backends.agree(find_search(name).render(arguments))
    assert found, f"{name} found nothing"
    if isinstance(expected, set):
        # Exactly the designed events among the extras; the public corpora may add real matches.
        assert {event_id for event_id in found if event_id.startswith("extra-")} == expected
