"""Attempt versus effect (issue 13, section 1): the same calls as some techniques, refused.

A refused call that would have exposed or handed over something is not the effect: it should
score below what the technique expects of its success (one level lower; the denied-call checks
see the bursts). Trying to blind logging or leave the organization is different: the attempt
itself is the signal, so it keeps at least `medium`. Scored like the rest, totalled apart.
"""

from __future__ import annotations

from tests.attack_benign import Benign
from tests.attack_records import Record, denied_code
from tests.attack_techniques import TECHNIQUES, Technique
from tattletrail.rules import LEVELS

BY_ID = {technique.id: technique for technique in TECHNIQUES}
EXPOSURES = ("exfiltration.ami-make-public", "exfiltration.ec2-share-ebs-snapshot", "exfiltration.rds-share-snapshot",
             "exfiltration.ec2-security-group-open-port-22-ingress", "persistence.iam-create-user-login-profile",
             "privilege-escalation.iam-update-user-login-profile", "persistence.iam-backdoor-role",
             "persistence.lambda-backdoor-function", "persistence.iam-backdoor-user")
BLINDING = ("defense-evasion.cloudtrail-stop", "defense-evasion.cloudtrail-delete",
            "defense-evasion.cloudtrail-event-selectors", "defense-evasion.vpc-remove-flow-logs")


def refused(record: Record) -> Record:
    """The record as CloudTrail writes it when IAM says no: error code and message, no response."""
    service = record["eventSource"].split(".")[0]
    return {**record, "eventID": f"attempt-{record['eventID']}", "errorCode": denied_code(service),
            "errorMessage": f"User: {record['userIdentity']['arn']} is not authorized to perform: "
                            f"{service}:{record['eventName']} because no identity-based policy allows the action",
            "responseElements": None}


def _exposure_attempt(technique: Technique) -> Benign:
    signals = tuple(refused(record) for record in technique.records if record["eventName"] in technique.signal)
    lower = LEVELS[LEVELS.index(technique.level) - 1]
    return Benign(f"attempt.{technique.id.removeprefix('aws.')}", f"Refused: {technique.summary}", signals, lower)


def _blinding_attempt(technique: Technique) -> Technique:
    return Technique(f"attempt.{technique.id.removeprefix('aws.')}", technique.attack, f"Refused: {technique.summary}",
                     tuple(refused(record) for record in technique.records), technique.signal, "medium")


ATTEMPTS: list[Benign | Technique] = [
    *(_exposure_attempt(BY_ID[f"aws.{name}"]) for name in EXPOSURES),
    *(_blinding_attempt(BY_ID[f"aws.{name}"]) for name in BLINDING),
]
