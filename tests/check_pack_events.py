"""CloudTrail records for the check pack: for each shipped check, what its query must match and the
look-alikes it must not (a read-only Describe, a failed call, another resource type, another
service with the same event name, a non-root, an MFA sign-in, a private CIDR...).

Records are shaped as CloudTrail writes them (field order, userIdentity blocks, requestParameters
as EC2, IAM, S3, KMS, Organizations and sign-in log them), like tattletrail/generate/records.py.
A few are real records from ../shared/corpora. eventIDs are readable so a failure names the case.
"""

from __future__ import annotations

import json
from typing import Any

from tests.cloudtrail_files import corpus_records

Record = dict[str, Any]
ACCOUNT = "111122223333"
TIME = "2025-03-11T16:42:07Z"
CLI = ("aws-cli/2.22.4 md/awscrt#0.23.1 ua/2.0 os/linux#6.8.0-48-generic md/arch#x86_64 lang/python#3.12.7 "
       "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off")
BROWSER = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/131.0.0.0 Safari/537.36")

DOE1 = {"type": "IAMUser", "principalId": "AIDAQ3EGQKJ5DOE1EXAMP", "arn": f"arn:aws:iam::{ACCOUNT}:user/DOE1",
        "accountId": ACCOUNT, "accessKeyId": "AKIAQ3EGQKJ5DOE1EXAM", "userName": "DOE1"}
DOE1_CONSOLE = {key: value for key, value in DOE1.items() if key != "accessKeyId"}
ALICE_SSO = {
    "type": "AssumedRole", "principalId": "AROAQ3EGQKJ5ADMINROLE:alice@example.com",
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_AdministratorAccess_1a2b3c4d5e6f7a8b/alice@example.com",
    "accountId": ACCOUNT, "accessKeyId": "ASIAQ3EGQKJ5ALICESSO",
    "sessionContext": {"sessionIssuer": {
        "type": "Role", "principalId": "AROAQ3EGQKJ5ADMINROLE",
        "arn": f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
               "AWSReservedSSO_AdministratorAccess_1a2b3c4d5e6f7a8b",
        "accountId": ACCOUNT, "userName": "AWSReservedSSO_AdministratorAccess_1a2b3c4d5e6f7a8b"},
        "webIdFederationData": {}, "attributes": {"creationDate": "2025-03-11T16:05:31Z", "mfaAuthenticated": "false"}},
}
LEGACY_REPORTS = {"type": "IAMUser", "principalId": "AIDAQ3EGQKJ5LEGACYRP", "accountId": ACCOUNT,
                  "arn": f"arn:aws:iam::{ACCOUNT}:user/legacy-reports", "accessKeyId": "AKIAQ3EGQKJ5LEGACYRP",
                  "userName": "legacy-reports"}
ROOT_SIGNIN = {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT,
               "accessKeyId": ""}
ROOT_CONSOLE = {**ROOT_SIGNIN, "accessKeyId": "ASIAQ3EGQKJ5ROOTSESS", "sessionContext": {
    "sessionIssuer": {}, "webIdFederationData": {},
    "attributes": {"creationDate": "2025-03-11T16:40:12Z", "mfaAuthenticated": "true"}}}
# Root's own credentials used by a service on its behalf (a stack root deployed): not root at the keyboard.
ROOT_VIA_CLOUDFORMATION = {**ROOT_CONSOLE, "invokedBy": "cloudformation.amazonaws.com"}
LOG_DELIVERY = {"type": "AWSService", "invokedBy": "delivery.logs.amazonaws.com"}


def api_call(event_id: str, name: str, service: str, identity: dict[str, Any], parameters: Any = None, *,
             response: Any = None, error: tuple[str, str] | None = None, region: str = "eu-west-1",
             read_only: bool = False, ip: str = "198.51.100.23", agent: str = CLI,
             resources: list[dict[str, str]] | None = None, source: str | None = None,
             additional: dict[str, Any] | None = None, data_event: bool = False) -> Record:
    """An AwsApiCall record, field by field in CloudTrail's order."""
    record: Record = {"eventVersion": "1.09", "userIdentity": identity, "eventTime": TIME,
                      "eventSource": source or f"{service}.amazonaws.com", "eventName": name, "awsRegion": region,
                      "sourceIPAddress": ip, "userAgent": agent}
    if error:
        record["errorCode"], record["errorMessage"] = error
    record["requestParameters"] = parameters
    record["responseElements"] = None if error else response
    if additional is not None:
        record["additionalEventData"] = additional
    record["requestID"] = f"req-{event_id}"
    record["eventID"] = event_id
    record["readOnly"] = read_only
    if resources is not None:
        record["resources"] = resources
    record["eventType"] = "AwsApiCall"
    record["managementEvent"] = not data_event
    record["recipientAccountId"] = ACCOUNT
    record["eventCategory"] = "Data" if data_event else "Management"
    if service != "signin":
        record["tlsDetails"] = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                                "clientProvidedHostHeader": f"{service}.{region}.amazonaws.com"}
    return record


def service_event(event_id: str, name: str, service: str, region: str = "eu-west-1",
                  resources: list[dict[str, str]] | None = None, details: Any = None) -> Record:
    """An AwsServiceEvent: AWS acting on its own, no caller."""
    return {"eventVersion": "1.08", "userIdentity": {"accountId": ACCOUNT, "invokedBy": f"{service}.amazonaws.com"},
            "eventTime": TIME, "eventSource": f"{service}.amazonaws.com", "eventName": name, "awsRegion": region,
            "sourceIPAddress": f"{service}.amazonaws.com", "userAgent": f"{service}.amazonaws.com",
            "requestParameters": None, "responseElements": None, "eventID": event_id, "readOnly": False,
            "resources": resources or [], "eventType": "AwsServiceEvent", "managementEvent": True,
            "recipientAccountId": ACCOUNT, "serviceEventDetails": details, "eventCategory": "Management"}


def console_login(event_id: str, identity: dict[str, Any], *, success: bool, mfa: bool,
                  ip: str = "203.0.113.7") -> Record:
    """A ConsoleLogin: logged in us-east-1, no requestID, Success/Failure in responseElements."""
    additional = {"LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
                  "MobileVersion": "No", "MFAUsed": "Yes" if mfa else "No"}
    if mfa:
        additional["MFAIdentifier"] = f"arn:aws:iam::{ACCOUNT}:mfa/{identity.get('userName', 'root-account-mfa-device')}"
    record: Record = {"eventVersion": "1.08" if identity["type"] == "Root" else "1.09", "userIdentity": identity,
                      "eventTime": TIME, "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
                      "awsRegion": "us-east-1", "sourceIPAddress": ip, "userAgent": BROWSER}
    if not success:
        record["errorMessage"] = "Failed authentication"
    record.update({"requestParameters": None, "responseElements": {"ConsoleLogin": "Success" if success else "Failure"},
                   "additionalEventData": additional, "eventID": event_id, "readOnly": False,
                   "eventType": "AwsConsoleSignIn", "managementEvent": True, "recipientAccountId": ACCOUNT,
                   "eventCategory": "Management"})
    return record


