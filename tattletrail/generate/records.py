"""One CloudTrail record, field by field in the order AWS writes them.

Background traffic and incidents both build their records here, so an incident looks exactly like
the traffic around it except for what makes it an incident.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tattletrail.generate.identities import Account, Ids, Session

EVENT_VERSION = "1.09"
TLS_CIPHER = "TLS_AES_128_GCM_SHA256"
# Services whose single endpoint lives in us-east-1: their events are logged there, whatever the caller's region.
GLOBAL_SERVICES = ("iam", "sts", "cloudfront", "organizations", "signin")
_TLS: dict[tuple[str, str], dict[str, str]] = {}


def tls_details(host: str, version: str = "TLSv1.3") -> dict[str, str]:
    """Shared per host: the same small dict in thousands of records costs nothing to build."""
    key = (host, version)
    found = _TLS.get(key)
    if found is None:
        cipher = TLS_CIPHER if version == "TLSv1.3" else "ECDHE-RSA-AES128-GCM-SHA256"
        found = _TLS[key] = {"tlsVersion": version, "cipherSuite": cipher, "clientProvidedHostHeader": host}
    return found


def endpoint(service: str, region: str) -> str:
    if service in ("iam", "cloudfront", "organizations"):
        return f"{service}.amazonaws.com"
    if service == "sts" and region == "us-east-1":
        return "sts.amazonaws.com"
    if service == "s3":
        return f"s3.{region}.amazonaws.com"
    return f"{service}.{region}.amazonaws.com"


def event_time(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%S}Z"


def record_template(session: Session, account: Account, *, service: str, name: str, region: str,
                    read_only: bool, user_agent: str, internal: bool = False, error: bool = False,
                    resources: bool = False, additional: bool = False,
                    tls: dict[str, str] | None = None) -> dict[str, Any]:
    """An AwsApiCall record with its per-call fields (time, ids, parameters...) still to fill in.

    The one place that knows CloudTrail's field order. Background traffic copies a template per
    event (a flat dict copy keeps the order) instead of building 20-odd fields each time.
    """
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": session.identity,
        "eventTime": None,
        "eventSource": f"{service}.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "AWS Internal" if internal else None,
        "userAgent": user_agent,
        "errorCode": None,
        "errorMessage": None,
        "requestParameters": None,
        "responseElements": None,
        "additionalEventData": None,
        "requestID": None,
        "eventID": None,
        "readOnly": read_only,
        "resources": None,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account.account_id,
        "eventCategory": "Management",
        "tlsDetails": tls or tls_details(endpoint(service, region)),
        "sessionCredentialFromConsole": "true",
    }
    if not error:
        del record["errorCode"], record["errorMessage"]
    if not additional:
        del record["additionalEventData"]
    if not resources:
        del record["resources"]
    if session.kind == "aws" or internal:
        del record["tlsDetails"]
    if not session.from_console:
        del record["sessionCredentialFromConsole"]
    return record


def is_internal(session: Session, user_agent: str) -> bool:
    """Console pages that call AWS from AWS's side log `AWS Internal` as the caller's address."""
    return session.from_console and user_agent == "AWS Internal"


def api_record(ids: Ids, session: Session, account: Account, *, service: str, name: str, region: str,
               time: str, read_only: bool, parameters: Any, response: Any = None,
               source_ip: str | None = None, user_agent: str | None = None,
               error: tuple[str, str] | None = None, resources: list[dict[str, str]] | None = None,
               additional: dict[str, Any] | None = None, request_id: str | None = None,
               tls: dict[str, str] | None = None) -> dict[str, Any]:
    """An AwsApiCall record as CloudTrail writes it; `source_ip`/`user_agent` default to the session's."""
    random = ids.rng.random
    if user_agent is None:
        agents = session.user_agents
        user_agent = agents[0] if len(agents) == 1 else agents[int(random() * len(agents))]
    internal = is_internal(session, user_agent)
    if source_ip is None and not internal:
        ips = session.source_ips
        source_ip = ips[0] if len(ips) == 1 else ips[int(random() * len(ips))]
    record = record_template(session, account, service=service, name=name, region=region, read_only=read_only,
                             user_agent=user_agent, internal=internal, error=error is not None,
                             resources=resources is not None, additional=additional is not None, tls=tls)
    record["eventTime"] = time
    if not internal:
        record["sourceIPAddress"] = source_ip
    if error is not None:
        record["errorCode"], record["errorMessage"] = error
    else:
        record["responseElements"] = response
    record["requestParameters"] = parameters
    if additional is not None:
        record["additionalEventData"] = additional
    record["requestID"] = request_id or ids.uuid()
    record["eventID"] = ids.uuid()
    if resources is not None:
        record["resources"] = resources
    return record


