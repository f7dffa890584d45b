"""The pack's windowed behaviour checks, run as the checker runs them, on DuckDB and OpenSearch:
distinct secrets per actor, instances reached through SSM, instances whose user data was read, a
long-term key from a new address. For each: the attack fires, the look-alike (the same calls,
repeated, on one resource; the near-miss calls) stays quiet, and a failed attempt at a change
counts nothing. Then what the config's `expected:` and a check's `except:` take out, on both."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterator

import pytest

from tattletrail.alert import Status
from tattletrail.checks import PACK, with_expected
from tattletrail.checks.model import load_checks
from tattletrail.checks.runner import Runner
from tattletrail.config import Expected
from tests.check_pack_behaviour_events import (APP, MALLORY, batch_get_secret_value, describe_instance_attribute,
                                               get_caller_identity, get_parameter, get_parameters, get_secret_value,
                                               instance_session, role_session, s3_call, send_command, shell_command,
                                               start_session)
from tests.check_pack_events import api_call
from tests.check_pack_events import ACCOUNT, ALICE_SSO, DOE1, Record
from tests.checks_engine_events import FakeClock, put
from tests.opensearch_helpers import STORE_KINDS, new_store

T = datetime(2026, 11, 20, 16, 0, 0)
ALICE = "AWSReservedSSO_AdministratorAccess_1a2b3c4d5e6f7a8b/alice@example.com"
CHECKS = {check.name: check for check in load_checks(PACK)}
OPS = role_session("ops-admin", "carol@example.com")
SCANNER = role_session("inventory-scanner", "nightly")
DEPLOY = role_session("github-actions-deploy", "GitHubActions")
WEB = instance_session("web-app-instance", "i-0a1b2c3d4e5f60001")
WORKER = instance_session("worker-instance", "i-0a1b2c3d4e5f60002")


def at(record: Record, moment: datetime) -> Record:
    return {**record, "eventTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}


def instance(number: int) -> str:
    return f"i-0a1b2c3d4e5f6{number:04d}"


def harvest() -> list[Record]:
    """mallory sweeps: 8 secrets one by one, a batch of 4 (2 already read), 2 parameters decrypted,
    one read denied, one parameter read in clear (not a secret): 13 distinct secrets. eve reads 26
    SecureStrings two at a time. The orders API reads its own 2 secrets 60 times each."""
    records = [get_secret_value(f"h-m-{n}", MALLORY, f"prod/s{n}") for n in range(8)]
    records.append(batch_get_secret_value("h-m-batch", MALLORY, ["prod/s6", "prod/s7", "prod/s8", "prod/s9"]))
    records.append(get_parameters("h-m-params", MALLORY, ["/prod/p1", "/prod/p2"]))
    records.append(get_secret_value("h-m-denied", MALLORY, "prod/stripe", denied=True))
    records.append(get_parameter("h-m-plain", MALLORY, "/prod/ami-id", decrypt=False))
    records += [get_parameters(f"h-e-{n}", ALICE_SSO, [f"/prod/e{2 * n}", f"/prod/e{2 * n + 1}"]) for n in range(13)]
    for n in range(60):
        records += [get_parameter(f"h-app-p-{n}", APP, "/prod/orders/db-password"),
                    get_secret_value(f"h-app-s-{n}", APP, "prod/orders-api-key")]
    return records


def fleet() -> list[Record]:
    """carol reaches 6 instances (a SendCommand to 4, sessions on 2 more and one of the 4);
    the patch role sends 30 commands to one instance; mallory is denied on 10 instances."""
    records = [send_command("f-c-send", OPS, [instance(n) for n in range(4)])]
    records += [start_session(f"f-c-session-{n}", OPS, instance(n)) for n in (3, 4, 5)]
    records += [send_command(f"f-patch-{n}", DOE1, [instance(9)]) for n in range(30)]
    records += [send_command(f"f-m-denied-{n}", MALLORY, [instance(n)], denied=True) for n in range(10)]
    # The patch role runs the patch baseline (a named document, not a shell script) on 12 instances.
    records.append(shell_command("f-scanner-patch", SCANNER, [instance(n) for n in range(12)],
                                 document="AWS-RunPatchBaseline"))
    return records


READS = [("ListRoles", "iam"), ("ListUsers", "iam"), ("ListBuckets", "s3"), ("DescribeInstances", "ec2"),
         ("DescribeVpcs", "ec2"), ("DescribeSecurityGroups", "ec2"), ("DescribeSnapshots", "ec2"),
         ("ListFunctions20150331", "lambda"), ("DescribeDBInstances", "rds"), ("ListSecrets", "secretsmanager"),
         ("GetAccountAuthorizationDetails", "iam")]


def discovery() -> list[Record]:
    """The web instance's role enumerates the account: 11 distinct reads, two of them refused. The
    worker instance reads its 4 usual things 5 times over; alice browses 11 consoles (no instance role)."""
    records = [api_call(f"d-web-{n}", name, service, WEB, None, read_only=True, ip="52.17.201.44",
                        error=("AccessDenied", "not authorized") if n in (1, 6) else None)
               for n, (name, service) in enumerate(READS)]
    usual = [("GetCallerIdentity", "sts"), ("DescribeTags", "ec2"), ("GetParameter", "ssm"), ("GetBucketLocation", "s3")]
    records += [api_call(f"d-worker-{round}-{n}", name, service, WORKER, None, read_only=True, ip="54.216.20.7")
                for round in range(5) for n, (name, service) in enumerate(usual)]
    records += [api_call(f"d-alice-{n}", name, service, ALICE_SSO, None, read_only=True) for n, (name, service) in enumerate(READS)]
    return records


def deletions() -> list[Record]:
    """mallory deletes 25 versions of the archive one by one, then 4 DeleteObjects batches; the worker
    deletes the 8 uploads it processed; the deploy role prunes the site once; eve is refused 30 times."""
    records = [s3_call(f"s-m-{n}", "DeleteObject", MALLORY, "acme-finance-archive", f"ledger/{n:04d}.parquet",
                       version=f"v{n}") for n in range(25)]
    records += [s3_call(f"s-m-batch-{n}", "DeleteObjects", MALLORY, "acme-finance-archive") for n in range(4)]
    records += [s3_call(f"s-w-{n}", "DeleteObject", WORKER, "acme-tmp-uploads", f"incoming/{n}.csv") for n in range(8)]
    records.append(s3_call("s-deploy-prune", "DeleteObjects", DEPLOY, "acme-www-site"))
    records += [s3_call(f"s-e-{n}", "DeleteObject", ALICE_SSO, "acme-finance-archive", f"ledger/{n:04d}.parquet",
                        denied=True) for n in range(30)]
    records += [s3_call(f"s-e-batch-{n}", "DeleteObjects", ALICE_SSO, "acme-finance-archive", denied=True)
                for n in range(5)]
    return records


def user_data() -> list[Record]:
    """mallory reads 7 instances' user data (2 denied); DOE1 reads one instance's 6 times; the
    scanner reads 40 instances' instanceType (not user data)."""
    records = [describe_instance_attribute(f"u-m-{n}", MALLORY, instance(n), denied=n >= 5) for n in range(7)]
    records += [describe_instance_attribute(f"u-d-{n}", DOE1, instance(1)) for n in range(6)]
    records += [describe_instance_attribute(f"u-s-{n}", SCANNER, instance(n), "instanceType") for n in range(40)]
    return records


