"""The generated trail: real CloudTrail files, reproducible, every incident exactly once, ingestible."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest

from tattletrail.generate import INCIDENT_KINDS, GenerateResult, generate_trail
from tattletrail.generate.incidents import route_moment
from tattletrail.ingest import ingest
from tattletrail.sources.local import local_objects
from tattletrail.stores.duckdb.store import DuckDBStore

END = datetime(2026, 11, 23, 17, 0, tzinfo=timezone.utc)
LOG_NAME = re.compile(r"AWSLogs/o-[a-z0-9]{10}/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/"
                      r"(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz")
DIGEST_NAME = re.compile(r"AWSLogs/o-[a-z0-9]{10}/(\d{12})/CloudTrail-Digest/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/"
                         r"(\d{12})_CloudTrail-Digest_([a-z0-9-]+)_org-trail_us-east-1_(\d{8}T\d{6}Z)\.json\.gz")


class Trail:
    """A generated trail read back: every log file's records and every digest, by S3 key."""

    def __init__(self, root: Path, result: GenerateResult) -> None:
        self.root = root
        self.result = result
        self.logs: dict[str, list[dict[str, Any]]] = {}
        self.bodies: dict[str, bytes] = {}
        self.digests: dict[str, dict[str, Any]] = {}
        for path in sorted(root.rglob("*.json.gz")):
            key = path.relative_to(root).as_posix()
            body = gzip.decompress(path.read_bytes())
            if "/CloudTrail-Digest/" in key:
                self.digests[key] = orjson.loads(body)
            else:
                self.bodies[key] = body
                document = orjson.loads(body)
                assert list(document) == ["Records"], key
                self.logs[key] = document["Records"]
        self.records = [record for records in self.logs.values() for record in records]

    def where(self, **fields: Any) -> list[dict[str, Any]]:
        return [record for record in self.records if all(record.get(k) == v for k, v in fields.items())]


@pytest.fixture(scope="module")
def trail(tmp_path_factory: pytest.TempPathFactory) -> Trail:
    root = tmp_path_factory.mktemp("trail")
    result = generate_trail(root, days=1, seed=7, accounts=3, events_per_day=8_000, end=END)
    return Trail(root, result)