def console_login(ids: Ids, account: Account, identity: dict[str, Any], *, time: str, source_ip: str,
                  user_agent: str, success: bool, mfa_used: bool, mfa_identifier: str | None = None,
                  region: str = "us-east-1") -> dict[str, Any]:
    """A ConsoleLogin: signin events carry no requestID and say Success/Failure in responseElements."""
    additional: dict[str, Any] = {
        "LoginTo": "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state="
                   f"hashArgsFromTB_{region}_{ids.hex(16)}",
        "MobileVersion": "No",
        "MFAUsed": "Yes" if mfa_used else "No",
    }
    if mfa_used and mfa_identifier:
        additional["MFAIdentifier"] = mfa_identifier
    record: dict[str, Any] = {
        "eventVersion": "1.09" if identity.get("type") != "Root" else "1.08",
        "userIdentity": identity,
        "eventTime": time,
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": region,
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
    }
    if not success:
        record["errorMessage"] = "Failed authentication"
    record["requestParameters"] = None
    record["responseElements"] = {"ConsoleLogin": "Success" if success else "Failure"}
    record["additionalEventData"] = additional
    record["eventID"] = ids.uuid()
    record["readOnly"] = False
    record["eventType"] = "AwsConsoleSignIn"
    record["managementEvent"] = True
    record["recipientAccountId"] = account.account_id
    record["eventCategory"] = "Management"
    record["tlsDetails"] = tls_details("signin.aws.amazon.com")
    return record


def service_event(ids: Ids, account: Account, *, service: str, name: str, region: str, time: str,
                  resources: list[dict[str, str]], details: dict[str, Any]) -> dict[str, Any]:
    """An AwsServiceEvent: AWS acting on its own (a key rotation), no caller, no request."""
    return {
        "eventVersion": "1.08",
        "userIdentity": {"accountId": account.account_id, "invokedBy": f"{service}.amazonaws.com"},
        "eventTime": time,
        "eventSource": f"{service}.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": f"{service}.amazonaws.com",
        "userAgent": f"{service}.amazonaws.com",
        "requestParameters": None,
        "responseElements": None,
        "eventID": ids.uuid(),
        "readOnly": False,
        "resources": resources,
        "eventType": "AwsServiceEvent",
        "managementEvent": True,
        "recipientAccountId": account.account_id,
        "serviceEventDetails": details,
        "eventCategory": "Management",
    }


def access_denied(service: str, action: str, arn: str, resource: str | None = None) -> tuple[str, str]:
    """The error code and message each service really uses for a denied call."""
    because = f"because no identity-based policy allows the {service}:{action} action"
    if service == "ec2":
        return ("Client.UnauthorizedOperation", "You are not authorized to perform this operation. "
                f"User: {arn} is not authorized to perform: {service}:{action} {because}")
    code = "AccessDeniedException" if service in ("kms", "secretsmanager", "ssm", "lambda", "logs") else "AccessDenied"
    target = f" on resource: {resource}" if resource else ""
    return code, f"User: {arn} is not authorized to perform: {service}:{action}{target} {because}"
