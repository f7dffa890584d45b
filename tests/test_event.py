"""Derived fields: who, which account, what outcome, and an identity for every record."""

from __future__ import annotations

from datetime import datetime

import pytest

from tattletrail.event import normalize
from tests.cloudtrail_files import corpus_records

ASSUMED = {"type": "AssumedRole", "principalId": "AROAEXAMPLE:alice@example.com",
           "arn": "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_1a2b/alice@example.com",
           "accountId": "111122223333",
           "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "AWSReservedSSO_Admin_1a2b"}}}


@pytest.mark.parametrize("identity, actor", [
    ({"type": "IAMUser", "userName": "DOE1", "arn": "arn:aws:iam::111122223333:user/DOE1"}, "DOE1"),
    ({"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/ops/DOE2"}, "DOE2"),
    (ASSUMED, "AWSReservedSSO_Admin_1a2b/alice@example.com"),
    ({"type": "AssumedRole", "principalId": "AROAEXAMPLE:deploy",
      "sessionContext": {"sessionIssuer": {"userName": "ci-deployer"}}}, "ci-deployer/deploy"),
    ({"type": "Root", "arn": "arn:aws:iam::111122223333:root", "principalId": "111122223333"}, "root"),
    ({"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}, "ec2.amazonaws.com"),
    ({"type": "FederatedUser", "arn": "arn:aws:sts::111122223333:federated-user/bob"}, "bob"),
    ({"type": "AWSAccount", "principalId": "AIDAEXAMPLE", "accountId": "444455556666"}, "AIDAEXAMPLE"),
    ({"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"}, "ANONYMOUS_PRINCIPAL"),
    ({}, "unknown"),
])
def test_actor_is_who_a_person_would_name(identity, actor):
    assert normalize({"eventID": "e", "userIdentity": identity, "eventSource": "s3.amazonaws.com"}).actor == actor


def test_aws_service_without_invoked_by_is_the_event_source():
    event = normalize({"eventID": "e", "userIdentity": {"type": "AWSService"}, "eventSource": "kms.amazonaws.com"})
    assert event.actor == "kms.amazonaws.com"


def test_account_prefers_the_identity_then_the_recipient():
    assert normalize({"userIdentity": ASSUMED, "recipientAccountId": "999"}).account == "111122223333"
    assert normalize({"userIdentity": {"type": "AWSService"}, "recipientAccountId": "999"}).account == "999"


def test_outcome_is_failure_when_an_error_code_is_present():
    assert normalize({"eventID": "a", "errorCode": "AccessDenied"}).outcome == "failure"
    assert normalize({"eventID": "b"}).outcome == "success"


def test_event_time_is_utc():
    assert normalize({"eventTime": "2026-11-23T16:42:07Z"}).event_time == datetime(2026, 11, 23, 16, 42, 7)
    assert normalize({"eventTime": "2026-11-23T17:42:07+01:00"}).event_time == datetime(2026, 11, 23, 16, 42, 7)


def test_record_missing_core_fields_gets_a_stable_content_identity_and_is_marked():
    record = {"eventName": "ListObjects", "eventSource": "s3.amazonaws.com", "eventTime": "not a time"}
    first, again = normalize(record), normalize(dict(reversed(list(record.items()))))
    assert first.event_id == again.event_id and first.event_id.startswith("content-")
    assert normalize({**record, "eventName": "GetObject"}).event_id != first.event_id
    assert set(first.missing) == {"eventID", "eventTime", "awsRegion"}
    assert first.event_time is None


def test_resource_names_the_thing_acted_on():
    delete_route = {"eventName": "DeleteRoute",
                    "requestParameters": {"routeTableId": "rtb-0a1b2c3d", "destinationCidrBlock": "0.0.0.0/0"}}
    assert normalize(delete_route).resource == "rtb-0a1b2c3d"
    run = {"requestParameters": {"instancesSet": {"items": [{"instanceId": "i-0abc"}]}}}
    assert normalize(run).resource == "i-0abc"
    kms = {"requestParameters": None, "resources": [{"ARN": "arn:aws:kms:us-east-1:1:key/k", "type": "AWS::KMS::Key"}]}
    assert normalize(kms).resource == "arn:aws:kms:us-east-1:1:key/k"


def test_every_corpus_record_normalizes_and_keeps_its_record_untouched():
    for record in corpus_records():
        snapshot = repr(record)
        event = normalize(record)
        assert event.actor and event.event_id
        assert repr(event.record) == snapshot