def corpus_record(corpus: str, event_name: str) -> Record:
    """The first real record of that event in a corpus file."""
    return next(record for record in corpus_records(corpus) if record.get("eventName") == event_name)


def _denied(service: str, action: str, arn: str) -> tuple[str, str]:
    if service == "ec2":
        return ("Client.UnauthorizedOperation", "You are not authorized to perform this operation. User: "
                f"{arn} is not authorized to perform: ec2:{action} because no identity-based policy allows it")
    code = "AccessDeniedException" if service in ("kms", "organizations") else "AccessDenied"
    return code, f"User: {arn} is not authorized to perform: {service}:{action}"


# ---- EC2: security groups -------------------------------------------------------------------

SG, SG_OTHER, VPC = "sg-0a1b2c3d4e5f60718", "sg-0f9e8d7c6b5a49382", "vpc-0c0ffee1234567890"


def permission(protocol: str = "tcp", port: int = 22, *, ipv4: tuple[str, ...] = (), ipv6: tuple[str, ...] = (),
               prefix_lists: tuple[str, ...] = (), groups: tuple[str, ...] = ()) -> dict[str, Any]:
    """One item of ipPermissions as EC2 logs it: empty collections are `{}`, full ones `{"items": [...]}`."""
    def items(key: str, values: tuple[str, ...]) -> dict[str, Any]:
        return {"items": [{key: value} for value in values]} if values else {}
    return {"ipProtocol": protocol, "fromPort": port, "toPort": port,
            "groups": items("groupId", groups), "ipRanges": items("cidrIp", ipv4),
            "ipv6Ranges": items("cidrIpv6", ipv6), "prefixListIds": items("prefixListId", prefix_lists)}


def sg_rule_call(event_id: str, name: str, *permissions: dict[str, Any], error: tuple[str, str] | None = None,
                 identity: dict[str, Any] = ALICE_SSO) -> Record:
    rules = [{"groupOwnerId": ACCOUNT, "groupId": SG, "securityGroupRuleId": f"sgr-0{index:016x}",
              "isEgress": "Egress" in name, "ipProtocol": item["ipProtocol"], "fromPort": item["fromPort"],
              "toPort": item["toPort"]} for index, item in enumerate(permissions)]
    response = {"requestId": f"req-{event_id}", "_return": True}
    if name.startswith("Authorize"):
        response["securityGroupRuleSet"] = {"items": rules}
    return api_call(event_id, name, "ec2", identity, {"groupId": SG, "ipPermissions": {"items": list(permissions)}},
                    response=response, error=error)


def modify_rule(event_id: str, rule: dict[str, Any]) -> Record:
    """ModifySecurityGroupRules: newer EC2 calls log their request wrapped, in the API's own capitals."""
    parameters = {"ModifySecurityGroupRulesRequest": {"GroupId": SG, "SecurityGroupRule": {
        "SecurityGroupRuleId": "sgr-0123456789abcdef0", "SecurityGroupRule": rule, "tag": 1}}}
    return api_call(event_id, "ModifySecurityGroupRules", "ec2", ALICE_SSO, parameters,
                    response={"ModifySecurityGroupRulesResponse": {"requestId": f"req-{event_id}", "return": True,
                                                                   "xmlns": "http://ec2.amazonaws.com/doc/2016-11-15/"}})


INGRESS_WORLD_SSH = sg_rule_call("ingress-world-ssh", "AuthorizeSecurityGroupIngress", permission(ipv4=("0.0.0.0/0",)))
INGRESS_WORLD_IPV6 = sg_rule_call("ingress-world-ipv6", "AuthorizeSecurityGroupIngress",
                                  permission(port=443, ipv6=("::/0",)))
INGRESS_WORLD_IN_SECOND_RULE = sg_rule_call("ingress-world-in-second-rule", "AuthorizeSecurityGroupIngress",
                                            permission(port=5432, ipv4=("10.0.0.0/8",)),
                                            permission(protocol="-1", port=-1, ipv4=("172.16.0.0/12", "0.0.0.0/0")))