def _tree(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_same_seed_end_and_options_give_byte_identical_files(tmp_path: Path):
    options = dict(days=1, seed=3, accounts=1, events_per_day=1_500, end=END)
    first = generate_trail(tmp_path / "a", **options)
    second = generate_trail(tmp_path / "b", **options)
    other_seed = generate_trail(tmp_path / "c", **{**options, "seed": 4})
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert first.as_dict() | {"outdir": "", "seconds": 0, "events_per_second": 0} == \
        second.as_dict() | {"outdir": "", "seconds": 0, "events_per_second": 0}
    assert set(_tree(tmp_path / "c")) != set(_tree(tmp_path / "a"))
    assert other_seed.incidents[0].eventID != first.incidents[0].eventID


def test_log_files_are_laid_out_and_named_as_an_organization_trail_delivers_them(trail: Trail):
    assert len(trail.logs) == trail.result.files and len(trail.digests) == trail.result.digest_files
    for key, records in trail.logs.items():
        match = LOG_NAME.fullmatch(key)
        assert match, key
        account, region, year, month, day, name_account, name_region, stamp = match.groups()
        assert account == name_account and region == name_region
        delivered = datetime.strptime(stamp, "%Y%m%dT%H%MZ")
        assert (year, month, day) == (f"{delivered:%Y}", f"{delivered:%m}", f"{delivered:%d}")
        assert {record["recipientAccountId"] for record in records} == {account}
        assert {record["awsRegion"] for record in records} == {region}
        oldest = datetime.strptime(records[0]["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
        newest = datetime.strptime(records[-1]["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
        # one file covers at most five minutes and is delivered a few minutes after its last event
        assert newest - oldest < timedelta(minutes=5)
        assert timedelta(0) <= delivered - newest.replace(second=0) <= timedelta(minutes=10)


def test_every_log_file_holds_records_in_time_order_within_the_trail(trail: Trail):
    first, last = "2026-11-22T17:00:00Z", "2026-11-23T17:00:00Z"
    for key, records in trail.logs.items():
        times = [record["eventTime"] for record in records]
        assert records and times == sorted(times), key
        assert first <= times[0] and times[-1] < last
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", time) for time in times)
    assert len(trail.records) == trail.result.events
    assert len({record["eventID"] for record in trail.records}) == len(trail.records)


def test_each_incident_is_reported_once_and_found_once_in_the_files(trail: Trail):
    incidents = {incident.kind: incident for incident in trail.result.incidents}
    assert sorted(incidents) == sorted(INCIDENT_KINDS) and len(trail.result.incidents) == len(INCIDENT_KINDS)
    by_id = {record["eventID"]: record for record in trail.records}
    for incident in trail.result.incidents:
        record = by_id[incident.eventID]
        assert (record["eventName"], record["eventTime"], record["awsRegion"], record["sourceIPAddress"],
                record["recipientAccountId"]) == (incident.eventName, incident.eventTime, incident.region,
                                                  incident.sourceIPAddress, incident.account)
        assert "2026-11-22T17:00:00Z" <= incident.eventTime < "2026-11-23T17:00:00Z"


def test_default_route_is_deleted_once_by_doe1_at_1642(trail: Trail):
    deleted = [record for record in trail.where(eventName="DeleteRoute")
               if record["requestParameters"]["destinationCidrBlock"] == "0.0.0.0/0"]
    assert len(deleted) == 1
    record = deleted[0]
    assert record["userIdentity"]["type"] == "IAMUser" and record["userIdentity"]["userName"] == "DOE1"
    assert record["userIdentity"]["accessKeyId"].startswith("AKIA")
    assert record["sourceIPAddress"] == "203.0.113.7" and record["eventTime"] == "2026-11-23T16:42:07Z"
    assert record["requestParameters"]["routeTableId"].startswith("rtb-")
    assert record["responseElements"] == {"requestId": record["requestID"], "_return": True}


@pytest.mark.parametrize("minutes", range(0, 24 * 60, 7))
def test_the_deletion_stays_an_hour_inside_the_last_day_whenever_the_trail_ends(minutes: int):
    end = datetime(2026, 11, 23, tzinfo=timezone.utc) + timedelta(minutes=minutes)
    moment = route_moment(end)
    assert end - timedelta(hours=23) <= moment < end
    if (moment.hour, moment.minute) != (16, 42):  # only a trail ending 15:42-16:42 moves it
        assert (15, 42) <= (end.hour, end.minute) < (16, 42) and moment == end.replace(second=7) - timedelta(hours=1)


def test_a_trail_ending_just_before_1642_still_reports_its_deletion_and_every_incident(tmp_path: Path):
    end = datetime(2026, 11, 23, 16, 30, tzinfo=timezone.utc)  # `make demo` started at 16:30 UTC
    result = generate_trail(tmp_path, days=1, seed=7, accounts=3, events_per_day=2_000, end=end)
    times = {incident.kind: datetime.fromisoformat(incident.eventTime.replace("Z", "+00:00"))
             for incident in result.incidents}
    assert set(times) == set(INCIDENT_KINDS)
    assert times["default-route-deleted"] == datetime(2026, 11, 23, 15, 30, 7, tzinfo=timezone.utc)
    assert all(end - timedelta(hours=23) <= moment < end for moment in times.values()), times


def _opens_to_world(record: dict[str, Any]) -> bool:
    for permission in record["requestParameters"]["ipPermissions"]["items"]:
        cidrs = [item.get("cidrIp") for item in (permission.get("ipRanges") or {}).get("items", [])]
        cidrs += [item.get("cidrIpv6") for item in (permission.get("ipv6Ranges") or {}).get("items", [])]
        if "0.0.0.0/0" in cidrs or "::/0" in cidrs:
            return True
    return False


def test_world_open_ingress_happens_once_on_all_ports(trail: Trail):
    ingress = trail.where(eventName="AuthorizeSecurityGroupIngress")
    opened = [record for record in ingress if _opens_to_world(record)]
    assert len(opened) == 1
    permission = opened[0]["requestParameters"]["ipPermissions"]["items"][0]
    assert permission["ipProtocol"] == "-1"
    assert permission["ipRanges"]["items"][0]["cidrIp"] == "0.0.0.0/0"
    assert permission["ipv6Ranges"]["items"][0]["cidrIpv6"] == "::/0"
    assert opened[0]["requestParameters"]["groupId"].startswith("sg-")


def test_user_creation_console_login_root_and_trail_stop_happen_once_each(trail: Trail):
    created, keys = trail.where(eventName="CreateUser"), trail.where(eventName="CreateAccessKey")
    assert len(created) == len(keys) == 1
    assert created[0]["requestParameters"]["userName"] == keys[0]["requestParameters"]["userName"]
    assert keys[0]["responseElements"]["accessKey"]["accessKeyId"].startswith("AKIA")
    logins = trail.where(eventName="ConsoleLogin")
    no_mfa = [record for record in logins if record["responseElements"]["ConsoleLogin"] == "Success"
              and record["additionalEventData"]["MFAUsed"] == "No"]
    assert len(no_mfa) == 1 and no_mfa[0]["eventType"] == "AwsConsoleSignIn"
    assert any(record["additionalEventData"]["MFAUsed"] == "Yes" for record in logins if record not in no_mfa
               and record["userIdentity"]["type"] == "IAMUser")  # the benign look-alike
    root = [record for record in trail.records if record["userIdentity"].get("type") == "Root"]
    assert [record["eventName"] for record in root][:1] == ["ConsoleLogin"] and len(root) == 4
    assert len({record["recipientAccountId"] for record in root}) == 1
    (stopped,), (restarted,) = trail.where(eventName="StopLogging"), trail.where(eventName="StartLogging")
    # while the trail is stopped nothing is logged, in any account
    assert not [record for record in trail.records if stopped["eventTime"] < record["eventTime"] < restarted["eventTime"]]


def test_new_region_is_used_only_by_the_incident(trail: Trail):
    regions_by_account: dict[str, Counter[str]] = {}
    for record in trail.records:
        regions_by_account.setdefault(record["recipientAccountId"], Counter())[record["awsRegion"]] += 1
    new_region = [record for record in trail.records if record["awsRegion"] == "ap-southeast-3"]
    assert [record["eventName"] for record in new_region] == ["RunInstances", "DescribeInstances"]
    for account, regions in regions_by_account.items():
        usual = [region for region in regions if region != "ap-southeast-3"]
        assert "us-east-1" in usual and len(usual) == 2, account


def test_access_denied_burst_is_thirty_errors_in_two_minutes_by_one_principal(trail: Trail):
    burst = [record for record in trail.records if record["userIdentity"].get("userName") == "ci-legacy"]
    errors = [record for record in burst if record.get("errorCode")]
    assert len(errors) == 30
    assert {record["errorCode"] for record in errors} <= {"AccessDenied", "AccessDeniedException",
                                                          "Client.UnauthorizedOperation"}
    span = (datetime.fromisoformat(errors[-1]["eventTime"][:-1]) - datetime.fromisoformat(errors[0]["eventTime"][:-1]))
    assert span <= timedelta(minutes=2)


def test_background_mix_looks_like_real_management_traffic(trail: Trail):
    calls = [record for record in trail.records if record["eventType"] == "AwsApiCall"]
    read_only = sum(record["readOnly"] for record in calls) / len(calls)
    failed = sum(bool(record.get("errorCode")) for record in calls) / len(calls)
    assert 0.82 <= read_only <= 0.95
    assert 0.01 <= failed <= 0.06
    identity_types = Counter(record["userIdentity"].get("type") for record in trail.records)
    assert {"IAMUser", "AssumedRole", "AWSService", "FederatedUser", "WebIdentityUser", "Root"} <= set(identity_types)
    assert identity_types["AssumedRole"] > identity_types["IAMUser"]
    assert {"AwsApiCall", "AwsConsoleSignIn", "AwsServiceEvent"} <= {record["eventType"] for record in trail.records}
    assert {record["eventVersion"] for record in trail.records} <= {"1.08", "1.09"}
    assert all(record["managementEvent"] and record["eventCategory"] == "Management" for record in trail.records)
    assert len({record["eventSource"] for record in trail.records}) >= 15
    assert any("sessionCredentialFromConsole" in record for record in trail.records)
    for record in trail.records:
        if record["eventSource"] == "ec2.amazonaws.com" and record["responseElements"]:
            assert record["responseElements"]["requestId"] == record["requestID"]
    for record in trail.where(eventName="AssumeRole"):
        assert record["resources"][0]["ARN"] == record["requestParameters"]["roleArn"]
    assert any(record["sourceIPAddress"] == "AWS Internal" for record in trail.records)
    # global services are logged in us-east-1 only
    assert {record["awsRegion"] for record in trail.records
            if record["eventSource"] in ("iam.amazonaws.com", "sts.amazonaws.com")} == {"us-east-1"}


def test_people_work_days_and_machines_work_nights(trail: Trail):
    def human_calls(hour: int) -> int:
        return sum(1 for record in trail.records if record["eventTime"][11:13] == f"{hour:02d}"
                   and "@example.com" in record["userIdentity"].get("arn", ""))
    assert human_calls(14) > 3 * human_calls(3)


def test_digest_files_chain_hourly_and_vouch_for_every_log_file(trail: Trail):
    listed: Counter[str] = Counter()
    for key, digest in trail.digests.items():
        assert DIGEST_NAME.fullmatch(key), key
        assert digest["digestS3Object"] == key and digest["digestSignatureAlgorithm"] == "SHA256withRSA"
        start, end = (datetime.fromisoformat(digest[name][:-1]) for name in ("digestStartTime", "digestEndTime"))
        assert end - start == timedelta(hours=1)
        if digest["previousDigestS3Object"]:
            assert digest["previousDigestS3Object"] in trail.digests
        for log_file in digest["logFiles"]:
            listed[log_file["s3Object"]] += 1
            assert log_file["hashValue"] == hashlib.sha256(trail.bodies[log_file["s3Object"]]).hexdigest()
    assert set(listed) == set(trail.logs) and set(listed.values()) == {1}
    assert len({json.dumps(digest, sort_keys=True) for digest in trail.digests.values()}) == len(trail.digests)


def test_generated_trail_ingests_completely_and_digests_are_skipped(tmp_path: Path):
    # One account keeps the file count (and the store's per-file ledger writes) small.
    result = generate_trail(tmp_path / "trail", days=1, seed=11, accounts=1, events_per_day=3_000, end=END)
    store = DuckDBStore(tmp_path / "events.duckdb")
    summary = ingest(local_objects(tmp_path / "trail"), store)
    assert summary.quarantined == 0
    assert summary.skipped_reasons["digest"] == result.digest_files
    assert store.stats().events == summary.ingested == result.events
    route = next(incident for incident in result.incidents if incident.kind == "default-route-deleted")
    with store.connect() as connection:
        actor, resource = connection.execute("SELECT actor, resource FROM events WHERE event_id = ?",
                                             [route.eventID]).fetchone()
    assert (actor, resource) == ("DOE1", route.resource)


def test_cli_prints_incidents_as_json_and_writes_the_same_files_in_any_process(tmp_path: Path):
    def run(outdir: Path, hash_seed: str) -> dict[str, Any]:
        completed = subprocess.run(
            [sys.executable, "-m", "tattletrail", "generate", str(outdir), "--days", "1", "--accounts", "1",
             "--events-per-day", "300", "--seed", "5", "--end", "2026-11-23T12:00:00Z", "--json"],
            capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONHASHSEED": hash_seed})
        assert completed.returncode == 0, completed.stderr
        return json.loads(completed.stdout)

    output = run(tmp_path / "one", "1")
    run(tmp_path / "two", "2")  # str hashes differ between these processes; the files must not
    assert _tree(tmp_path / "one") == _tree(tmp_path / "two")
    assert output["files"] > 0 and output["events"] > 300 and output["digest_files"] > 0
    assert [incident["kind"] for incident in output["incidents"]] == list(INCIDENT_KINDS)
    assert set(output["incidents"][0]) == {"kind", "eventID", "eventName", "eventTime", "actor", "account", "region",
                                           "sourceIPAddress", "resource"}
    route = output["incidents"][0]
    assert (route["eventTime"], route["actor"], route["sourceIPAddress"]) == ("2026-11-22T16:42:07Z", "DOE1",
                                                                              "203.0.113.7")
