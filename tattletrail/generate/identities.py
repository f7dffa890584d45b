"""Who calls AWS in a generated organization: accounts, people, pipelines, workloads and services.

A `Session` is one way a principal shows up in CloudTrail (an IAM user's access key, the same user's
console session, an SSO role session...): the `userIdentity` block, built once and shared by every
record of that session, plus where its calls come from. Sessions with temporary credentials are
rebuilt each day, so `creationDate` and the `ASIA...` key change the way real ones do.
"""

from __future__ import annotations

import base64
import string
from dataclasses import dataclass, field
from datetime import datetime
from random import Random
from typing import Any

# Kinds of caller; the API catalogue says which kinds make which calls.
# SERVICE is a service-linked role acting for a service; AWS is a service principal itself (type AWSService);
# OIDC is a CI job's web identity token, before it becomes a role session.
HUMAN, CI, WORKLOAD, SERVICE, AWS, FEDERATED, OIDC = "human", "ci", "workload", "service", "aws", "federated", "oidc"

BASE32 = string.ascii_uppercase + "234567"
ALNUM = string.ascii_letters + string.digits
_UUID_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}
_BASE32_PAIRS = [a + b for a in BASE32 for b in BASE32]
_ALNUM_ONLY = bytes.maketrans(b"+/", b"Az")  # base64 without its two symbols: letters and digits only
PEOPLE = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
          "ken", "laura", "mike", "nina", "oscar", "paula")
ACCOUNT_NAMES = ("management", "prod", "staging", "dev", "security", "data", "sandbox", "shared")
SECOND_REGIONS = ("eu-west-1", "eu-west-1", "us-west-2", "eu-central-1")
PERMISSION_SETS = ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess")

CONSOLE_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "AWS Internal",
)
CLI_AGENTS = (
    "aws-cli/2.22.4 md/awscrt#0.23.1 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.7 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#ec2.describe-instances",
    "aws-cli/2.21.0 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-48-generic md/arch#x86_64 lang/python#3.12.6 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off",
    "Boto3/1.35.68 md/Botocore#1.35.68 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.7 "
    "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.68",
)
CI_AGENTS = (
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.78.0 "
    "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.5 ua/2.1 os/linux "
    "lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.193.0",
    "aws-cli/2.22.2 md/awscrt#0.23.0 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.12.6 "
    "md/pyimpl#CPython exec-env/GitHubActions cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22",
    "Boto3/1.35.60 md/Botocore#1.35.60 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.11.10 "
    "md/pyimpl#CPython exec-env/GitHubActions cfg/retry-mode#legacy Botocore/1.35.60",
)
WORKLOAD_AGENTS = (
    "aws-sdk-java/2.29.9 Linux/5.10.228-219.884.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS "
    "Java/21.0.5 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
    "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#5.10.227-239.884.amzn2.x86_64 md/arch#x86_64 "
    "lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_ECS_FARGATE cfg/retry-mode#legacy Botocore/1.35.36",
    "aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) amazon-ssm-agent/3.3.1142.0",
)
LAMBDA_AGENT = ("Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#5.10.227-239.884.amzn2.x86_64 "
                "md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 "
                "cfg/retry-mode#legacy Botocore/1.34.145")
# Office and home addresses of people: documentation ranges, so generated data never names a real host.
PEOPLE_NETWORKS = ("203.0.113.", "198.51.100.", "192.0.2.")
# NAT gateway and CI runner addresses: shaped like AWS and Azure (GitHub runner) egress addresses.
NAT_NETWORKS = ("54.216.", "3.248.", "52.208.", "34.242.")
RUNNER_NETWORKS = ("20.57.", "4.227.", "172.200.", "52.238.")
# Addresses the incidents use, kept out of every background session.
RESERVED_IPS = frozenset({"203.0.113.7", "198.51.100.23", "192.0.2.44", "198.51.100.77", "192.0.2.200",
                          "198.51.100.200", "203.0.113.99"})


@dataclass(frozen=True, slots=True)
class Session:
    """One face of a principal in CloudTrail; `identity` is shared by its records, never mutated."""

    actor: str
    kind: str
    identity: dict[str, Any]
    source_ips: tuple[str, ...]
    user_agents: tuple[str, ...]
    weight: float
    from_console: bool = False


