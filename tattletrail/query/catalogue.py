"""Which field names exist, known without looking at a store: the field catalogue.

A name is known when the OpenSearch mapping in mappings/ names it (the derived fields, the
record fields we map), when it is a CloudTrail record field documented by AWS (`CLOUDTRAIL_FIELDS`),
or when it lies inside a free-form payload (`OPEN_OBJECTS`: requestParameters, responseElements,
… hold whatever each API puts there, so any path beneath them is allowed). A store's sample can't
answer this: a field that is rare (one event in a million) is missing from any sample, and a
misspelt one is missing from all of them.

    CATALOGUE.known("eventNmae")      # False
    CATALOGUE.suggest("eventNmae")    # ["eventName"]

`check validate` rejects a check naming an unknown field with this; `search` and `count` warn.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from tattletrail.query.fields import Kind, closest_fields, mapped_kinds
from tattletrail.query.tree import Node, fields_of

# CloudTrail record fields (the "CloudTrail record contents" and "userIdentity element" pages of
# the AWS CloudTrail User Guide), by dotted path. Objects are listed with their leaves.
CLOUDTRAIL_FIELDS = (
    "eventVersion", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent",
    "errorCode", "errorMessage", "requestParameters", "responseElements", "additionalEventData", "requestID",
    "eventID", "eventType", "apiVersion", "managementEvent", "readOnly", "recipientAccountId",
    "serviceEventDetails", "sharedEventID", "vpcEndpointId", "vpcEndpointAccountId", "eventCategory",
    "sessionCredentialFromConsole", "edgeDeviceDetails", "insightDetails",
    "resources", "resources.ARN", "resources.accountId", "resources.type",
    "addendum", "addendum.reason", "addendum.updatedFields", "addendum.originalRequestID",
    "addendum.originalEventID",
    "tlsDetails", "tlsDetails.tlsVersion", "tlsDetails.cipherSuite", "tlsDetails.clientProvidedHostHeader",
    "userIdentity", "userIdentity.type", "userIdentity.principalId", "userIdentity.arn",
    "userIdentity.accountId", "userIdentity.accessKeyId", "userIdentity.userName", "userIdentity.invokedBy",
    "userIdentity.identityProvider", "userIdentity.credentialId",
    "userIdentity.onBehalfOf", "userIdentity.onBehalfOf.userId", "userIdentity.onBehalfOf.identityStoreArn",
    "userIdentity.inScopeOf", "userIdentity.inScopeOf.issuerType", "userIdentity.inScopeOf.credentialsIssuedTo",
    "userIdentity.sessionContext", "userIdentity.sessionContext.sourceIdentity",
    "userIdentity.sessionContext.ec2RoleDelivery", "userIdentity.sessionContext.ec2IssuedInVPC",
    "userIdentity.sessionContext.assumedRoot",
    "userIdentity.sessionContext.attributes", "userIdentity.sessionContext.attributes.creationDate",
    "userIdentity.sessionContext.attributes.mfaAuthenticated",
    "userIdentity.sessionContext.sessionIssuer", "userIdentity.sessionContext.sessionIssuer.type",
    "userIdentity.sessionContext.sessionIssuer.principalId", "userIdentity.sessionContext.sessionIssuer.arn",
    "userIdentity.sessionContext.sessionIssuer.accountId", "userIdentity.sessionContext.sessionIssuer.userName",
    "userIdentity.sessionContext.webIdFederationData",
    "userIdentity.sessionContext.webIdFederationData.federatedProvider",
    "userIdentity.sessionContext.webIdFederationData.attributes",
)

# Payloads whose inside is up to each API: any path beneath them is a field.
OPEN_OBJECTS = ("requestParameters", "responseElements", "additionalEventData", "serviceEventDetails",
                "edgeDeviceDetails", "insightDetails", "userIdentity.sessionContext.webIdFederationData.attributes")


@dataclass(frozen=True)
class FieldCatalogue:
    """The known field names: exact paths, and the open objects any sub-path of which is known."""

    exact: frozenset[str]
    open_objects: tuple[str, ...]

    def known(self, name: str) -> bool:
        return name in self.exact or any(name.startswith(root + ".") for root in self.open_objects)

    def suggest(self, name: str, count: int = 3) -> list[str]:
        """The nearest known names to a misspelt one (a sub-path of an open object is matched
        within its object: `requestParameters.bucketNmae` → nothing to say, it is known)."""
        return closest_fields(name, sorted(self.exact), count)

    def unknown_in(self, tree: Node) -> list[tuple[str, int]]:
        """(field, column) of every field the query names that is not known, in query order."""
        return [(name, column) for name, column in fields_of(tree) if not self.known(name)]

    def problem(self, name: str) -> str | None:
        """None for a known field; else `unknown field 'eventNmae' (did you mean 'eventName'?)`."""
        if self.known(name):
            return None
        close = self.suggest(name)
        hint = f" (did you mean {' or '.join(repr(found) for found in close)}?)" if close else ""
        return f"unknown field {name!r}{hint}: no mapping in mappings/ or CloudTrail record field has it"


@cache
def catalogue() -> FieldCatalogue:
    """The one catalogue, built from mappings/ once per process."""
    kinds = mapped_kinds()
    flat = tuple(path for path, kind in kinds.items() if kind is Kind.FLAT)
    return FieldCatalogue(frozenset(kinds) | frozenset(CLOUDTRAIL_FIELDS),
                          tuple(dict.fromkeys((*OPEN_OBJECTS, *flat))))


__all__ = ["CLOUDTRAIL_FIELDS", "OPEN_OBJECTS", "FieldCatalogue", "catalogue"]
