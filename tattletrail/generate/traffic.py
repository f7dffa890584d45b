"""Background traffic: who calls what, when in the day, and how often it fails.

Per account, region and day, every (session, call) pair the catalogue allows gets a weight; one
`Random.choices` draw per five-minute slot picks that slot's calls. People follow office hours and
weekends, machines run around the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tattletrail.generate.catalogue import CATALOGUE, ApiCall, Context
from tattletrail.generate.identities import AWS, HUMAN, SERVICE, WORKLOAD, Session
from tattletrail.generate.records import (access_denied, api_record, console_login, event_time, is_internal,
                                          record_template, service_event)

HOME_REGION = "us-east-1"
# Share of a person's daily calls in each UTC hour: European mornings, American afternoons, quiet nights.
OFFICE_HOURS = (0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.5, 1.2, 2.0, 2.4, 2.5, 2.3, 2.0, 2.4, 2.6, 2.6,
                2.4, 2.2, 1.8, 1.4, 1.0, 0.7, 0.45, 0.25)
WEEKEND = 0.15
HUMAN_SHARE = 0.35  # of a working day's calls; machines make the rest
ERROR_RATE = {HUMAN: 0.035, "ci": 0.03, WORKLOAD: 0.01, SERVICE: 0.015, AWS: 0.002, "federated": 0.03, "oidc": 0.01}
THROTTLED = {"ec2": ("Client.RequestLimitExceeded", "Request limit exceeded.")}
DEFAULT_THROTTLED = ("ThrottlingException", "Rate exceeded")
# "MM:SSZ" for every second of each five-minute slot of an hour: eventTimes by concatenation.
_SUFFIXES = [[f"{slot * 5 + second // 60:02d}:{second % 60:02d}Z" for second in range(300)] for slot in range(12)]


@dataclass(slots=True)
class Pair:
    """A session and a call it makes, with what follows from the two: the region it is logged in,
    and its record templates (one per user agent of the session, made on first use)."""

    session: Session
    call: ApiCall
    region: str
    templates: list[dict[str, Any] | None]


@dataclass(slots=True)
class Mix:
    """The weighted (session, call) pairs of one account, region and kind of caller, for one day."""

    pairs: list[Pair]
    cumulative: list[float]

    def __bool__(self) -> bool:
        return bool(self.pairs)


def build_mix(sessions: list[Session], region: str, humans: bool) -> Mix:
    pairs: list[Pair] = []
    cumulative: list[float] = []
    total = 0.0
    for session in sessions:
        if (session.kind == HUMAN) != humans:
            continue
        for call in CATALOGUE:
            if session.kind not in call.callers or (call.is_global and region != HOME_REGION):
                continue
            if session.from_console and call.service in ("sts", "ssm") and call.name != "GetCallerIdentity":
                continue
            total += session.weight * call.weight
            logged_in = HOME_REGION if call.is_global else region
            pairs.append(Pair(session, call, logged_in, [None] * len(session.user_agents)))
            cumulative.append(total)
    return Mix(pairs, cumulative)


def hourly_weight(moment: datetime) -> float:
    """How busy people are at this hour, relative to the daily average (1.0)."""
    factor = OFFICE_HOURS[moment.hour] * 24 / sum(OFFICE_HOURS)
    return factor * WEEKEND if moment.weekday() >= 5 else factor


def machine_weight(moment: datetime) -> float:
    """Machines run all week; at weekends batch jobs make up for the people who are away, so that a
    day holds about the events asked for whatever its weekday (benchmarks rely on the total)."""
    if moment.weekday() >= 5:
        return (1 - HUMAN_SHARE * WEEKEND) / (1 - HUMAN_SHARE)
    return 1.0


def background_records(context: Context, mix: Mix, count: int, slot: datetime, first: int, span: int,
                       gap: tuple[str, str] | None = None) -> list[dict[str, Any]]:
    """`count` calls drawn from `mix` at seconds first..first+span of the five-minute `slot`, in time order.

    Calls that fall inside `gap` (while the trail was stopped) are dropped, as CloudTrail drops them.
    """
    if count <= 0 or not mix:
        return []
    rng = context.rng
    random = rng.random
    picks = rng.choices(mix.pairs, cum_weights=mix.cumulative, k=count)
    offsets = sorted(first + int(random() * span) for _ in range(count))
    prefix = f"{slot:%Y-%m-%dT%H:}"
    suffixes = _SUFFIXES[slot.minute // 5]
    records = []
    for pair, offset in zip(picks, offsets):
        time = prefix + suffixes[offset]
        if gap is not None and gap[0] < time < gap[1]:
            continue
        records.append(_call_record(context, pair, time))
    return records


def _call_record(context: Context, pair: Pair, time: str) -> dict[str, Any]:
    """One call's record: a copy of its template with this call's time, address, parameters and ids.

    A failed call (a few percent) is built field by field instead, since its fields differ.
    """
    session, call = pair.session, pair.call
    random = context.rng.random
    agents = session.user_agents
    agent = 0 if len(agents) == 1 else int(random() * len(agents))
    context.session = session
    parameters = call.parameters(context) if call.parameters is not None else None
    if random() < ERROR_RATE[session.kind]:
        return _failed_call(context, pair, agents[agent], time, parameters)
    template = pair.templates[agent]
    if template is None:
        template = pair.templates[agent] = record_template(
            session, context.account, service=call.service, name=call.name, region=pair.region,
            read_only=call.read_only, user_agent=agents[agent], internal=is_internal(session, agents[agent]),
            resources=call.resources is not None, additional=call.service == "s3")
    record = template.copy()
    record["eventTime"] = time
    if record["sourceIPAddress"] is None:
        ips = session.source_ips
        record["sourceIPAddress"] = ips[0] if len(ips) == 1 else ips[int(random() * len(ips))]
    record["requestParameters"] = parameters
    if call.service == "s3":
        record["additionalEventData"], record["requestID"] = _s3_extras(context)
        record["eventID"] = context.ids.uuid()
    else:
        record["requestID"], record["eventID"] = context.ids.uuid_pair()
    if call.response is not None:
        response = call.response(context)
        if "requestId" in response:  # EC2 repeats the request id in its response
            response["requestId"] = record["requestID"]
        record["responseElements"] = response
    if call.resources is not None:
        record["resources"] = call.resources(context)
    return record


def _failed_call(context: Context, pair: Pair, agent: str, time: str, parameters: Any) -> dict[str, Any]:
    session, call = pair.session, pair.call
    error = _error(context, session, call, parameters)
    resources = call.resources(context) if call.resources is not None else None
    additional = request_id = None
    if call.service == "s3":
        additional, request_id = _s3_extras(context)
    return api_record(context.ids, session, context.account, service=call.service, name=call.name,
                      region=pair.region, time=time, read_only=call.read_only, parameters=parameters,
                      user_agent=agent, error=error, resources=resources, additional=additional,
                      request_id=request_id)


def _error(context: Context, session: Session, call: ApiCall, parameters: Any) -> tuple[str, str]:
    draw = context.rng.random()
    if call.not_found is not None and draw < 0.4:
        code, message = call.not_found
        named = next((value for value in (parameters or {}).values() if isinstance(value, str)), "")
        return code, message.format(named)
    if draw < 0.7 and session.kind not in (AWS, SERVICE):
        arn = session.identity.get("arn", "")
        return access_denied(call.service, call.name, arn)
    return THROTTLED.get(call.service, DEFAULT_THROTTLED)


def _s3_extras(context: Context) -> tuple[dict[str, Any], str]:
    """S3 logs request details of its own, and 16-character request ids instead of UUIDs."""
    pool = context.assets.s3_request_details
    return pool[int(context.rng.random() * len(pool))], f"{context.rng.getrandbits(64):016X}"


def daily_records(context: Context, sessions: list[Session], day: datetime) -> list[dict[str, Any]]:
    """Once-a-day events of one account: IAM users signing in to the console (MFA on; now and then a
    mistyped password first), and a KMS key rotated by AWS itself."""
    rng = context.rng
    account = context.account
    records = []
    for session in sessions:
        identity = session.identity
        if not (session.from_console and identity.get("type") == "IAMUser"):
            continue
        created = datetime.fromisoformat(identity["sessionContext"]["attributes"]["creationDate"][:-1])
        signin_identity = {key: identity[key] for key in ("type", "principalId", "arn", "accountId", "userName")}
        source_ip, user_agent = session.source_ips[0], session.user_agents[0]
        if rng.random() < 0.25:
            records.append(console_login(context.ids, account, signin_identity, source_ip=source_ip,
                                         user_agent=user_agent, success=False, mfa_used=False,
                                         time=event_time(created - timedelta(seconds=rng.randrange(20, 90)))))
        records.append(console_login(
            context.ids, account, signin_identity, time=event_time(created), source_ip=source_ip,
            user_agent=user_agent, success=True, mfa_used=True,
            mfa_identifier=f"arn:aws:iam::{account.account_id}:mfa/{identity['userName']}"))
    moment = day + timedelta(seconds=rng.randrange(86_400))
    key = f"arn:aws:kms:{context.region}:{account.account_id}:key/{context.assets.kms_keys[1]}"
    records.append(service_event(context.ids, account, service="kms", name="RotateKey", region=context.region,
                                 time=event_time(moment), details={"keyId": key.rsplit("/", 1)[1]},
                                 resources=[{"accountId": account.account_id, "type": "AWS::KMS::Key", "ARN": key}]))
    return records