@dataclass(slots=True)
class Person:
    name: str
    user_name: str | None  # an IAM user of their own, or None when they only come in through SSO
    permission_set: str
    home_ips: tuple[str, ...]
    user_id: str
    user_key: str
    mfa: bool = True


@dataclass(slots=True)
class Account:
    """One member account of the organization and everything that acts in it."""

    account_id: str
    name: str
    regions: tuple[str, str]
    weight: float
    people: list[Person]
    sso_roles: dict[str, tuple[str, str]]  # permission set -> (role name, role id)
    roles: dict[str, str]  # role name -> role id (AROA...)
    nat_ips: tuple[str, ...]
    runner_ips: tuple[str, ...]
    instances: tuple[str, ...]
    functions: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict)


class Ids:
    """Identifiers in the shapes AWS uses, all drawn from one seeded random source."""

    def __init__(self, rng: Random) -> None:
        self.rng = rng

    def uuid(self) -> str:
        """A random (version 4) UUID, as eventIDs and most requestIDs are."""
        text = "%032x" % self.rng.getrandbits(128)
        return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-{_UUID_VARIANT[text[16]]}{text[17:20]}-{text[20:]}"

    def uuid_pair(self) -> tuple[str, str]:
        """Two UUIDs from one draw: a requestID and an eventID, for the price of one."""
        text = self.rng.randbytes(32).hex()
        return (f"{text[:8]}-{text[8:12]}-4{text[13:16]}-{_UUID_VARIANT[text[16]]}{text[17:20]}-{text[20:32]}",
                f"{text[32:40]}-{text[40:44]}-4{text[45:48]}-{_UUID_VARIANT[text[48]]}{text[49:52]}-{text[52:]}")

    def key(self, prefix: str, length: int = 16) -> str:
        """An access key or principal id: `prefix` then base32 characters, as AWS makes them."""
        bits = self.rng.getrandbits(length * 5)
        return prefix + "".join(_BASE32_PAIRS[(bits >> shift) & 1023] for shift in range(0, length * 5, 10))[:length]

    def hex(self, length: int) -> str:
        return f"{self.rng.getrandbits(length * 4):0{length}x}"

    def alnum(self, length: int) -> str:
        raw = self.rng.getrandbits(length * 6 + 6).to_bytes((length * 6 + 6 + 7) // 8, "big")
        return base64.b64encode(raw).translate(_ALNUM_ONLY).decode()[:length]

    def resource_id(self, prefix: str) -> str:
        return f"{prefix}-0{self.hex(16)}"

    def account_id(self) -> str:
        return str(self.rng.randrange(100_000_000_000, 999_999_999_999))


def build_accounts(ids: Ids, count: int) -> list[Account]:
    """`count` accounts; the first is the management account, the second (if any) is production."""
    rng = ids.rng
    accounts = []
    for index in range(count):
        name = ACCOUNT_NAMES[index] if index < len(ACCOUNT_NAMES) else f"workload-{index}"
        weight = {0: 0.6, 1: 2.0}.get(index, 1.0)
        people = [_person(ids, person, index) for person in rng.sample(PEOPLE, rng.randint(3, 6))]
        if index == min(1, count - 1):  # DOE1 is a long-standing IAM user in production
            people.append(Person("doe", "DOE1", "AdministratorAccess", ("203.0.113.61", "203.0.113.62"),
                                 ids.key("AIDA", 17), ids.key("AKIA"), mfa=True))
        accounts.append(Account(
            account_id=ids.account_id(), name=f"acme-{name}",
            regions=("us-east-1", SECOND_REGIONS[index % len(SECOND_REGIONS)]), weight=weight, people=people,
            sso_roles={permission: (f"AWSReservedSSO_{permission}_{ids.hex(16)}", ids.key("AROA", 17))
                       for permission in PERMISSION_SETS},
            roles={name: ids.key("AROA", 17) for name in (
                "github-actions-deploy", "terraform-apply", "app-server-role", "orders-api-role",
                "payments-task-role", "AWSServiceRoleForConfig", "AWSServiceRoleForSecurityHub",
                "AWSServiceRoleForTrustedAdvisor", "OrganizationAccountAccessRole")},
            nat_ips=tuple(f"{rng.choice(NAT_NETWORKS)}{rng.randrange(1, 255)}.{rng.randrange(1, 255)}"
                          for _ in range(3)),
            runner_ips=tuple(f"{rng.choice(RUNNER_NETWORKS)}{rng.randrange(1, 255)}.{rng.randrange(1, 255)}"
                             for _ in range(6)),
            instances=tuple(ids.resource_id("i") for _ in range(6)),
            functions=("orders-api", "invoice-renderer", "nightly-cleanup", "slack-notifier"),
            extra={"legacy-reports_id": ids.key("AIDA", 17)},
        ))
    return accounts


def _person(ids: Ids, name: str, account_index: int) -> Person:
    rng = ids.rng
    ips: list[str] = []
    while len(ips) < 2:
        ip = f"{rng.choice(PEOPLE_NETWORKS)}{rng.randrange(2, 254)}"
        if ip not in RESERVED_IPS:
            ips.append(ip)
    has_user = rng.random() < 0.3
    return Person(name, name if has_user else None, rng.choice(PERMISSION_SETS), tuple(ips),
                  ids.key("AIDA", 17), ids.key("AKIA"))


def day_sessions(ids: Ids, account: Account, day: datetime) -> list[Session]:
    """Every background session of one account on one day (humans and machines)."""
    sessions: list[Session] = []
    for person in account.people:
        sessions.extend(_person_sessions(ids, account, person, day))
    sessions.extend(_machine_sessions(ids, account, day))
    return sessions


def iam_user_identity(account: Account, user_name: str, user_id: str, key: str) -> dict[str, Any]:
    return {"type": "IAMUser", "principalId": user_id, "arn": f"arn:aws:iam::{account.account_id}:user/{user_name}",
            "accountId": account.account_id, "accessKeyId": key, "userName": user_name}


def console_user_identity(account: Account, user_name: str, user_id: str, key: str, created: str,
                          mfa: bool) -> dict[str, Any]:
    identity = iam_user_identity(account, user_name, user_id, key)
    identity["sessionContext"] = {"sessionIssuer": {}, "webIdFederationData": {}, "attributes": {
        "creationDate": created, "mfaAuthenticated": "true" if mfa else "false"}}
    return identity


def role_identity(account: Account, role: str, role_id: str, session: str, key: str, created: str,
                  path: str = "/", invoked_by: str | None = None, ec2: bool = False) -> dict[str, Any]:
    account_id = account.account_id
    identity: dict[str, Any] = {
        "type": "AssumedRole", "principalId": f"{role_id}:{session}",
        "arn": f"arn:aws:sts::{account_id}:assumed-role/{role}/{session}", "accountId": account_id,
        "accessKeyId": key, "sessionContext": {
            "sessionIssuer": {"type": "Role", "principalId": role_id,
                              "arn": f"arn:aws:iam::{account_id}:role{path}{role}",
                              "accountId": account_id, "userName": role},
            "webIdFederationData": {},
            "attributes": {"creationDate": created, "mfaAuthenticated": "false"}}}
    if ec2:
        identity["sessionContext"]["ec2RoleDelivery"] = "2.0"
    if invoked_by:
        identity["invokedBy"] = invoked_by
    return identity


def sso_identity(account: Account, person: Person, key: str, created: str) -> dict[str, Any]:
    role, role_id = account.sso_roles[person.permission_set]
    return role_identity(account, role, role_id, f"{person.name}@example.com", key, created,
                         path="/aws-reserved/sso.amazonaws.com/")


def _stamp(day: datetime, rng: Random, start_hour: int, end_hour: int) -> str:
    return f"{day:%Y-%m-%d}T{rng.randrange(start_hour, end_hour):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z"


def _person_sessions(ids: Ids, account: Account, person: Person, day: datetime) -> list[Session]:
    rng = ids.rng
    created = _stamp(day, rng, 6, 10)
    actor_sso = f"{account.sso_roles[person.permission_set][0]}/{person.name}@example.com"
    sessions = [
        Session(actor_sso, HUMAN, sso_identity(account, person, ids.key("ASIA"), created),
                person.home_ips, CLI_AGENTS, 1.0),
        Session(actor_sso, HUMAN, sso_identity(account, person, ids.key("ASIA"), created),
                person.home_ips, CONSOLE_AGENTS[:3], 0.8, from_console=True),
    ]
    if person.user_name:
        sessions.append(Session(person.user_name, HUMAN, iam_user_identity(
            account, person.user_name, person.user_id, person.user_key), person.home_ips, CLI_AGENTS, 0.6))
        sessions.append(Session(person.user_name, HUMAN, console_user_identity(
            account, person.user_name, person.user_id, ids.key("ASIA"), created, True),
            person.home_ips, CONSOLE_AGENTS, 0.4, from_console=True))
    return sessions


def _machine_sessions(ids: Ids, account: Account, day: datetime) -> list[Session]:
    rng = ids.rng
    created = _stamp(day, rng, 0, 2)
    roles = account.roles
    sessions = [
        Session("github-actions-deploy/GitHubActions", CI, role_identity(
            account, "github-actions-deploy", roles["github-actions-deploy"], "GitHubActions",
            ids.key("ASIA"), created), account.runner_ips, CI_AGENTS[1:], 1.2),
        Session("terraform-apply/terraform", CI, role_identity(
            account, "terraform-apply", roles["terraform-apply"], "terraform", ids.key("ASIA"), created),
            account.runner_ips, CI_AGENTS[:1], 0.8),
    ]
    for instance in account.instances:
        sessions.append(Session(f"app-server-role/{instance}", WORKLOAD, role_identity(
            account, "app-server-role", roles["app-server-role"], instance, ids.key("ASIA"), created, ec2=True),
            account.nat_ips, WORKLOAD_AGENTS[::2], 0.5))
    sessions.append(Session("orders-api-role/orders-api", WORKLOAD, role_identity(
        account, "orders-api-role", roles["orders-api-role"], "orders-api", ids.key("ASIA"), created),
        account.nat_ips, (LAMBDA_AGENT,), 1.5))
    task = ids.hex(32)
    subject = "repo:acme/app:ref:refs/heads/main"
    provider = f"arn:aws:iam::{account.account_id}:oidc-provider/token.actions.githubusercontent.com"
    sessions.append(Session(subject, OIDC, {"type": "WebIdentityUser", "principalId": f"{provider}:sts.amazonaws.com:{subject}",
                                            "userName": subject, "identityProvider": provider},
                            account.runner_ips, CI_AGENTS[1:2], 1.0))
    sessions.append(Session(f"payments-task-role/{task}", WORKLOAD, role_identity(
        account, "payments-task-role", roles["payments-task-role"], task, ids.key("ASIA"), created),
        account.nat_ips, WORKLOAD_AGENTS[1:2], 1.0))
    for role, session, service in (("AWSServiceRoleForConfig", "AWSConfig-Describe", "config.amazonaws.com"),
                                   ("AWSServiceRoleForSecurityHub", "securityhub", "securityhub.amazonaws.com"),
                                   ("AWSServiceRoleForTrustedAdvisor", "TrustedAdvisor_" + account.account_id,
                                    "trustedadvisor.amazonaws.com")):
        sessions.append(Session(f"{role}/{session}", SERVICE, role_identity(
            account, role, roles[role], session, ids.key("ASIA"), created,
            path="/aws-service-role/" + service + "/", invoked_by=service), (service,), (service,), 1.0))
    for service in ("lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "ec2.amazonaws.com",
                    "cloudtrail.amazonaws.com", "autoscaling.amazonaws.com"):
        sessions.append(Session(service, AWS, {"type": "AWSService", "invokedBy": service},
                                (service,), (service,), 0.5))
    broker_id = account.extra["legacy-reports_id"]
    sessions.append(Session("analyst", FEDERATED, {
        "type": "FederatedUser", "principalId": f"{account.account_id}:analyst",
        "arn": f"arn:aws:sts::{account.account_id}:federated-user/analyst", "accountId": account.account_id,
        "accessKeyId": ids.key("ASIA"), "sessionContext": {
            "sessionIssuer": {"type": "IAMUser", "principalId": broker_id,
                              "arn": f"arn:aws:iam::{account.account_id}:user/legacy-reports",
                              "accountId": account.account_id, "userName": "legacy-reports"},
            "webIdFederationData": {}, "attributes": {"creationDate": created, "mfaAuthenticated": "false"}}},
        account.nat_ips[:1], CLI_AGENTS[2:], 0.1))
    return sessions