def scenario(store: Any) -> None:
    # 10 days ago: DOE1's key asked who it is from the office; mallory's key never did.
    history = T - timedelta(days=10)
    put(store, [at(get_caller_identity("k-old", DOE1, "198.51.100.23"), history)], history)
    recent = T - timedelta(minutes=20)
    put(store, [at(record, recent) for record in harvest() + fleet() + user_data() + deletions()],
        recent + timedelta(minutes=3))
    burst = T - timedelta(minutes=10)  # discovery-burst-from-instance looks at fifteen minutes
    put(store, [at(record, burst) for record in discovery()], burst + timedelta(minutes=2))
    now = T - timedelta(minutes=5)
    put(store, [at(get_caller_identity("k-office", DOE1, "198.51.100.23"), now),
                at(get_caller_identity("k-new", DOE1, "203.0.113.50"), now),
                at(get_caller_identity("k-sso", ALICE_SSO, "203.0.113.51"), now)], now + timedelta(minutes=2))


@pytest.fixture(scope="module", params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    made = new_store(request, tmp_path_factory.mktemp("pack-windows"), "pack-windows")
    scenario(made)
    yield made
    made.close()


def results(store: Any, check: Any) -> dict[str, tuple[Status, int | None]]:
    run = Runner(store, clock=FakeClock(T)).run(check)
    return {result.label: (result.status, result.count) for result in run.results}


EXPECTED = {
    "secret-harvesting": {
        f"secret-harvesting[account={ACCOUNT},actor=mallory]": (Status.WARNING, 13),
        f"secret-harvesting[account={ACCOUNT},actor={ALICE}]": (Status.CRITICAL, 26),
        f"secret-harvesting[account={ACCOUNT},actor=orders-api/i-0a1b2c3d4e5f60001]": (Status.OK, 2),
    },
    "ssm-commands-across-instances": {
        f"ssm-commands-across-instances[account={ACCOUNT},actor=ops-admin/carol@example.com]": (Status.WARNING, 6),
        f"ssm-commands-across-instances[account={ACCOUNT},actor=DOE1]": (Status.OK, 1),
        # the patch baseline on 12 instances: fleet work by name, counted here and not as shell scripts below
        f"ssm-commands-across-instances[account={ACCOUNT},actor=inventory-scanner/nightly]": (Status.WARNING, 12),
    },
    "ssm-shell-commands-across-instances": {
        f"ssm-shell-commands-across-instances[account={ACCOUNT},actor=ops-admin/carol@example.com]": (Status.WARNING, 4),
        f"ssm-shell-commands-across-instances[account={ACCOUNT},actor=DOE1]": (Status.OK, 1),
    },
    "discovery-burst-from-instance": {
        f"discovery-burst-from-instance[account={ACCOUNT},actor=web-app-instance/i-0a1b2c3d4e5f60001]": (Status.WARNING, 11),
        f"discovery-burst-from-instance[account={ACCOUNT},actor=worker-instance/i-0a1b2c3d4e5f60002]": (Status.OK, 4),
    },
    "s3-mass-deletion": {
        f"s3-mass-deletion[account={ACCOUNT},actor=mallory,requestParameters.bucketName=acme-finance-archive]":
            (Status.WARNING, 25),
        f"s3-mass-deletion[account={ACCOUNT},actor=worker-instance/i-0a1b2c3d4e5f60002,"
        "requestParameters.bucketName=acme-tmp-uploads]": (Status.OK, 8),
    },
    "s3-batch-deletion": {
        f"s3-batch-deletion[account={ACCOUNT},actor=mallory,requestParameters.bucketName=acme-finance-archive]":
            (Status.WARNING, 4),
        f"s3-batch-deletion[account={ACCOUNT},actor=github-actions-deploy/GitHubActions,"
        "requestParameters.bucketName=acme-www-site]": (Status.OK, 1),
    },
    "ec2-user-data-read": {
        f"ec2-user-data-read[account={ACCOUNT},actor=mallory]": (Status.WARNING, 7),
        f"ec2-user-data-read[account={ACCOUNT},actor=DOE1]": (Status.OK, 1),
    },
    "long-term-key-new-address": {
        f"long-term-key-new-address[userIdentity.accessKeyId={DOE1['accessKeyId']}]": (Status.WARNING, 1),
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_behaviour_check_fires_on_the_attack_and_not_on_its_look_alikes(store: Any, name: str) -> None:
    assert results(store, CHECKS[name]) == EXPECTED[name]


def test_new_address_is_named_and_the_known_one_is_not(store: Any) -> None:
    run = Runner(store, clock=FakeClock(T)).run(CHECKS["long-term-key-new-address"])
    assert [result.new_values for result in run.results] == [("203.0.113.50",)]


def test_distinct_message_says_what_was_counted(store: Any) -> None:
    run = Runner(store, clock=FakeClock(T)).run(CHECKS["ec2-user-data-read"])
    line = next(result for result in run.results if result.group.get("actor") == "mallory").sensu_line()
    assert line.startswith(f"ec2-user-data-read[account={ACCOUNT},actor=mallory] WARNING: "
                           "7 distinct requestParameters.instanceId in ")
    assert line.endswith("|count=7;5;20")


# ---- expected activity ---------------------------------------------------------------------

def test_config_expected_actor_is_not_counted_by_the_checks_it_names(store: Any) -> None:
    expected = [Expected(actors=["mallory"], only=["secret-harvesting"], reason="red team exercise")]
    checks = {check.name: check for check in with_expected(list(CHECKS.values()), expected)}
    harvesting = results(store, checks["secret-harvesting"])
    assert f"secret-harvesting[account={ACCOUNT},actor=mallory]" not in harvesting
    assert harvesting[f"secret-harvesting[account={ACCOUNT},actor={ALICE}]"] == (Status.CRITICAL, 26)
    assert results(store, checks["ec2-user-data-read"]) == EXPECTED["ec2-user-data-read"]  # not named: unchanged


def test_config_expected_without_names_applies_to_every_check_and_wildcards_match(store: Any) -> None:
    expected = [Expected(actors=["ops-admin/*"]), Expected(query='requestParameters.instanceId:"i-0a1b2c3d4e5f60000"')]
    checks = {check.name: check for check in with_expected(list(CHECKS.values()), expected)}
    assert f"ssm-commands-across-instances[account={ACCOUNT},actor=ops-admin/carol@example.com]" not in results(
        store, checks["ssm-commands-across-instances"])
    reads = results(store, checks["ec2-user-data-read"])
    assert reads[f"ec2-user-data-read[account={ACCOUNT},actor=mallory]"] == (Status.WARNING, 6)


def test_check_except_and_config_expected_add_up(store: Any) -> None:
    check = CHECKS["secret-harvesting"].model_copy(update={"except_": "actor:AWSReservedSSO_*"})
    [check] = with_expected([check], [Expected(actors=["mallory"])])
    assert check.counted_query.endswith("AND NOT ((actor:AWSReservedSSO_*) OR ((actor:(mallory))))")
    # What is left (the orders API's 2 secrets) can't reach the threshold: one OK line for the check.
    assert results(store, check) == {"secret-harvesting": (Status.OK, 0)}
