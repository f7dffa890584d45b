"""`policy unused`: what a policy grants that the actor never used — from a file, and from IAM
(a real moto server over HTTP, as for S3) with attached, inline and group policies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from tattletrail.event import normalize
from tattletrail.policy import catalogue, gather_evidence
from tattletrail.policy.unused import PolicyFileError, granted_actions, iam_policies, read_policy_file, unused_actions
from tattletrail.stores.base import Batch
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.policy_events import START, build_agent_records

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
WINDOW = (START - timedelta(days=1), START + timedelta(days=1))
EC2_STAR = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
    {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::acme-build-artifacts/*"}]}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> DuckDBStore:
    made = DuckDBStore(tmp_path_factory.mktemp("unused") / "events.duckdb")
    made.write(Batch(events=[normalize(record) for record in build_agent_records()]))
    return made


def test_patterns_expand_to_real_actions_from_the_catalogue() -> None:
    granted = granted_actions([EC2_STAR])
    assert "ec2:RunInstances" in granted and "s3:GetObject" in granted
    assert len([action for action in granted if action.startswith("ec2:")]) == len(catalogue.service_actions("ec2"))
    assert granted_actions([{"Statement": {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}}]) == {
        action for action in catalogue.matching_actions("ec2:*") if action.startswith("ec2:Describe")}
    assert granted_actions([{"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}]) == set()
    not_iam = granted_actions([{"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}])
    assert "ec2:RunInstances" in not_iam and not any(action.startswith("iam:") for action in not_iam)


def test_ec2_star_is_hundreds_of_actions_of_which_the_agent_used_six(store: DuckDBStore) -> None:
    result = unused_actions([EC2_STAR], gather_evidence(store, "build-agent", *WINDOW), ["file"])
    assert result.used == ["ec2:CreateTags", "ec2:DescribeInstanceStatus", "ec2:DescribeInstances",
                           "ec2:DescribeRegions", "ec2:RunInstances", "ec2:TerminateInstances", "s3:PutObject"]
    assert "ec2:DeleteVpc" in result.unused and "s3:GetObject" in result.unused
    assert len(result.unused) == len(result.granted) - 7
    # the README's claim
    ec2_used = [action for action in result.used if action.startswith("ec2:")]
    assert len(catalogue.matching_actions("ec2:*")) > 800 and len(ec2_used) == 6
    assert "`ec2:*` alone is over 800 actions, of which it used 6" in README.replace("\n", " ")
    assert result.used_not_granted == ["iam:PassRole", "kms:GenerateDataKey"]


def test_a_policy_file_error_names_the_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "policy.json"
    broken.write_text('{\n  "Version": "2012-10-17",\n  "Statement": [\n}\n')
    with pytest.raises(PolicyFileError, match=r"policy.json:4: not JSON"):
        read_policy_file(broken)
    (tmp_path / "other.json").write_text('{"Version": "2012-10-17"}')
    with pytest.raises(PolicyFileError, match="has no 'Statement'"):
        read_policy_file(tmp_path / "other.json")
    (tmp_path / "version.json").write_text(json.dumps({"PolicyVersion": {"Document": EC2_STAR, "VersionId": "v1"}}))
    assert read_policy_file(tmp_path / "version.json") == [EC2_STAR]


@pytest.fixture(scope="module")
def iam(moto_endpoint: str) -> Any:
    client = boto3.client("iam", endpoint_url=moto_endpoint, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                "Principal": {"Service": "ec2.amazonaws.com"}}]})
    client.create_role(RoleName="build-agent", AssumeRolePolicyDocument=trust)
    arn = client.create_policy(PolicyName="build-agent-ec2", PolicyDocument=json.dumps(EC2_STAR))["Policy"]["Arn"]
    client.attach_role_policy(RoleName="build-agent", PolicyArn=arn)
    client.put_role_policy(RoleName="build-agent", PolicyName="kms", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": "*"}]}))
    client.create_user(UserName="deployer")
    client.create_group(GroupName="deployers")
    client.add_user_to_group(GroupName="deployers", UserName="deployer")
    client.put_group_policy(GroupName="deployers", PolicyName="lambda", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:UpdateFunctionCode",
                                                "Resource": "*"}]}))
    return client


def test_from_iam_reads_attached_and_inline_role_policies(iam: Any, store: DuckDBStore) -> None:
    documents, sources = iam_policies("build-agent", iam)
    assert sources == ["arn:aws:iam::123456789012:policy/build-agent-ec2", "inline:role/build-agent/kms"]
    result = unused_actions(documents, gather_evidence(store, "build-agent", *WINDOW), sources)
    assert "kms:GenerateDataKey" in result.used and result.used_not_granted == ["iam:PassRole"]


def test_from_iam_reads_a_users_group_policies(iam: Any) -> None:
    documents, sources = iam_policies("deployer", iam)
    assert sources == ["inline:group/deployers/lambda"]
    assert granted_actions(documents) == {"lambda:UpdateFunctionCode"}


def test_cli_unused_from_iam(iam: Any, store: DuckDBStore, moto_endpoint: str) -> None:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run([sys.executable, "-m", "tattletrail", "policy", "unused", "--actor", "build-agent",
                             "--from-iam", "--endpoint-url", moto_endpoint, "--since", "2026-11-19", "--until",
                             "2026-11-21", "--store", store.url, "--json"], capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["policies"] == ["arn:aws:iam::123456789012:policy/build-agent-ec2", "inline:role/build-agent/kms"]
    assert "kms:GenerateDataKey" in report["used"] and "ec2:DeleteVpc" in report["unused"]


def test_cli_unused_from_a_file_summarizes_per_service(store: DuckDBStore, tmp_path: Path) -> None:
    policy_file = tmp_path / "current.json"
    policy_file.write_text(json.dumps(EC2_STAR))
    result = subprocess.run([sys.executable, "-m", "tattletrail", "policy", "unused", "--actor", "build-agent",
                             "--policy", str(policy_file), "--since", "2026-11-19", "--until", "2026-11-21",
                             "--store", store.url], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("build-agent: ") and "granted by 1 policy, 7 used" in lines[0]
    ec2 = next(line for line in lines if line.startswith("  ec2: "))
    assert "never used: AcceptAddressTransfer, " in ec2 and ec2.endswith("more (--all)")
    assert "  s3: 1 of 2 never used: GetObject" in lines
    assert "used but not granted by these policies" in lines[-1] and "iam:PassRole" in lines[-1]
