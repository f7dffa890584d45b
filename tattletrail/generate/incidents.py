"""The eight incidents a trail carries, each exactly once, all in the last 24 hours before `end`.

Each is built from the same record builders as the background, so only what makes it an incident
sets it apart. The background catalogue never produces these patterns, which lets a test (or a
detection rule under test) expect exactly one hit per incident.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from tattletrail.event import actor_of
from tattletrail.generate.assets import Assets
from tattletrail.generate.identities import (CLI_AGENTS, CONSOLE_AGENTS, Account, Ids, Session,
                                             iam_user_identity, sso_identity)
from tattletrail.generate.records import access_denied, api_record, console_login, event_time

KINDS = ("default-route-deleted", "ingress-open-to-world", "iam-user-created", "console-login-without-mfa",
         "root-activity", "new-region-activity", "cloudtrail-stopped", "access-denied-burst")
NEW_REGION = "ap-southeast-3"  # no generated account ever uses it outside the incident
ROUTE_TIME = (16, 42, 7)
ENUMERATION_AGENT = ("Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.5.0-kali3-amd64 md/arch#x86_64 "
                     "lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.0")
# The calls an enumeration script tries, one after another, with a stolen key.
ENUMERATION = (("iam", "ListUsers"), ("iam", "ListRoles"), ("iam", "ListPolicies"),
               ("iam", "GetAccountAuthorizationDetails"), ("ec2", "DescribeInstances"),
               ("ec2", "DescribeSecurityGroups"), ("ec2", "DescribeSnapshots"), ("s3", "ListBuckets"),
               ("secretsmanager", "ListSecrets"), ("kms", "ListKeys"), ("lambda", "ListFunctions20150331"),
               ("ssm", "DescribeParameters"), ("dynamodb", "ListTables"), ("rds", "DescribeDBInstances"),
               ("organizations", "DescribeOrganization"))


@dataclass(frozen=True, slots=True)
class Incident:
    """One injected incident, named by its first tell-tale event."""

    kind: str
    eventID: str
    eventName: str
    eventTime: str
    actor: str
    account: str
    region: str
    sourceIPAddress: str
    resource: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(slots=True)
class IncidentPlan:
    incidents: list[Incident]
    records: list[dict[str, Any]]
    trail_gap: tuple[str, str]  # eventTimes between StopLogging and StartLogging: nothing is logged


# `make demo` reports on the last 24 hours minutes after the trail ends: the deletion stays at least
# this far inside them, so it is on the report whenever the demo runs.
ROUTE_MARGIN = timedelta(hours=1)


def route_moment(end: datetime) -> datetime:
    """16:42:07 UTC on the last day if that is before `end`, else the day before; but when that is
    within ROUTE_MARGIN of leaving the last 24 hours (a trail ending 15:42–16:42), ROUTE_MARGIN
    before the end."""
    moment = end.replace(hour=ROUTE_TIME[0], minute=ROUTE_TIME[1], second=ROUTE_TIME[2], microsecond=0)
    if moment >= end:
        moment -= timedelta(days=1)
    if moment < end - timedelta(days=1) + ROUTE_MARGIN:
        moment = (end - ROUTE_MARGIN).replace(second=ROUTE_TIME[2], microsecond=0)
    return moment


def plan_incidents(ids: Ids, accounts: list[Account], assets: list[Assets], end: datetime,
                   trail_arn: str) -> IncidentPlan:
    rng = ids.rng
    route = route_moment(end)
    hours = [hour for hour in range(2, 24) if abs((end - timedelta(hours=hour) - route).total_seconds()) > 5400]
    moments = [end - timedelta(hours=hour) + timedelta(seconds=rng.randrange(0, 2400))
               for hour in rng.sample(hours, len(KINDS) - 1)]
    production = min(1, len(accounts) - 1)
    other = len(accounts) - 1
    builder = _Builder(ids, trail_arn)
    builder.default_route_deleted(accounts[production], assets[production], route)
    builder.ingress_open_to_world(accounts[production], assets[production], moments[0])
    builder.iam_user_created(accounts[other], moments[1])
    builder.console_login_without_mfa(accounts[0], moments[2])
    builder.root_activity(accounts[0], moments[3])
    builder.new_region_activity(accounts[production], moments[4])
    builder.cloudtrail_stopped(accounts[0], moments[5])
    builder.access_denied_burst(accounts[production], moments[6])
    return IncidentPlan(builder.incidents, builder.records, builder.gap)


class _Builder:
    def __init__(self, ids: Ids, trail_arn: str) -> None:
        self.ids = ids
        self.trail_arn = trail_arn
        self.incidents: list[Incident] = []
        self.records: list[dict[str, Any]] = []
        self.gap = ("", "")

    def _add(self, kind: str, records: list[dict[str, Any]], resource: str, index: int = 0) -> None:
        self.records.extend(records)
        first = records[index]
        identity = first["userIdentity"]
        self.incidents.append(Incident(
            kind=kind, eventID=first["eventID"], eventName=first["eventName"], eventTime=first["eventTime"],
            actor=actor_of(identity, first), account=first["recipientAccountId"], region=first["awsRegion"],
            sourceIPAddress=first["sourceIPAddress"], resource=resource))

    def _user(self, account: Account, name: str, ips: tuple[str, ...], agents: tuple[str, ...]) -> Session:
        person = next((person for person in account.people if person.user_name == name), None)
        if person:
            user_id, key = person.user_id, person.user_key
        else:
            user_id, key = account.extra.get(f"{name}_id") or self.ids.key("AIDA", 17), self.ids.key("AKIA")
        return Session(name, "human", iam_user_identity(account, name, user_id, key), ips, agents, 1.0)

    def _admin(self, account: Account, moment: datetime, ip: str, index: int = 0) -> Session:
        people = [person for person in account.people if person.permission_set == "AdministratorAccess"] or account.people
        person = people[index % len(people)]
        created = event_time(moment - timedelta(minutes=self.ids.rng.randrange(5, 50)))
        identity = sso_identity(account, person, self.ids.key("ASIA"), created)
        return Session(identity["arn"].split("/", 1)[1], "human", identity, (ip,), CLI_AGENTS[1:2], 1.0)

    def default_route_deleted(self, account: Account, assets: Assets, moment: datetime) -> None:
        session = self._user(account, "DOE1", ("203.0.113.7",), CLI_AGENTS[:1])
        request_id = self.ids.uuid()
        table = assets.route_tables[0]
        record = api_record(self.ids, session, account, service="ec2", name="DeleteRoute", region=account.regions[1],
                            time=event_time(moment), read_only=False, request_id=request_id,
                            parameters={"routeTableId": table, "destinationCidrBlock": "0.0.0.0/0"},
                            response={"requestId": request_id, "_return": True})
        self._add("default-route-deleted", [record], table)

    def ingress_open_to_world(self, account: Account, assets: Assets, moment: datetime) -> None:
        session = self._admin(account, moment, "198.51.100.23")
        group = assets.security_groups[1]
        request_id = self.ids.uuid()
        permission = {"ipProtocol": "-1", "groups": {}, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]},
                      "ipv6Ranges": {"items": [{"cidrIpv6": "::/0"}]}, "prefixListIds": {}}
        rules = [{"groupOwnerId": account.account_id, "groupId": group, "securityGroupRuleId": self.ids.resource_id("sgr"),
                  "isEgress": False, "ipProtocol": "-1", "fromPort": -1, "toPort": -1, **cidr}
                 for cidr in ({"cidrIpv4": "0.0.0.0/0"}, {"cidrIpv6": "::/0"})]
        record = api_record(self.ids, session, account, service="ec2", name="AuthorizeSecurityGroupIngress",
                            region=account.regions[0], time=event_time(moment), read_only=False, request_id=request_id,
                            parameters={"groupId": group, "ipPermissions": {"items": [permission]}},
                            response={"requestId": request_id, "_return": True,
                                      "securityGroupRuleSet": {"items": rules}})
        self._add("ingress-open-to-world", [record], group)

    def iam_user_created(self, account: Account, moment: datetime) -> None:
        session = self._admin(account, moment, "192.0.2.44")
        name = "backup-admin"
        created = f"{moment:%b} {moment.day}, {moment:%Y}, {moment:%I:%M:%S %p}".replace(" 0", " ")
        user_id = self.ids.key("AIDA", 17)
        create = api_record(self.ids, session, account, service="iam", name="CreateUser", region="us-east-1",
                            time=event_time(moment), read_only=False, parameters={"userName": name},
                            response={"user": {"path": "/", "userName": name, "userId": user_id, "createDate": created,
                                               "arn": f"arn:aws:iam::{account.account_id}:user/{name}"}})
        later = moment + timedelta(seconds=38)
        key = api_record(self.ids, session, account, service="iam", name="CreateAccessKey", region="us-east-1",
                         time=event_time(later), read_only=False, parameters={"userName": name},
                         response={"accessKey": {"userName": name, "accessKeyId": self.ids.key("AKIA"),
                                                 "status": "Active", "createDate": created}})
        self._add("iam-user-created", [create, key], name)

    def console_login_without_mfa(self, account: Account, moment: datetime) -> None:
        person = next((person for person in account.people if person.user_name), None)
        name = person.user_name if person and person.user_name else "finance-reports"
        session = self._user(account, name, ("198.51.100.77",), CONSOLE_AGENTS[:1])
        identity = {key: value for key, value in session.identity.items() if key != "accessKeyId"}
        record = console_login(self.ids, account, identity, time=event_time(moment), source_ip="198.51.100.77",
                               user_agent=CONSOLE_AGENTS[1], success=True, mfa_used=False)
        self._add("console-login-without-mfa", [record], f"arn:aws:iam::{account.account_id}:user/{name}")

    def root_activity(self, account: Account, moment: datetime) -> None:
        root_arn = f"arn:aws:iam::{account.account_id}:root"
        signin = {"type": "Root", "principalId": account.account_id, "arn": root_arn,
                  "accountId": account.account_id, "accessKeyId": ""}
        ip, agent = "203.0.113.99", CONSOLE_AGENTS[0]
        records = [console_login(self.ids, account, signin, time=event_time(moment), source_ip=ip, user_agent=agent,
                                 success=True, mfa_used=True, mfa_identifier=f"arn:aws:iam::{account.account_id}:mfa/root-account-mfa-device")]
        identity = {**signin, "accessKeyId": self.ids.key("ASIA"), "sessionContext": {
            "sessionIssuer": {}, "webIdFederationData": {},
            "attributes": {"creationDate": event_time(moment), "mfaAuthenticated": "true"}}}
        session = Session("root", "root", identity, (ip,), (agent,), 1.0, from_console=True)
        for seconds, name in ((41, "GetAccountSummary"), (58, "ListMFADevices"), (95, "ListAccessKeys")):
            records.append(api_record(self.ids, session, account, service="iam", name=name, region="us-east-1",
                                      time=event_time(moment + timedelta(seconds=seconds)), read_only=True,
                                      parameters=None))
        self._add("root-activity", records, root_arn)

    def new_region_activity(self, account: Account, moment: datetime) -> None:
        session = self._user(account, "legacy-reports", ("192.0.2.200",), (ENUMERATION_AGENT,))
        ids = self.ids
        instances = [ids.resource_id("i") for _ in range(4)]
        image, subnet, vpc = ids.resource_id("ami"), ids.resource_id("subnet"), ids.resource_id("vpc")
        request_id = ids.uuid()
        launched = int(moment.timestamp() * 1000)
        items = [{"instanceId": instance, "imageId": image, "instanceState": {"code": 0, "name": "pending"},
                  "privateDnsName": f"ip-172-31-{index + 10}-{index * 7 + 20}.{NEW_REGION}.compute.internal",
                  "amiLaunchIndex": index, "productCodes": {}, "instanceType": "c6i.8xlarge", "launchTime": launched,
                  "placement": {"availabilityZone": f"{NEW_REGION}a", "tenancy": "default"},
                  "monitoring": {"state": "disabled"}, "subnetId": subnet, "vpcId": vpc,
                  "privateIpAddress": f"172.31.{index + 10}.{index * 7 + 20}",
                  "stateReason": {"code": "pending", "message": "pending"}, "architecture": "x86_64",
                  "rootDeviceType": "ebs", "rootDeviceName": "/dev/xvda", "blockDeviceMapping": {},
                  "virtualizationType": "hvm", "hypervisor": "xen", "sourceDestCheck": True,
                  "groupSet": {"items": [{"groupId": ids.resource_id("sg"), "groupName": "default"}]},
                  "ebsOptimized": True, "enaSupport": True, "cpuOptions": {"coreCount": 16, "threadsPerCore": 2},
                  "metadataOptions": {"state": "pending", "httpTokens": "optional", "httpPutResponseHopLimit": 1,
                                      "httpEndpoint": "enabled"}}
                 for index, instance in enumerate(instances)]
        run = api_record(ids, session, account, service="ec2", name="RunInstances", region=NEW_REGION,
                         time=event_time(moment), read_only=False, request_id=request_id,
                         parameters={"instancesSet": {"items": [{"imageId": image, "minCount": 4, "maxCount": 4}]},
                                     "instanceType": "c6i.8xlarge", "blockDeviceMapping": {},
                                     "monitoring": {"enabled": False}, "disableApiTermination": False,
                                     "disableApiStop": False, "clientToken": ids.uuid()},
                         response={"requestId": request_id, "reservationId": ids.resource_id("r"),
                                   "ownerId": account.account_id, "groupSet": {}, "instancesSet": {"items": items}})
        describe = api_record(ids, session, account, service="ec2", name="DescribeInstances", region=NEW_REGION,
                              time=event_time(moment + timedelta(seconds=47)), read_only=True,
                              parameters={"instancesSet": {"items": [{"instanceId": i} for i in instances]},
                                          "filterSet": {}})
        self._add("new-region-activity", [run, describe], instances[0])

    def cloudtrail_stopped(self, account: Account, moment: datetime) -> None:
        stop = api_record(self.ids, self._admin(account, moment, "198.51.100.23"), account, service="cloudtrail",
                          name="StopLogging", region="us-east-1", time=event_time(moment), read_only=False,
                          parameters={"name": self.trail_arn})
        restarted = moment + timedelta(minutes=7, seconds=12)
        responder = self._admin(account, restarted, account.people[-1].home_ips[0], index=1)
        start = api_record(self.ids, responder, account, service="cloudtrail", name="StartLogging",
                           region="us-east-1", time=event_time(restarted), read_only=False,
                           parameters={"name": self.trail_arn})
        self.gap = (stop["eventTime"], start["eventTime"])
        self._add("cloudtrail-stopped", [stop, start], self.trail_arn)

    def access_denied_burst(self, account: Account, moment: datetime) -> None:
        session = self._user(account, "ci-legacy", ("198.51.100.200",), (ENUMERATION_AGENT,))
        arn = session.identity["arn"]
        records = [api_record(self.ids, session, account, service="sts", name="GetCallerIdentity",
                              region="us-east-1", time=event_time(moment), read_only=True, parameters=None)]
        for index in range(30):
            service, name = ENUMERATION[index % len(ENUMERATION)]
            error = ("AccessDenied", "Access Denied") if service == "s3" else access_denied(service, name, arn)
            records.append(api_record(self.ids, session, account, service=service, name=name, region="us-east-1",
                                      time=event_time(moment + timedelta(seconds=3 + index * 4)),
                                      read_only=True, parameters=None, error=error))
        self._add("access-denied-burst", records, arn, index=1)