# The older single-rule form of the call (CidrIp, IpProtocol, FromPort, ToPort at the top level).
INGRESS_WORLD_SINGLE_RULE_FORM = api_call(
    "ingress-world-single-rule-form", "AuthorizeSecurityGroupIngress", "ec2", DOE1,
    {"groupId": SG, "ipPermissions": {}, "ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389, "cidrIp": "0.0.0.0/0"},
    response={"requestId": "req-ingress-world-single-rule-form", "_return": True})
MODIFY_RULE_TO_WORLD = modify_rule("modify-rule-to-world", {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                                            "CidrIpv4": "0.0.0.0/0", "Description": "temp debug"})
MODIFY_RULE_PRIVATE = modify_rule("modify-rule-private", {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                                          "CidrIpv4": "10.1.0.0/16"})
INGRESS_PRIVATE = sg_rule_call("ingress-private-10-8", "AuthorizeSecurityGroupIngress", permission(ipv4=("10.0.0.0/8",)),
                               identity=DOE1)
INGRESS_ONE_HOST = sg_rule_call("ingress-one-host", "AuthorizeSecurityGroupIngress",
                                permission(ipv4=("203.0.113.7/32",), ipv6=("2001:db8:1::7/128",)))
INGRESS_PREFIX_LIST = sg_rule_call("ingress-prefix-list", "AuthorizeSecurityGroupIngress",
                                   permission(port=443, prefix_lists=("pl-0a1b2c3d4e5f60718",)))
INGRESS_FROM_GROUP = sg_rule_call("ingress-from-group", "AuthorizeSecurityGroupIngress",
                                  permission(port=8080, groups=(SG_OTHER,)))
INGRESS_WORLD_DUPLICATE = sg_rule_call(
    "ingress-world-duplicate", "AuthorizeSecurityGroupIngress", permission(ipv4=("0.0.0.0/0",)),
    error=("Client.InvalidPermission.Duplicate",
           'the specified rule "peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW" already exists'))
INGRESS_WORLD_DRY_RUN = sg_rule_call("ingress-world-dry-run", "AuthorizeSecurityGroupIngress",
                                     permission(ipv4=("0.0.0.0/0",)),
                                     error=("Client.DryRunOperation", "Request would have succeeded, but DryRun flag is set."))
INGRESS_WORLD_DENIED = sg_rule_call("ingress-world-denied", "AuthorizeSecurityGroupIngress",
                                    permission(ipv4=("0.0.0.0/0",)),
                                    error=_denied("ec2", "AuthorizeSecurityGroupIngress", DOE1["arn"]), identity=DOE1)
EGRESS_WORLD = sg_rule_call("egress-world", "AuthorizeSecurityGroupEgress", permission(port=443, ipv4=("0.0.0.0/0",)))
REVOKE_WORLD = sg_rule_call("revoke-ingress-world", "RevokeSecurityGroupIngress", permission(ipv4=("0.0.0.0/0",)))
CREATE_SECURITY_GROUP = api_call("create-security-group", "CreateSecurityGroup", "ec2", ALICE_SSO,
                                 {"groupName": "web-public", "groupDescription": "web tier", "vpcId": VPC},
                                 response={"requestId": "req-create-security-group", "_return": True, "groupId": SG})
DELETE_SECURITY_GROUP = api_call("delete-security-group", "DeleteSecurityGroup", "ec2", ALICE_SSO, {"groupId": SG_OTHER},
                                 response={"requestId": "req-delete-security-group", "_return": True})
DESCRIBE_SECURITY_GROUPS = corpus_record("otrf-ec2-proxy-s3-exfiltration.jsonl", "DescribeSecurityGroups")

# ---- EC2: routes, NACLs, gateways, VPCs -----------------------------------------------------------

RTB, RTB_ASSOC = "rtb-0b5e4d3c2a1f09876", "rtbassoc-0d1e2f3a4b5c6d7e8"
DELETE_DEFAULT_ROUTE = api_call("delete-default-route", "DeleteRoute", "ec2", DOE1,
                                {"routeTableId": RTB, "destinationCidrBlock": "0.0.0.0/0"}, ip="203.0.113.7",
                                response={"requestId": "req-delete-default-route", "_return": True})
REPLACE_ROUTE = api_call("replace-route", "ReplaceRoute", "ec2", ALICE_SSO,
                         {"routeTableId": RTB, "destinationCidrBlock": "0.0.0.0/0", "instanceId": "i-0123456789abcdef0"},
                         response={"requestId": "req-replace-route", "_return": True})
DELETE_ROUTE_TABLE = api_call("delete-route-table", "DeleteRouteTable", "ec2", ALICE_SSO, {"routeTableId": RTB},
                              response={"requestId": "req-delete-route-table", "_return": True})
REPLACE_ROUTE_TABLE_ASSOCIATION = api_call(
    "replace-route-table-association", "ReplaceRouteTableAssociation", "ec2", ALICE_SSO,
    {"associationId": RTB_ASSOC, "routeTableId": RTB},
    response={"requestId": "req-replace-route-table-association", "newAssociationId": "rtbassoc-0aa1bb2cc3dd4ee5f",
              "associationState": {"state": "associated"}})
DISASSOCIATE_ROUTE_TABLE = api_call("disassociate-route-table", "DisassociateRouteTable", "ec2", ALICE_SSO,
                                    {"associationId": RTB_ASSOC},
                                    response={"requestId": "req-disassociate-route-table", "_return": True})
CREATE_ROUTE = api_call("create-route", "CreateRoute", "ec2", ALICE_SSO,
                        {"routeTableId": RTB, "destinationCidrBlock": "10.20.0.0/16", "gatewayId": "igw-0123abcd4567ef890"},
                        response={"requestId": "req-create-route", "_return": True})
CREATE_ROUTE_TABLE = api_call("create-route-table", "CreateRouteTable", "ec2", ALICE_SSO, {"vpcId": VPC},
                              response={"requestId": "req-create-route-table", "routeTable": {
                                  "routeTableId": RTB, "vpcId": VPC, "ownerId": ACCOUNT,
                                  "routeSet": {"items": [{"destinationCidrBlock": "10.0.0.0/16", "gatewayId": "local",
                                                          "state": "active", "origin": "CreateRouteTable"}]},
                                  "associationSet": {}, "propagatingVgwSet": {}, "tagSet": {}}})
DELETE_PRIVATE_ROUTE = api_call("delete-private-route", "DeleteRoute", "ec2", ALICE_SSO,
                                {"routeTableId": RTB, "destinationCidrBlock": "10.77.0.0/16"},
                                response={"requestId": "req-delete-private-route", "_return": True})
DELETE_ROUTE_DENIED = api_call("delete-route-denied", "DeleteRoute", "ec2", LEGACY_REPORTS,
                               {"routeTableId": RTB, "destinationCidrBlock": "0.0.0.0/0"},
                               error=_denied("ec2", "DeleteRoute", LEGACY_REPORTS["arn"]))
DESCRIBE_ROUTE_TABLES = api_call("describe-route-tables", "DescribeRouteTables", "ec2", DOE1,
                                 {"routeTableIdSet": {}, "filterSet": {"items": [{"name": "vpc-id", "valueSet": {
                                     "items": [{"value": VPC}]}}]}}, read_only=True)
# API Gateway (HTTP and WebSocket APIs) has its own CreateRoute and DeleteRoute.
APIGATEWAY_DELETE_ROUTE = api_call("apigateway-delete-route", "DeleteRoute", "apigateway", ALICE_SSO,
                                   {"apiId": "a1b2c3d4e5", "routeId": "0abc123"})
APIGATEWAY_CREATE_ROUTE = api_call("apigateway-create-route", "CreateRoute", "apigateway", ALICE_SSO,
                                   {"apiId": "a1b2c3d4e5", "routeKey": "GET /orders", "target": "integrations/x1y2z3"},
                                   response={"routeId": "0abc123", "routeKey": "GET /orders"})
DELETE_TRANSIT_GATEWAY_ROUTE = api_call(
    "delete-transit-gateway-route", "DeleteTransitGatewayRoute", "ec2", ALICE_SSO,
    {"DeleteTransitGatewayRouteRequest": {"TransitGatewayRouteTableId": "tgw-rtb-0a1b2c3d4e5f60718",
                                          "DestinationCidrBlock": "10.20.0.0/16"}})

NACL = "acl-0e1d2c3b4a5968778"
CREATE_NETWORK_ACL = api_call("create-network-acl", "CreateNetworkAcl", "ec2", ALICE_SSO, {"vpcId": VPC},
                              response={"requestId": "req-create-network-acl", "networkAcl": {
                                  "networkAclId": NACL, "vpcId": VPC, "default": False, "entrySet": {},
                                  "associationSet": {}, "tagSet": {}, "ownerId": ACCOUNT}})
CREATE_NETWORK_ACL_ENTRY = api_call("create-network-acl-entry", "CreateNetworkAclEntry", "ec2", ALICE_SSO,
                                    {"networkAclId": NACL, "ruleNumber": 100, "egress": False, "ruleAction": "allow",
                                     "icmpTypeCode": {}, "protocol": "6", "portRange": {"from": 22, "to": 22},
                                     "cidrBlock": "0.0.0.0/0"},
                                    response={"requestId": "req-create-network-acl-entry", "_return": True})
DELETE_NETWORK_ACL = api_call("delete-network-acl", "DeleteNetworkAcl", "ec2", ALICE_SSO, {"networkAclId": NACL},
                              response={"requestId": "req-delete-network-acl", "_return": True})
REPLACE_NETWORK_ACL_ASSOCIATION = api_call(
    "replace-network-acl-association", "ReplaceNetworkAclAssociation", "ec2", ALICE_SSO,
    {"associationId": "aclassoc-0a1b2c3d4e5f60718", "networkAclId": NACL},
    response={"requestId": "req-replace-network-acl-association", "newAssociationId": "aclassoc-0f1e2d3c4b5a69788"})
DESCRIBE_NETWORK_ACLS = api_call("describe-network-acls", "DescribeNetworkAcls", "ec2", DOE1,
                                 {"networkAclIdSet": {}, "filterSet": {}}, read_only=True)

IGW = "igw-0123abcd4567ef890"
CREATE_INTERNET_GATEWAY = api_call("create-internet-gateway", "CreateInternetGateway", "ec2", ALICE_SSO, {},
                                   response={"requestId": "req-create-internet-gateway", "internetGateway": {
                                       "internetGatewayId": IGW, "ownerId": ACCOUNT, "attachmentSet": {},
                                       "tagSet": {}}})
ATTACH_INTERNET_GATEWAY = api_call("attach-internet-gateway", "AttachInternetGateway", "ec2", ALICE_SSO,
                                   {"internetGatewayId": IGW, "vpcId": VPC},
                                   response={"requestId": "req-attach-internet-gateway", "_return": True})
DETACH_INTERNET_GATEWAY = api_call("detach-internet-gateway", "DetachInternetGateway", "ec2", ALICE_SSO,
                                   {"internetGatewayId": IGW, "vpcId": VPC},
                                   response={"requestId": "req-detach-internet-gateway", "_return": True})
CREATE_CUSTOMER_GATEWAY = api_call("create-customer-gateway", "CreateCustomerGateway", "ec2", ALICE_SSO,
                                   {"type": "ipsec.1", "ipAddress": "198.51.100.10", "bgpAsn": 65000},
                                   response={"requestId": "req-create-customer-gateway", "customerGateway": {
                                       "customerGatewayId": "cgw-0a1b2c3d4e5f60718", "state": "available",
                                       "type": "ipsec.1", "ipAddress": "198.51.100.10", "bgpAsn": "65000"}})
DESCRIBE_INTERNET_GATEWAYS = api_call("describe-internet-gateways", "DescribeInternetGateways", "ec2", DOE1,
                                      {"internetGatewayIdSet": {}, "filterSet": {}}, read_only=True)
CREATE_NAT_GATEWAY = api_call("create-nat-gateway", "CreateNatGateway", "ec2", ALICE_SSO,
                              {"CreateNatGatewayRequest": {"SubnetId": "subnet-0a1b2c3d4e5f60718",
                                                           "AllocationId": "eipalloc-0a1b2c3d4e5f60718",
                                                           "ClientToken": "2f1c9d7e-7b1e-4d6a-9a8b-0c1d2e3f4a5b"}})

CREATE_VPC = api_call("create-vpc", "CreateVpc", "ec2", ALICE_SSO,
                      {"cidrBlock": "10.50.0.0/16", "instanceTenancy": "default", "amazonProvidedIpv6CidrBlock": False},
                      response={"requestId": "req-create-vpc", "vpc": {"vpcId": "vpc-0abc50", "state": "pending",
                                                                       "cidrBlock": "10.50.0.0/16"}})
DELETE_VPC = api_call("delete-vpc", "DeleteVpc", "ec2", ALICE_SSO, {"vpcId": VPC},
                      response={"requestId": "req-delete-vpc", "_return": True})
MODIFY_VPC_ATTRIBUTE = api_call("modify-vpc-attribute", "ModifyVpcAttribute", "ec2", ALICE_SSO,
                                {"vpcId": VPC, "enableDnsHostnames": {"value": True}},
                                response={"requestId": "req-modify-vpc-attribute", "_return": True})
CREATE_VPC_PEERING = api_call("create-vpc-peering", "CreateVpcPeeringConnection", "ec2", ALICE_SSO,
                              {"vpcId": VPC, "peerVpcId": "vpc-0feed0987654321ab", "peerOwnerId": "444455556666"},
                              response={"requestId": "req-create-vpc-peering", "vpcPeeringConnection": {
                                  "vpcPeeringConnectionId": "pcx-0a1b2c3d4e5f60718"}})
ACCEPT_VPC_PEERING = api_call("accept-vpc-peering", "AcceptVpcPeeringConnection", "ec2", ALICE_SSO,
                              {"vpcPeeringConnectionId": "pcx-0a1b2c3d4e5f60718"},
                              response={"requestId": "req-accept-vpc-peering", "vpcPeeringConnection": {
                                  "vpcPeeringConnectionId": "pcx-0a1b2c3d4e5f60718"}})
DESCRIBE_VPCS = api_call("describe-vpcs", "DescribeVpcs", "ec2", DOE1, {"vpcSet": {}, "filterSet": {}}, read_only=True)
CREATE_SUBNET = api_call("create-subnet", "CreateSubnet", "ec2", ALICE_SSO,
                         {"vpcId": VPC, "cidrBlock": "10.0.3.0/24", "availabilityZone": "eu-west-1a"},
                         response={"requestId": "req-create-subnet", "subnet": {"subnetId": "subnet-0a1b2c3d4e5f6071c"}})
CREATE_VPC_ENDPOINT = api_call("create-vpc-endpoint", "CreateVpcEndpoint", "ec2", ALICE_SSO,
                               {"CreateVpcEndpointRequest": {"VpcId": VPC, "ServiceName": "com.amazonaws.eu-west-1.s3",
                                                             "VpcEndpointType": "Gateway", "RouteTableId": {
                                                                 "tag": 1, "content": RTB}}})

# ---- Regions -------------------------------------------------------------------------------

RUN_INSTANCES_NEW_REGION = api_call(
    "run-instances-ap-southeast-3", "RunInstances", "ec2", LEGACY_REPORTS, region="ap-southeast-3", ip="192.0.2.200",
    parameters={"instancesSet": {"items": [{"imageId": "ami-0f0e0d0c0b0a09080", "minCount": 4, "maxCount": 4}]},
                "instanceType": "c6i.8xlarge", "blockDeviceMapping": {}, "monitoring": {"enabled": False},
                "disableApiTermination": False, "disableApiStop": False, "clientToken": "c0ffee-1"},
    response={"requestId": "req-run-instances-ap-southeast-3", "reservationId": "r-0a1b2c3d4e5f60718",
              "ownerId": ACCOUNT, "instancesSet": {"items": [{"instanceId": "i-0aa1bb2cc3dd4ee5f",
                                                              "instanceType": "c6i.8xlarge"}]}})
DESCRIBE_INSTANCES_DENIED_SA_EAST_1 = api_call(
    "describe-instances-denied-sa-east-1", "DescribeInstances", "ec2", LEGACY_REPORTS, region="sa-east-1",
    ip="192.0.2.200", read_only=True, parameters={"instancesSet": {}, "filterSet": {}},
    error=_denied("ec2", "DescribeInstances", LEGACY_REPORTS["arn"]))
KEY_ROTATED_BY_AWS_FAR_AWAY = service_event(
    "kms-rotate-key-ap-southeast-3", "RotateKey", "kms", region="ap-southeast-3",
    resources=[{"accountId": ACCOUNT, "type": "AWS::KMS::Key",
                "ARN": f"arn:aws:kms:ap-southeast-3:{ACCOUNT}:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"}],
    details={"keyId": "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"})
# A real record from S3 server access logs re-exported as CSV: no awsRegion at all.
HONEYBUCKET_HEAD_BUCKET = corpus_record("otrf-honeybucket-partial.jsonl", "HeadBucket")

# ---- Denied and failed calls ---------------------------------------------------------------

GET_OBJECT_DENIED = api_call("get-object-denied", "GetObject", "s3", DOE1,
                             {"bucketName": "finance-reports", "Host": "finance-reports.s3.eu-west-1.amazonaws.com",
                              "key": "2025/q1-summary.pdf"}, error=("AccessDenied", "Access Denied"), read_only=True,
                             data_event=True, resources=[
                                 {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::finance-reports/2025/q1-summary.pdf"},
                                 {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::finance-reports"}])
DECRYPT_DENIED = api_call("decrypt-denied", "Decrypt", "kms", LEGACY_REPORTS,
                          {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}, read_only=True,
                          error=_denied("kms", "Decrypt", LEGACY_REPORTS["arn"]))
RUN_INSTANCES_UNAUTHORIZED = api_call(
    "run-instances-unauthorized", "RunInstances", "ec2", LEGACY_REPORTS,
    {"instancesSet": {"items": [{"imageId": "ami-0f0e0d0c0b0a09080", "minCount": 1, "maxCount": 1}]},
     "instanceType": "t3.micro"}, error=_denied("ec2", "RunInstances", LEGACY_REPORTS["arn"]))
# CIS v3.0.0 leaves these two out of 4.1: S3 answers HeadBucket probes with AccessDenied, and the
# log delivery service's denials are configuration noise.
HEAD_BUCKET_DENIED = api_call("head-bucket-denied", "HeadBucket", "s3", DOE1,
                              {"bucketName": "finance-reports", "Host": "finance-reports.s3.eu-west-1.amazonaws.com"},
                              error=("AccessDenied", "Access Denied"), read_only=True)
LOG_DELIVERY_DENIED = api_call("log-delivery-denied", "PutObject", "s3", LOG_DELIVERY,
                               {"bucketName": "central-logs", "Host": "central-logs.s3.eu-west-1.amazonaws.com",
                                "key": f"AWSLogs/{ACCOUNT}/vpcflowlogs/eu-west-1/2025/03/11/flow.log.gz"},
                               error=("AccessDenied", "Access Denied"), ip="delivery.logs.amazonaws.com",
                               agent="delivery.logs.amazonaws.com", data_event=True)
THROTTLED = api_call("describe-instances-throttled", "DescribeInstances", "ec2", DOE1,
                     {"instancesSet": {}, "filterSet": {}}, read_only=True,
                     error=("Client.RequestLimitExceeded", "Request limit exceeded."))
GET_ROLE_NO_SUCH_ENTITY = api_call("get-role-no-such-entity", "GetRole", "iam", DOE1, {"roleName": "old-deployer"},
                                   region="us-east-1", read_only=True,
                                   error=("NoSuchEntityException", "The role with name old-deployer cannot be found."))

# ---- Sign-in and root ----------------------------------------------------------------------

LOGIN_WITHOUT_MFA = console_login("login-without-mfa", DOE1_CONSOLE, success=True, mfa=False, ip="198.51.100.77")
LOGIN_WITH_MFA = console_login("login-with-mfa", DOE1_CONSOLE, success=True, mfa=True)
LOGIN_FAILED = console_login("login-failed", DOE1_CONSOLE, success=False, mfa=False, ip="192.0.2.99")
ROOT_LOGIN_WITH_MFA = console_login("root-login-with-mfa", ROOT_SIGNIN, success=True, mfa=True, ip="203.0.113.99")
ROOT_LOGIN_WITHOUT_MFA = console_login("root-login-without-mfa", ROOT_SIGNIN, success=True, mfa=False, ip="203.0.113.99")
ROOT_LOGIN_FAILED = console_login("root-login-failed", ROOT_SIGNIN, success=False, mfa=False, ip="192.0.2.98")
SWITCH_ROLE = {"eventVersion": "1.08", "userIdentity": {**ALICE_SSO, "accessKeyId": ""}, "eventTime": TIME,
               "eventSource": "signin.amazonaws.com", "eventName": "SwitchRole", "awsRegion": "us-east-1",
               "sourceIPAddress": "203.0.113.7", "userAgent": BROWSER, "requestParameters": None,
               "responseElements": {"SwitchRole": "Success"},
               "additionalEventData": {"SwitchFrom": DOE1["arn"], "RedirectTo": "https://console.aws.amazon.com/"},
               "eventID": "switch-role", "readOnly": False, "eventType": "AwsConsoleSignIn", "managementEvent": True,
               "recipientAccountId": ACCOUNT, "eventCategory": "Management"}
ROOT_GET_ACCOUNT_SUMMARY = api_call("root-get-account-summary", "GetAccountSummary", "iam", ROOT_CONSOLE, region="us-east-1",
                                    read_only=True, ip="203.0.113.99", agent="AWS Internal")
ROOT_CREATE_ACCESS_KEY = api_call("root-create-access-key", "CreateAccessKey", "iam", ROOT_CONSOLE, {}, region="us-east-1",
                                  ip="203.0.113.99", agent=BROWSER,
                                  response={"accessKey": {"accessKeyId": "AKIAQ3EGQKJ5ROOTKEY1", "status": "Active",
                                                          "createDate": "Mar 11, 2025, 4:42:07 PM"}})
ROOT_VIA_CLOUDFORMATION_CREATE_ROLE = api_call(
    "root-via-cloudformation-create-role", "CreateRole", "iam", ROOT_VIA_CLOUDFORMATION,
    {"roleName": "app-stack-LambdaRole-1A2B3C4D", "assumeRolePolicyDocument": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]})},
    region="us-east-1", ip="cloudformation.amazonaws.com", agent="cloudformation.amazonaws.com")

# ---- IAM policies --------------------------------------------------------------------------

ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
ATTACH_ROLE_POLICY = api_call("attach-role-policy", "AttachRolePolicy", "iam", ALICE_SSO,
                              {"roleName": "ci-deployer", "policyArn": ADMIN_POLICY}, region="us-east-1")
PUT_USER_POLICY = api_call("put-user-policy", "PutUserPolicy", "iam", DOE1,
                           {"userName": "DOE1", "policyName": "s3-everything", "policyDocument": DOCUMENT},
                           region="us-east-1")
CREATE_POLICY_VERSION = api_call("create-policy-version", "CreatePolicyVersion", "iam", ALICE_SSO,
                                 {"policyArn": f"arn:aws:iam::{ACCOUNT}:policy/app-access", "policyDocument": DOCUMENT,
                                  "setAsDefault": True}, region="us-east-1",
                                 response={"policyVersion": {"versionId": "v3", "isDefaultVersion": True,
                                                             "createDate": "Mar 11, 2025, 4:42:07 PM"}})
DETACH_GROUP_POLICY = api_call("detach-group-policy", "DetachGroupPolicy", "iam", ALICE_SSO,
                               {"groupName": "auditors", "policyArn": "arn:aws:iam::aws:policy/SecurityAudit"},
                               region="us-east-1")
IAM_CREATE_POLICY = api_call("iam-create-policy", "CreatePolicy", "iam", ALICE_SSO,
                             {"policyName": "app-access", "policyDocument": DOCUMENT, "path": "/"}, region="us-east-1",
                             response={"policy": {"policyName": "app-access", "policyId": "ANPAQ3EGQKJ5APPACCESS",
                                                  "arn": f"arn:aws:iam::{ACCOUNT}:policy/app-access",
                                                  "defaultVersionId": "v1", "attachmentCount": 0,
                                                  "isAttachable": True, "createDate": "Mar 11, 2025, 4:42:07 PM"}})
GET_POLICY = api_call("get-policy", "GetPolicy", "iam", DOE1, {"policyArn": ADMIN_POLICY}, region="us-east-1",
                      read_only=True)
LIST_ATTACHED_ROLE_POLICIES = corpus_record("parser-samples.jsonl", "ListAttachedRolePolicies")
CREATE_USER = corpus_record("parser-samples.jsonl", "CreateUser")

# ---- CloudTrail, Config, KMS, S3 -----------------------------------------------------------

TRAIL = f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/org-trail"
STOP_LOGGING = api_call("stop-logging", "StopLogging", "cloudtrail", ALICE_SSO, {"name": TRAIL})
START_LOGGING = api_call("start-logging", "StartLogging", "cloudtrail", ALICE_SSO, {"name": TRAIL})
DELETE_TRAIL = api_call("delete-trail", "DeleteTrail", "cloudtrail", ALICE_SSO, {"name": TRAIL})
UPDATE_TRAIL = api_call("update-trail", "UpdateTrail", "cloudtrail", ALICE_SSO,
                        {"name": TRAIL, "s3BucketName": "elsewhere-logs", "isMultiRegionTrail": False},
                        response={"name": "org-trail", "s3BucketName": "elsewhere-logs", "isMultiRegionTrail": False,
                                  "trailARN": TRAIL, "logFileValidationEnabled": True})
CREATE_TRAIL = api_call("create-trail", "CreateTrail", "cloudtrail", ALICE_SSO,
                        {"name": "shadow-trail", "s3BucketName": "shadow-logs", "isMultiRegionTrail": True},
                        response={"name": "shadow-trail", "s3BucketName": "shadow-logs",
                                  "trailARN": f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/shadow-trail"})
DESCRIBE_TRAILS = api_call("describe-trails", "DescribeTrails", "cloudtrail", DOE1,
                           {"trailNameList": [], "includeShadowTrails": True}, read_only=True)
GET_TRAIL_STATUS = api_call("get-trail-status", "GetTrailStatus", "cloudtrail", DOE1, {"name": TRAIL}, read_only=True)
LOOKUP_EVENTS = api_call("lookup-events", "LookupEvents", "cloudtrail", DOE1, {"maxResults": 50}, read_only=True)

STOP_CONFIGURATION_RECORDER = api_call("stop-configuration-recorder", "StopConfigurationRecorder", "config", ALICE_SSO,
                                       {"configurationRecorderName": "default"})
DELETE_DELIVERY_CHANNEL = api_call("delete-delivery-channel", "DeleteDeliveryChannel", "config", ALICE_SSO,
                                   {"deliveryChannelName": "default"})
PUT_CONFIGURATION_RECORDER = api_call(
    "put-configuration-recorder", "PutConfigurationRecorder", "config", ALICE_SSO,
    {"configurationRecorder": {"name": "default", "roleARN": f"arn:aws:iam::{ACCOUNT}:role/aws-config-role",
                               "recordingGroup": {"allSupported": False, "includeGlobalResourceTypes": False,
                                                  "resourceTypes": ["AWS::S3::Bucket"]}}})
DESCRIBE_CONFIGURATION_RECORDERS = api_call("describe-configuration-recorders", "DescribeConfigurationRecorders",
                                            "config", DOE1, {}, read_only=True)
START_CONFIGURATION_RECORDER = api_call("start-configuration-recorder", "StartConfigurationRecorder", "config",
                                        ALICE_SSO, {"configurationRecorderName": "default"})

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{KEY_ID}"
KEY_RESOURCES = [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": KEY_ARN}]


def kms_call(event_id: str, name: str, parameters: Any, **fields: Any) -> Record:
    return api_call(event_id, name, "kms", fields.pop("identity", ALICE_SSO), parameters, resources=KEY_RESOURCES,
                    **fields)


SCHEDULE_KEY_DELETION = kms_call("schedule-key-deletion", "ScheduleKeyDeletion",
                                 {"keyId": KEY_ID, "pendingWindowInDays": 7},
                                 response={"keyId": KEY_ARN, "deletionDate": "Mar 18, 2025, 12:00:00 AM",
                                           "keyState": "PendingDeletion", "pendingWindowInDays": 7})
SCHEDULE_KEY_DELETION_DENIED = kms_call("schedule-key-deletion-denied", "ScheduleKeyDeletion",
                                        {"keyId": KEY_ID, "pendingWindowInDays": 7}, identity=LEGACY_REPORTS,
                                        error=_denied("kms", "ScheduleKeyDeletion", LEGACY_REPORTS["arn"]))
DISABLE_KEY = kms_call("disable-key", "DisableKey", {"keyId": KEY_ID})
ENABLE_KEY = kms_call("enable-key", "EnableKey", {"keyId": KEY_ID})
CANCEL_KEY_DELETION = kms_call("cancel-key-deletion", "CancelKeyDeletion", {"keyId": KEY_ID},
                               response={"keyId": KEY_ARN})
DISABLE_KEY_ROTATION = kms_call("disable-key-rotation", "DisableKeyRotation", {"keyId": KEY_ID})
DESCRIBE_KEY = kms_call("describe-key", "DescribeKey", {"keyId": "alias/app-data"}, read_only=True)
# When the waiting period ends, KMS itself deletes the key: an AwsServiceEvent, not a person.
KEY_DELETED_BY_KMS = service_event("kms-delete-key-service-event", "DeleteKey", "kms", resources=KEY_RESOURCES,
                                   details={"keyId": KEY_ID})


def s3_call(event_id: str, name: str, subresource: str | None, extra: dict[str, Any] | None = None,
            **fields: Any) -> Record:
    """Bucket-level S3 calls log the subresource as `"policy": [""]` and Host beside bucketName."""
    parameters: dict[str, Any] = {"bucketName": "finance-reports", "Host": "finance-reports.s3.eu-west-1.amazonaws.com"}
    if subresource:
        parameters[subresource] = [""]
    parameters.update(extra or {})
    return api_call(event_id, name, "s3", fields.pop("identity", DOE1), parameters,
                    additional={"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
                                "bytesTransferredIn": 0, "AuthenticationMethod": "AuthHeader",
                                "x-amz-id-2": "Q2xvdWRUcmFpbA==", "bytesTransferredOut": 0},
                    resources=[{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::finance-reports"}],
                    **fields)


PUBLIC_POLICY = {"Version": "2012-10-17", "Statement": [{"Sid": "Public", "Effect": "Allow", "Principal": "*",
                                                         "Action": "s3:GetObject",
                                                         "Resource": "arn:aws:s3:::finance-reports/*"}]}
PUT_BUCKET_POLICY = s3_call("put-bucket-policy", "PutBucketPolicy", "policy", {"bucketPolicy": PUBLIC_POLICY})
DELETE_BUCKET_POLICY = s3_call("delete-bucket-policy", "DeleteBucketPolicy", "policy")
PUT_BUCKET_ACL = s3_call("put-bucket-acl", "PutBucketAcl", "acl", {"AccessControlPolicy": {
    "AccessControlList": {"Grant": {"Grantee": {"xsi:type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                                    "Permission": "READ"}},
    "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}})
PUT_BUCKET_LIFECYCLE = s3_call("put-bucket-lifecycle", "PutBucketLifecycle", "lifecycle", {"LifecycleConfiguration": {
    "Rule": {"ID": "expire-everything", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}}})
DELETE_BUCKET_CORS = s3_call("delete-bucket-cors", "DeleteBucketCors", "cors")
GET_BUCKET_POLICY = s3_call("get-bucket-policy", "GetBucketPolicy", "policy", read_only=True)
PUT_BUCKET_TAGGING = s3_call("put-bucket-tagging", "PutBucketTagging", "tagging", {"Tagging": {
    "TagSet": {"Tag": {"Key": "owner", "Value": "finance"}}}})
PUT_OBJECT_ACL = s3_call("put-object-acl", "PutObjectAcl", "acl", {"key": "2025/q1-summary.pdf",
                                                                  "x-amz-acl": ["public-read"]}, data_event=True)
HONEYBUCKET_PUT_OBJECT = corpus_record("otrf-honeybucket-partial.jsonl", "PutObject")

# ---- Organizations -------------------------------------------------------------------------

MANAGEMENT = "999988887777"
ORG_ADMIN = {**ALICE_SSO, "accountId": MANAGEMENT,
             "arn": ALICE_SSO["arn"].replace(ACCOUNT, MANAGEMENT)}
SCP = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "organizations:LeaveOrganization",
                                                          "Resource": "*"}]})


def organizations_call(event_id: str, name: str, parameters: Any = None, **fields: Any) -> Record:
    record = api_call(event_id, name, "organizations", fields.pop("identity", ORG_ADMIN), parameters,
                      region="us-east-1", **fields)
    record["recipientAccountId"] = MANAGEMENT
    return record


ORG_CREATE_POLICY = organizations_call(
    "organizations-create-policy", "CreatePolicy",
    {"content": SCP, "description": "nobody leaves", "name": "deny-leave", "type": "SERVICE_CONTROL_POLICY"},
    response={"policy": {"policySummary": {"id": "p-0a1b2c3d", "name": "deny-leave", "type": "SERVICE_CONTROL_POLICY",
                                           "awsManaged": False}, "content": SCP}})
ORG_ATTACH_POLICY = organizations_call("organizations-attach-policy", "AttachPolicy",
                                       {"policyId": "p-0a1b2c3d", "targetId": "ou-ab12-cdef3456"})
ORG_CREATE_ACCOUNT = organizations_call(
    "organizations-create-account", "CreateAccount", {"accountName": "sandbox-2", "roleName": "OrganizationAccountAccessRole"},
    response={"createAccountStatus": {"id": "car-0a1b2c3d4e5f60718", "accountName": "sandbox-2", "state": "IN_PROGRESS"}})
ORG_MOVE_ACCOUNT = organizations_call("organizations-move-account", "MoveAccount",
                                      {"accountId": ACCOUNT, "sourceParentId": "ou-ab12-cdef3456",
                                       "destinationParentId": "r-ab12"})
# A member account leaving: logged in the member account, by the member's own admin.
ORG_LEAVE_ORGANIZATION = api_call("organizations-leave-organization", "LeaveOrganization", "organizations", ALICE_SSO,
                                  region="us-east-1")
ORG_DESCRIBE_ORGANIZATION = organizations_call("organizations-describe-organization", "DescribeOrganization",
                                               read_only=True)
ORG_LIST_ACCOUNTS = organizations_call("organizations-list-accounts", "ListAccounts", read_only=True)


# ---- The table -----------------------------------------------------------------------------

# check name → (records its query must match, look-alikes it must not match).
PACK_CASES: dict[str, tuple[list[Record], list[Record]]] = {
    # Scored by the rule pack at ingest (tests/test_check_pack.py ingests with rules on).
    "high-threat-events": (
        [DELETE_DEFAULT_ROUTE, INGRESS_WORLD_SSH, STOP_LOGGING],
        [DESCRIBE_SECURITY_GROUPS, CREATE_ROUTE, INGRESS_PRIVATE, CREATE_ROUTE_TABLE]),
    "ingress-open-to-world": (
        [INGRESS_WORLD_SSH, INGRESS_WORLD_IPV6, INGRESS_WORLD_IN_SECOND_RULE, INGRESS_WORLD_SINGLE_RULE_FORM,
         MODIFY_RULE_TO_WORLD],
        [INGRESS_PRIVATE, INGRESS_ONE_HOST, INGRESS_PREFIX_LIST, INGRESS_FROM_GROUP, INGRESS_WORLD_DUPLICATE,
         INGRESS_WORLD_DRY_RUN, INGRESS_WORLD_DENIED, EGRESS_WORLD, REVOKE_WORLD, MODIFY_RULE_PRIVATE,
         DESCRIBE_SECURITY_GROUPS, CREATE_NETWORK_ACL_ENTRY]),
    "route-deleted-or-replaced": (
        [DELETE_DEFAULT_ROUTE, REPLACE_ROUTE, DELETE_ROUTE_TABLE, REPLACE_ROUTE_TABLE_ASSOCIATION,
         DISASSOCIATE_ROUTE_TABLE],
        [CREATE_ROUTE, CREATE_ROUTE_TABLE, DESCRIBE_ROUTE_TABLES, DELETE_ROUTE_DENIED, APIGATEWAY_DELETE_ROUTE,
         DELETE_TRANSIT_GATEWAY_ROUTE, DELETE_NETWORK_ACL, DELETE_PRIVATE_ROUTE]),
    "region-not-allowed": (
        [RUN_INSTANCES_NEW_REGION, DESCRIBE_INSTANCES_DENIED_SA_EAST_1],
        [DELETE_DEFAULT_ROUTE, ATTACH_ROLE_POLICY, LOGIN_WITHOUT_MFA, CREATE_VPC, DESCRIBE_SECURITY_GROUPS,
         KEY_ROTATED_BY_AWS_FAR_AWAY, HONEYBUCKET_HEAD_BUCKET]),
    # new_value: the query picks the candidate events; whether a region is new is the checker's job.
    "region-first-use": (
        [RUN_INSTANCES_NEW_REGION, DESCRIBE_INSTANCES_DENIED_SA_EAST_1, DELETE_DEFAULT_ROUTE, LOGIN_WITHOUT_MFA],
        [KEY_ROTATED_BY_AWS_FAR_AWAY, KEY_DELETED_BY_KMS, HONEYBUCKET_HEAD_BUCKET]),
    # Every event keeps this one quiet, even a partial one; an empty window fires it (see the tests).
    "no-cloudtrail-events": (
        [HONEYBUCKET_HEAD_BUCKET, KEY_DELETED_BY_KMS, LOGIN_FAILED, DESCRIBE_SECURITY_GROUPS, INGRESS_WORLD_DENIED],
        []),
    "unauthorized-api-calls": (
        [GET_OBJECT_DENIED, DECRYPT_DENIED, RUN_INSTANCES_UNAUTHORIZED, INGRESS_WORLD_DENIED, DELETE_ROUTE_DENIED,
         DESCRIBE_INSTANCES_DENIED_SA_EAST_1, SCHEDULE_KEY_DELETION_DENIED],
        [HEAD_BUCKET_DENIED, LOG_DELIVERY_DENIED, THROTTLED, GET_ROLE_NO_SUCH_ENTITY, INGRESS_WORLD_DUPLICATE,
         INGRESS_WORLD_DRY_RUN, LOGIN_FAILED, GET_POLICY]),
    "console-login-without-mfa": (
        [LOGIN_WITHOUT_MFA, ROOT_LOGIN_WITHOUT_MFA],
        [LOGIN_WITH_MFA, ROOT_LOGIN_WITH_MFA, SWITCH_ROLE, ROOT_GET_ACCOUNT_SUMMARY, LOGIN_FAILED, ROOT_LOGIN_FAILED]),
    "root-account-usage": (
        [ROOT_LOGIN_WITH_MFA, ROOT_LOGIN_WITHOUT_MFA, ROOT_LOGIN_FAILED, ROOT_GET_ACCOUNT_SUMMARY,
         ROOT_CREATE_ACCESS_KEY],
        [ROOT_VIA_CLOUDFORMATION_CREATE_ROLE, LOGIN_WITHOUT_MFA, ATTACH_ROLE_POLICY, KEY_DELETED_BY_KMS,
         CREATE_USER]),
    "iam-policy-changes": (
        [ATTACH_ROLE_POLICY, PUT_USER_POLICY, CREATE_POLICY_VERSION, DETACH_GROUP_POLICY, IAM_CREATE_POLICY,
         ORG_CREATE_POLICY],
        [GET_POLICY, LIST_ATTACHED_ROLE_POLICIES, CREATE_USER, ROOT_CREATE_ACCESS_KEY, ORG_ATTACH_POLICY]),
    "cloudtrail-config-changes": (
        [STOP_LOGGING, START_LOGGING, DELETE_TRAIL, UPDATE_TRAIL, CREATE_TRAIL],
        [DESCRIBE_TRAILS, GET_TRAIL_STATUS, LOOKUP_EVENTS, STOP_CONFIGURATION_RECORDER]),
    "console-login-failures": (
        [LOGIN_FAILED, ROOT_LOGIN_FAILED],
        [LOGIN_WITHOUT_MFA, LOGIN_WITH_MFA, ROOT_LOGIN_WITH_MFA, SWITCH_ROLE, GET_OBJECT_DENIED]),
    "kms-key-disabled-or-deleted": (
        [SCHEDULE_KEY_DELETION, DISABLE_KEY, SCHEDULE_KEY_DELETION_DENIED],
        [ENABLE_KEY, CANCEL_KEY_DELETION, DISABLE_KEY_ROTATION, DESCRIBE_KEY, DECRYPT_DENIED, KEY_DELETED_BY_KMS,
         KEY_ROTATED_BY_AWS_FAR_AWAY]),
    "s3-bucket-policy-changes": (
        [PUT_BUCKET_POLICY, DELETE_BUCKET_POLICY, PUT_BUCKET_ACL, PUT_BUCKET_LIFECYCLE, DELETE_BUCKET_CORS],
        [GET_BUCKET_POLICY, PUT_BUCKET_TAGGING, PUT_OBJECT_ACL, GET_OBJECT_DENIED, HONEYBUCKET_PUT_OBJECT,
         HEAD_BUCKET_DENIED]),
    "aws-config-changes": (
        [STOP_CONFIGURATION_RECORDER, DELETE_DELIVERY_CHANNEL, PUT_CONFIGURATION_RECORDER],
        [DESCRIBE_CONFIGURATION_RECORDERS, START_CONFIGURATION_RECORDER, STOP_LOGGING]),
    "security-group-changes": (
        [INGRESS_WORLD_SSH, INGRESS_PRIVATE, EGRESS_WORLD, REVOKE_WORLD, CREATE_SECURITY_GROUP, DELETE_SECURITY_GROUP,
         INGRESS_WORLD_DUPLICATE],
        [DESCRIBE_SECURITY_GROUPS, CREATE_NETWORK_ACL, CREATE_NETWORK_ACL_ENTRY, DESCRIBE_ROUTE_TABLES]),
    "nacl-changes": (
        [CREATE_NETWORK_ACL, CREATE_NETWORK_ACL_ENTRY, DELETE_NETWORK_ACL, REPLACE_NETWORK_ACL_ASSOCIATION],
        [DESCRIBE_NETWORK_ACLS, CREATE_SECURITY_GROUP, INGRESS_WORLD_SSH, REPLACE_ROUTE_TABLE_ASSOCIATION]),
    "network-gateway-changes": (
        [CREATE_INTERNET_GATEWAY, ATTACH_INTERNET_GATEWAY, DETACH_INTERNET_GATEWAY, CREATE_CUSTOMER_GATEWAY],
        [DESCRIBE_INTERNET_GATEWAYS, CREATE_NAT_GATEWAY, CREATE_ROUTE, CREATE_VPC]),
    "route-table-changes": (
        [CREATE_ROUTE, DELETE_DEFAULT_ROUTE, REPLACE_ROUTE, CREATE_ROUTE_TABLE, DELETE_ROUTE_TABLE,
         DISASSOCIATE_ROUTE_TABLE, REPLACE_ROUTE_TABLE_ASSOCIATION, DELETE_ROUTE_DENIED, DELETE_PRIVATE_ROUTE],
        [DESCRIBE_ROUTE_TABLES, APIGATEWAY_DELETE_ROUTE, APIGATEWAY_CREATE_ROUTE, DELETE_TRANSIT_GATEWAY_ROUTE,
         REPLACE_NETWORK_ACL_ASSOCIATION]),
    "vpc-changes": (
        [CREATE_VPC, DELETE_VPC, MODIFY_VPC_ATTRIBUTE, CREATE_VPC_PEERING, ACCEPT_VPC_PEERING],
        [DESCRIBE_VPCS, CREATE_SUBNET, CREATE_VPC_ENDPOINT, ATTACH_INTERNET_GATEWAY]),
    "organizations-changes": (
        [ORG_CREATE_POLICY, ORG_ATTACH_POLICY, ORG_CREATE_ACCOUNT, ORG_MOVE_ACCOUNT, ORG_LEAVE_ORGANIZATION],
        [ORG_DESCRIBE_ORGANIZATION, ORG_LIST_ACCOUNTS, IAM_CREATE_POLICY, ATTACH_ROLE_POLICY]),
}


def all_records() -> list[Record]:
    """Every record of the table once (several checks share records)."""
    unique: dict[str, Record] = {}
    for matching, look_alikes in PACK_CASES.values():
        for record in [*matching, *look_alikes]:
            unique.setdefault(record["eventID"], record)
    return list(unique.values())
