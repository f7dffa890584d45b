"""Realistic CloudTrail records for the rule pack's tests: for every rule, calls it must match and
look-alikes it must not (read-only calls, private CIDRs, decryption off, shares removed, a user
acting on itself, a "*" principal pinned down by a condition, a deploy role instead of a person).
Failed attempts are derived from the matching records in test_rule_pack.py.

CASES: (rule name, whether it matches, record). This file: network, defense evasion, identity,
lateral movement and credential access; rule_pack_changes.py: the rest.
"""

from __future__ import annotations

from typing import Any

from tests.rule_pack_changes import CHANGES
from tests.rule_pack_records import (DOE1, INSTANCE, INSTANCE_ROLE, OTHER_ACCOUNT, ROLE, ROOT, RTB, call, console_login,
                                     denied, ingress, ingress_old_form, modify_rule)

DETECTOR = "12abc34d567e8fa901bc2d34e56789f0"
CONSOLE_AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36"

NETWORK: list[tuple[str, bool, dict[str, Any]]] = [
    ("ingress-admin-open-to-world", True, call("AuthorizeSecurityGroupIngress", "ec2", ingress(["0.0.0.0/0"], protocol="-1"))),
    ("ingress-admin-open-to-world", True, call("AuthorizeSecurityGroupIngress", "ec2", ingress([], ["::/0"], port=22))),
    ("ingress-admin-open-to-world", True, call("ModifySecurityGroupRules", "ec2", modify_rule("0.0.0.0/0", port=3389))),
    ("ingress-admin-open-to-world", True, call("AuthorizeSecurityGroupIngress", "ec2", ingress_old_form("0.0.0.0/0", port=22))),
    ("ingress-admin-open-to-world", True, call("AuthorizeSecurityGroupIngress", "ec2", ingress(["0.0.0.0/0"], port=5432))),
    ("ingress-admin-open-to-world", False, call("AuthorizeSecurityGroupIngress", "ec2", ingress(["0.0.0.0/0"], port=443))),
    ("ingress-admin-open-to-world", False, call("AuthorizeSecurityGroupIngress", "ec2", ingress(["10.0.0.0/8"], port=22))),
    ("ingress-admin-open-to-world", False, call("AuthorizeSecurityGroupIngress", "ec2", ingress_old_form("10.0.0.0/8"))),
    # port 443 from anywhere and port 22 from a private range: web exposure, not SSH to the world
    ("ingress-admin-open-to-world", False, call("AuthorizeSecurityGroupIngress", "ec2", {
        "groupId": "sg-0a1b2c3d4e5f60718", "ipPermissions": {"items": [
            {**ingress(["0.0.0.0/0"])["ipPermissions"]["items"][0]},
            {**ingress(["10.0.0.0/8"], port=22)["ipPermissions"]["items"][0]}]}})),
    ("ingress-open-to-world", True, call("AuthorizeSecurityGroupIngress", "ec2", ingress(["10.0.0.0/16", "0.0.0.0/0"], port=8443))),
    ("ingress-open-to-world", True, call("ModifySecurityGroupRules", "ec2", modify_rule("0.0.0.0/0", port=1194, protocol="udp"))),
    ("ingress-open-to-world", False, call("AuthorizeSecurityGroupIngress", "ec2", ingress(["10.0.0.0/8", "192.168.0.0/16"], ["fd00::/8"]))),
    ("ingress-open-to-world", False, call("RevokeSecurityGroupIngress", "ec2", ingress(["0.0.0.0/0"], port=8443))),
    ("ingress-open-to-world", False, call("AuthorizeSecurityGroupEgress", "ec2", ingress(["0.0.0.0/0"], port=8443))),
    ("ingress-web-open-to-world", True, call("AuthorizeSecurityGroupIngress", "ec2", ingress([], ["::/0"]))),
    ("ingress-web-open-to-world", True, call("ModifySecurityGroupRules", "ec2", modify_rule("0.0.0.0/0"))),
    ("ingress-web-open-to-world", False, call("AuthorizeSecurityGroupIngress", "ec2", ingress(["0.0.0.0/0"], port=22))),
    # the EC2 API's request members (PrefixListId, AddEntry with Cidr), in CloudTrail's Request wrapper
    ("prefix-list-open-to-world", True, call("ModifyManagedPrefixList", "ec2", {"ModifyManagedPrefixListRequest": {
        "PrefixListId": "pl-0a1b2c3d4e5f60718", "CurrentVersion": 3,
        "AddEntry": {"Cidr": "0.0.0.0/0", "Description": "temp", "tag": 1}}})),
    ("prefix-list-open-to-world", False, call("ModifyManagedPrefixList", "ec2", {"ModifyManagedPrefixListRequest": {
        "PrefixListId": "pl-0a1b2c3d4e5f60718", "CurrentVersion": 3, "AddEntry": {"Cidr": "203.0.113.0/24", "tag": 1}}})),
    ("network-acl-open-to-world", True, call("CreateNetworkAclEntry", "ec2", {
        "networkAclId": "acl-0123456789abcdef0", "ruleNumber": 100, "egress": False, "ruleAction": "allow",
        "icmpTypeCode": {}, "portRange": {"from": 22, "to": 22}, "aclProtocol": "6", "cidrBlock": "0.0.0.0/0"})),
    ("network-acl-open-to-world", False, call("CreateNetworkAclEntry", "ec2", {
        "networkAclId": "acl-0123456789abcdef0", "ruleNumber": 100, "egress": True, "ruleAction": "allow",
        "icmpTypeCode": {}, "portRange": {"from": 443, "to": 443}, "aclProtocol": "6", "cidrBlock": "0.0.0.0/0"})),
    ("network-acl-open-to-world", False, call("CreateNetworkAclEntry", "ec2", {
        "networkAclId": "acl-0123456789abcdef0", "ruleNumber": 90, "egress": False, "ruleAction": "deny",
        "icmpTypeCode": {}, "portRange": {"from": 22, "to": 22}, "aclProtocol": "6", "cidrBlock": "0.0.0.0/0"})),
    ("default-route-deleted", True, call("DeleteRoute", "ec2", {"routeTableId": RTB, "destinationCidrBlock": "0.0.0.0/0"},
                                         {"_return": True}, DOE1)),
    ("default-route-deleted", True, call("DeleteRoute", "ec2", {"routeTableId": RTB, "destinationIpv6CidrBlock": "::/0"})),
    ("default-route-deleted", False, call("DeleteRoute", "ec2", {"routeTableId": RTB, "destinationCidrBlock": "10.77.0.0/16"})),
    ("default-route-deleted", False, call("CreateRoute", "ec2", {"routeTableId": RTB, "destinationCidrBlock": "0.0.0.0/0",
                                                                 "gatewayId": "igw-0abc"})),
    ("route-deleted", True, call("DeleteRoute", "ec2", {"routeTableId": RTB, "destinationCidrBlock": "10.77.0.0/16"})),
    ("route-deleted", False, call("DeleteRoute", "ec2", {"routeTableId": RTB, "destinationCidrBlock": "0.0.0.0/0"})),
    ("route-deleted", False, call("DescribeRouteTables", "ec2", {"routeTableIdSet": {"items": [{"routeTableId": RTB}]}},
                                  readOnly=True)),
    ("routing-changed", True, call("ReplaceRoute", "ec2", {"routeTableId": RTB, "destinationCidrBlock": "0.0.0.0/0",
                                                           "natGatewayId": "nat-0abc"})),
    ("routing-changed", True, call("DetachInternetGateway", "ec2", {"internetGatewayId": "igw-0abc", "vpcId": "vpc-0abc"})),
    ("routing-changed", False, call("CreateRoute", "ec2", {"routeTableId": RTB, "destinationCidrBlock": "10.0.0.0/8",
                                                           "transitGatewayId": "tgw-0abc"})),
]

DEFENSE_EVASION: list[tuple[str, bool, dict[str, Any]]] = [
    ("cloudtrail-stopped", True, call("StopLogging", "cloudtrail", {"name": "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail"})),
    ("cloudtrail-stopped", True, call("DeleteTrail", "cloudtrail", {"name": "org-trail"})),
    ("cloudtrail-stopped", False, call("StartLogging", "cloudtrail", {"name": "org-trail"})),
    ("cloudtrail-stopped", False, call("GetTrailStatus", "cloudtrail", {"name": "org-trail"}, readOnly=True)),
    ("cloudtrail-selectors-narrowed", True, call("PutEventSelectors", "cloudtrail", {"trailName": "org-trail", "eventSelectors": [
        {"readWriteType": "ReadOnly", "includeManagementEvents": True, "dataResources": []}]})),
    ("cloudtrail-selectors-narrowed", True, call("PutEventSelectors", "cloudtrail", {"trailName": "org-trail", "eventSelectors": [
        {"readWriteType": "All", "includeManagementEvents": True, "excludeManagementEventSources": ["kms.amazonaws.com"]}]})),
    ("cloudtrail-selectors-narrowed", True, call("PutEventSelectors", "cloudtrail", {"trailName": "org-trail", "advancedEventSelectors": [
        {"name": "writes only", "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]},
                                                   {"field": "readOnly", "equals": ["false"]}]}]})),
    # Adding S3 data events to a trail that keeps every management event weakens nothing.
    ("cloudtrail-selectors-narrowed", False, call("PutEventSelectors", "cloudtrail", {"trailName": "org-trail", "eventSelectors": [
        {"readWriteType": "All", "includeManagementEvents": True, "excludeManagementEventSources": [],
         "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3:::payroll-exports/"]}]}]})),
    ("cloudtrail-selectors-narrowed", False, call("PutEventSelectors", "cloudtrail", {"trailName": "org-trail", "advancedEventSelectors": [
        {"name": "management", "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]},
        {"name": "lambda data", "fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]},
                                                   {"field": "resources.type", "equals": ["AWS::Lambda::Function"]}]}]})),
    ("cloudtrail-modified", False, call("PutEventSelectors", "cloudtrail", {"trailName": "org-trail", "eventSelectors": [
        {"readWriteType": "ReadOnly", "includeManagementEvents": True, "dataResources": []}]})),
    ("cloudtrail-modified", True, call("UpdateTrail", "cloudtrail", {"name": "org-trail", "s3BucketName": "attacker-bucket"})),
    ("cloudtrail-modified", False, call("GetEventSelectors", "cloudtrail", {"trailName": "org-trail"}, readOnly=True)),
    ("flow-logs-deleted", True, call("DeleteFlowLogs", "ec2", {"DeleteFlowLogsRequest": {"FlowLogId": {"tag": 1, "content": "fl-0abc"}}})),
    ("flow-logs-deleted", False, call("CreateFlowLogs", "ec2", {"CreateFlowLogsRequest": {"ResourceId": {"tag": 1, "content": "vpc-0abc"}}})),
    ("guardduty-disabled", True, call("DeleteDetector", "guardduty", {"detectorId": DETECTOR})),
    ("guardduty-disabled", True, call("UpdateDetector", "guardduty", {"detectorId": DETECTOR, "enable": False})),
    ("guardduty-disabled", True, call("DisassociateFromMasterAccount", "guardduty", {"detectorId": DETECTOR})),
    ("guardduty-disabled", False, call("UpdateDetector", "guardduty", {"detectorId": DETECTOR, "enable": True,
                                                                       "findingPublishingFrequency": "FIFTEEN_MINUTES"})),
    ("guardduty-disabled", False, call("ListDetectors", "guardduty", None, readOnly=True)),
    ("guardduty-findings-suppressed", True, call("CreateIPSet", "guardduty", {
        "detectorId": DETECTOR, "name": "office", "format": "TXT", "location": "https://s3.amazonaws.com/bucket/ips.txt",
        "activate": True})),
    ("guardduty-findings-suppressed", True, call("CreateFilter", "guardduty", {
        "detectorId": DETECTOR, "name": "quiet", "action": "ARCHIVE", "findingCriteria": {"criterion": {"severity": {"gte": 1}}}})),
    ("guardduty-findings-suppressed", False, call("CreateFilter", "guardduty", {
        "detectorId": DETECTOR, "name": "triage", "action": "NOOP", "findingCriteria": {"criterion": {"severity": {"gte": 7}}}})),
    ("config-stopped", True, call("StopConfigurationRecorder", "config", {"configurationRecorderName": "default"})),
    ("config-stopped", True, call("DeleteDeliveryChannel", "config", {"deliveryChannelName": "default"})),
    ("config-stopped", False, call("StartConfigurationRecorder", "config", {"configurationRecorderName": "default"})),
    ("security-hub-disabled", True, call("DisableSecurityHub", "securityhub", None)),
    ("security-hub-disabled", True, call("BatchDisableStandards", "securityhub", {"StandardsSubscriptionArns": [
        "arn:aws:securityhub:eu-west-1:111122223333:subscription/cis-aws-foundations-benchmark/v/1.4.0"]})),
    ("security-hub-disabled", False, call("EnableSecurityHub", "securityhub", {"EnableDefaultStandards": True})),
    ("security-hub-findings-suppressed", True, call("BatchUpdateFindings", "securityhub", {
        "FindingIdentifiers": [{"Id": "arn:aws:securityhub:eu-west-1:111122223333:finding/1", "ProductArn": "x"}],
        "Workflow": {"Status": "SUPPRESSED"}})),
    ("security-hub-findings-suppressed", False, call("BatchUpdateFindings", "securityhub", {
        "FindingIdentifiers": [{"Id": "arn:aws:securityhub:eu-west-1:111122223333:finding/1", "ProductArn": "x"}],
        "Workflow": {"Status": "NOTIFIED"}})),
    ("macie-disabled", True, call("DisableMacie", "macie2", None)),
    ("macie-disabled", True, call("UpdateMacieSession", "macie2", {"status": "PAUSED"})),
    ("macie-disabled", False, call("UpdateMacieSession", "macie2", {"status": "ENABLED",
                                                                    "findingPublishingFrequency": "FIFTEEN_MINUTES"})),
    ("detective-disabled", True, call("DeleteGraph", "detective", {"graphArn": "arn:aws:detective:eu-west-1:111122223333:graph:0123"})),
    ("detective-disabled", False, call("ListGraphs", "detective", None, readOnly=True)),
    ("waf-disassociated", True, call("DisassociateWebACL", "wafv2", {
        "resourceArn": "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/shop/50dc6c495c0c9188"})),
    ("waf-disassociated", False, call("AssociateWebACL", "wafv2", {
        "webACLArn": "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/shop/a1b2",
        "resourceArn": "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/shop/50dc6c495c0c9188"})),
    ("resolver-query-logging-deleted", True, call("DeleteResolverQueryLogConfig", "route53resolver", {
        "resolverQueryLogConfigId": "rqlc-8ca61fe7c055415a"})),
    ("resolver-query-logging-deleted", True, call("DisassociateResolverQueryLogConfig", "route53resolver", {
        "resolverQueryLogConfigId": "rqlc-8ca61fe7c055415a", "resourceId": "vpc-0abc"})),
    ("resolver-query-logging-deleted", False, call("AssociateResolverQueryLogConfig", "route53resolver", {
        "resolverQueryLogConfigId": "rqlc-8ca61fe7c055415a", "resourceId": "vpc-0abc"})),
    ("bedrock-invocation-logging-deleted", True, call("DeleteModelInvocationLoggingConfiguration", "bedrock", None)),
    ("bedrock-invocation-logging-deleted", False, call("GetModelInvocationLoggingConfiguration", "bedrock", None,
                                                       readOnly=True)),
    ("log-group-deleted", True, call("DeleteLogGroup", "logs", {"logGroupName": "/aws/lambda/payments"})),
    ("log-group-deleted", False, call("DeleteLogStream", "logs", {"logGroupName": "/aws/lambda/payments",
                                                                  "logStreamName": "2026/11/22/[$LATEST]abc"})),
    # Stratus' bedrock-guardrail-delete and Sigma's rule of the same name.
    ("bedrock-guardrail-deleted", True, call("DeleteGuardrail", "bedrock", {"guardrailIdentifier": "gr-0a1b2c3d4e5f"})),
    ("bedrock-guardrail-deleted", False, call("UpdateGuardrail", "bedrock", {"guardrailIdentifier": "gr-0a1b2c3d4e5f",
                                                                            "name": "support-bot"})),
    ("bedrock-guardrail-deleted", False, call("GetGuardrail", "bedrock", {"guardrailIdentifier": "gr-0a1b2c3d4e5f"},
                                              readOnly=True)),
    ("ebs-default-encryption-disabled", True, call("DisableEbsEncryptionByDefault", "ec2", {
        "DisableEbsEncryptionByDefaultRequest": ""}, {"DisableEbsEncryptionByDefaultResponse": {
            "ebsEncryptionByDefault": False}})),
    ("ebs-default-encryption-disabled", False, call("EnableEbsEncryptionByDefault", "ec2", {
        "EnableEbsEncryptionByDefaultRequest": ""}, {"EnableEbsEncryptionByDefaultResponse": {
            "ebsEncryptionByDefault": True}})),
    ("bedrock-guardrail-deleted", True, call("DeleteModelGuardrail", "bedrock", {"guardrailIdentifier": "gr-0a1b2c3d4e5f"})),
    ("bedrock-guardrail-updated", True, call("UpdateGuardrail", "bedrock", {"guardrailIdentifier": "gr-0a1b2c3d4e5f",
                                                                           "name": "HIDDEN_DUE_TO_SECURITY_REASONS"},
                                             {"guardrailId": "gr-0a1b2c3d4e5f", "version": "DRAFT"})),
    ("bedrock-guardrail-updated", False, call("CreateGuardrailVersion", "bedrock", {"guardrailIdentifier": "gr-0a1b2c3d4e5f"})),
    # Account Management's EnableRegion: an opt-in region switched on.
    ("region-enabled", True, call("EnableRegion", "account", {"RegionName": "me-central-1"}, awsRegion="us-east-1")),
    ("region-enabled", False, call("ListRegions", "account", {"regionOptStatusContains": ["ENABLED"]}, readOnly=True)),
    ("region-enabled", False, call("DisableRegion", "account", {"RegionName": "af-south-1"}, awsRegion="us-east-1")),
    ("log-stream-deleted", True, call("DeleteLogStream", "logs", {"logGroupName": "/aws/lambda/payments",
                                                                  "logStreamName": "2026/11/22/[$LATEST]0a1b2c3d"})),
    ("log-stream-deleted", False, call("DeleteRetentionPolicy", "logs", {"logGroupName": "/aws/lambda/payments"})),
    ("cloudwatch-alarms-silenced", True, call("DeleteAlarms", "monitoring", {"alarmNames": ["root-login", "guardduty-high"]})),
    ("cloudwatch-alarms-silenced", True, call("DisableAlarmActions", "monitoring", {"alarmNames": ["root-login"]})),
    ("cloudwatch-alarms-silenced", False, call("EnableAlarmActions", "monitoring", {"alarmNames": ["root-login"]})),
    ("eventbridge-rule-disabled", True, call("DisableRule", "events", {"name": "guardduty-findings-to-slack"})),
    ("eventbridge-rule-disabled", False, call("EnableRule", "events", {"name": "guardduty-findings-to-slack"})),
    ("eventbridge-rule-deleted", True, call("DeleteRule", "events", {"name": "guardduty-findings-to-slack",
                                                                   "eventBusName": "default"})),
    ("eventbridge-rule-deleted", False, call("PutRule", "events", {"name": "guardduty-findings-to-slack",
                                                                 "eventPattern": "{\"source\":[\"aws.guardduty\"]}"})),
    ("inspector-disabled", True, call("Disable", "inspector2", {"accountIds": ["111122223333"],
                                                               "resourceTypes": ["EC2", "ECR", "LAMBDA"]})),
    ("inspector-disabled", True, call("DisableDelegatedAdminAccount", "inspector2", {
        "delegatedAdminAccountId": OTHER_ACCOUNT})),
    ("inspector-disabled", False, call("Enable", "inspector2", {"accountIds": ["111122223333"], "resourceTypes": ["EC2"]})),
    ("access-analyzer-deleted", True, call("DeleteAnalyzer", "access-analyzer", {"analyzerName": "account-analyzer"})),
    ("access-analyzer-deleted", False, call("CreateAnalyzer", "access-analyzer", {"analyzerName": "account-analyzer",
                                                                                "type": "ACCOUNT"})),
]

IDENTITY: list[tuple[str, bool, dict[str, Any]]] = [
    ("root-activity", True, call("GetAccountSummary", "iam", None, identity=ROOT, readOnly=True, awsRegion="us-east-1")),
    ("root-activity", True, console_login(ROOT, success=True, mfa="No")),
    ("root-activity", True, denied(call("CreateAccessKey", "iam", None, identity=ROOT, awsRegion="us-east-1"))),
    ("root-activity", False, call("GetAccountSummary", "iam", None, identity=DOE1, readOnly=True, awsRegion="us-east-1")),
    ("root-activity", False, call("PutObject", "s3", {"bucketName": "cloudtrail-logs"}, identity={
        **ROOT, "invokedBy": "cloudtrail.amazonaws.com"}, sourceIPAddress="cloudtrail.amazonaws.com")),
    ("console-login-without-mfa", True, console_login(DOE1, success=True, mfa="No")),
    ("console-login-without-mfa", False, console_login(DOE1, success=True, mfa="Yes")),
    ("console-login-without-mfa", False, console_login(DOE1, success=False, mfa="No")),
    ("console-login-without-mfa", False, console_login(ROLE, success=True, mfa="No")),  # SSO: MFA happens at the IdP
    ("console-login-without-mfa", False, {**console_login(DOE1, success=True, mfa="No"), "additionalEventData": {
        "LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "No",
        "SamlProviderArn": "arn:aws:iam::111122223333:saml-provider/entra-id"}}),  # SAML: MFA happens at the IdP
    ("console-login-failed", True, console_login(DOE1, success=False, mfa="No")),
    # AWS's documented root sign-in failure: someone trying root's password, not root at work
    ("root-console-login-failed", True, console_login(ROOT, success=False, mfa="No")),
    ("root-console-login-failed", False, console_login(ROOT, success=True, mfa="Yes")),
    ("root-console-login-failed", False, console_login(DOE1, success=False, mfa="No")),
    ("root-activity", False, console_login(ROOT, success=False, mfa="No")),
    ("console-login-failed", False, console_login(DOE1, success=True, mfa="Yes")),
    ("access-denied", True, denied(call("ListBuckets", "s3", None, identity=DOE1, readOnly=True))),
    ("access-denied", True, denied(call("RunInstances", "ec2", {"instanceType": "t3.micro"}, identity=DOE1))),
    ("access-denied", False, {**call("GetBucketPolicy", "s3", {"bucketName": "finance"}, readOnly=True),
                              "errorCode": "NoSuchBucketPolicy", "errorMessage": "The bucket policy does not exist"}),
    ("left-organization", True, call("LeaveOrganization", "organizations", None, awsRegion="us-east-1")),
    ("left-organization", False, call("DescribeOrganization", "organizations", None, awsRegion="us-east-1", readOnly=True)),
    ("account-removed-from-organization", True, call("RemoveAccountFromOrganization", "organizations",
                                                     {"accountId": OTHER_ACCOUNT}, awsRegion="us-east-1")),
    ("account-removed-from-organization", False, call("ListAccounts", "organizations", None, awsRegion="us-east-1",
                                                      readOnly=True)),
    # sts:AssumeRoot (centralized root access): a task policy scopes the member account's root session.
    ("root-session-assumed", True, call("AssumeRoot", "sts", {
        "targetPrincipal": OTHER_ACCOUNT, "taskPolicyArn": {"arn": "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"},
        "durationSeconds": 900}, {"credentials": {"accessKeyId": "ASIAEXAMPLEROOTSESS", "sessionToken": "IQoJb3JpZ2luX2Vj",
                                                  "expiration": "Nov 22, 2026, 4:15:00 PM"}}, awsRegion="us-east-1")),
    ("root-session-assumed", False, call("AssumeRole", "sts", {
        "roleArn": f"arn:aws:iam::{OTHER_ACCOUNT}:role/OrganizationAccountAccessRole", "roleSessionName": "alice"},
        awsRegion="us-east-1")),
    ("password-policy-deleted", True, call("DeletePasswordPolicy", "iam", None, awsRegion="us-east-1")),
    ("password-policy-deleted", False, call("UpdateAccountPasswordPolicy", "iam", {
        "minimumPasswordLength": 14, "requireSymbols": True, "passwordReusePrevention": 24}, awsRegion="us-east-1")),
]

LATERAL_MOVEMENT: list[tuple[str, bool, dict[str, Any]]] = [
    ("instance-connect-key-sent", True, call("SendSSHPublicKey", "ec2-instance-connect", {
        "instanceId": "i-0abc123def4567890", "instanceOSUser": "ec2-user", "availabilityZone": "eu-west-1a",
        "sSHPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample"}, {"requestId": "abc", "success": True})),
    ("instance-connect-key-sent", False, call("SendSSHPublicKey", "ec2", {"instanceId": "i-0abc123def4567890"})),
    ("serial-console-key-sent", True, call("SendSerialConsoleSSHPublicKey", "ec2-instance-connect", {
        "instanceId": "i-0abc123def4567890", "serialPort": 0, "sSHPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample"})),
    ("serial-console-key-sent", False, call("GetSerialConsoleAccessStatus", "ec2", None, readOnly=True)),
    ("ssm-session-started", True, call("StartSession", "ssm", {"target": "i-0abc123def4567890"}, {
        "sessionId": "alice-0abc123", "tokenValue": "Value hidden due to security reasons.",
        "streamUrl": "wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/alice-0abc123"})),
    ("ssm-session-started", False, call("DescribeSessions", "ssm", {"state": "Active"}, readOnly=True)),
    ("ssm-command-sent", True, call("SendCommand", "ssm", {"instanceIds": ["i-0abc123def4567890"],
                                                           "documentName": "AWS-RunShellScript"})),
    ("ssm-command-sent", False, call("ListCommands", "ssm", None, readOnly=True)),
]

CREDENTIAL_ACCESS: list[tuple[str, bool, dict[str, Any]]] = [
    ("secret-value-read", True, call("GetSecretValue", "secretsmanager", {"secretId": "prod/payments/db"}, None, DOE1,
                                     readOnly=True)),
    ("secret-value-read", False, call("DescribeSecret", "secretsmanager", {"secretId": "prod/payments/db"}, readOnly=True)),
    ("secret-value-read", False, denied(call("GetSecretValue", "secretsmanager", {"secretId": "prod/payments/db"}, readOnly=True))),
    ("secure-parameter-decrypted", True, call("GetParameter", "ssm", {"name": "/prod/db/password", "withDecryption": True},
                                              readOnly=True)),
    ("secure-parameter-decrypted", True, call("GetParametersByPath", "ssm", {"path": "/prod/", "recursive": True,
                                                                             "withDecryption": True}, readOnly=True)),
    ("secure-parameter-decrypted", False, call("GetParameter", "ssm", {"name": "/prod/db/password", "withDecryption": False},
                                               readOnly=True)),
    ("secure-parameter-decrypted", False, call("GetParameters", "ssm", {"names": ["/prod/ami-id"]}, readOnly=True)),
    ("ec2-password-data-read", True, call("GetPasswordData", "ec2", {"instanceId": "i-0abc123def4567890"}, readOnly=True)),
    ("ec2-password-data-read", False, call("GetConsoleOutput", "ec2", {"instanceId": "i-0abc123def4567890"}, readOnly=True)),
    # the shape of OTRF's EC2-proxy recording: the instance's role used from a Mac on the internet
    ("instance-credentials-used-outside", True, call("ListBuckets", "s3", None, identity=INSTANCE_ROLE, readOnly=True,
                                                     sourceIPAddress="198.51.100.77",
                                                     userAgent="[aws-cli/1.18.136 Python/3.8.5 Darwin/19.5.0 botocore/1.17.59]")),
    ("instance-credentials-used-outside", True, call("GetCallerIdentity", "sts", None, identity=INSTANCE_ROLE, readOnly=True,
                                                     sourceIPAddress="198.51.100.77",
                                                     userAgent="Boto3/1.34.0 md/Botocore#1.34.0 os/linux#6.6.9-amd64-kali")),
    # Stratus Red Team's ec2-steal-instance-credentials: the credentials, taken through IMDS, used from a Linux
    # machine outside AWS (an SDK user agent a server could send too: only the address tells)
    ("instance-credentials-used-outside", True, call("DescribeInstances", "ec2", {"instancesSet": {}, "filterSet": {}},
                                                     identity=INSTANCE_ROLE, readOnly=True, sourceIPAddress="203.0.113.66",
                                                     userAgent="Boto3/1.35.54 md/Botocore#1.35.54 os/linux#6.1.0-26-amd64")),
    # the shape of Stratus' recorded (anonymized) detonation logs: an instance id in mixed case, an address
    # that is no address; the workstation's agent still tells
    ("instance-credentials-used-outside", True, call("GetCallerIdentity", "sts", None, readOnly=True, identity={
        **INSTANCE_ROLE, "principalId": "AROAEXAMPLEWEBROLE:i-DDd6c7B0e18F0E35f",
        "arn": f"arn:aws:sts::{INSTANCE_ROLE['accountId']}:assumed-role/web-server/i-DDd6c7B0e18F0E35f"},
        sourceIPAddress="211.9.016.253", userAgent="aws-cli/2.15.0 Python/3.11.6 Darwin/23.1.0 exe/x86_64")),
    # the same role from the instance itself: through a NAT (an Amazon address, Linux agent) or a VPC endpoint
    ("instance-credentials-used-outside", False, call("ListBuckets", "s3", None, identity=INSTANCE_ROLE, readOnly=True,
                                                      sourceIPAddress="3.250.14.9",
                                                      userAgent="aws-cli/2.17.0 md/Botocore#1.35.0 os/linux#6.1.0-amzn2023")),
    ("instance-credentials-used-outside", False, call("ListBuckets", "s3", None, identity=INSTANCE_ROLE, readOnly=True,
                                                      sourceIPAddress="10.0.3.17", userAgent=CONSOLE_AGENT,
                                                      vpcEndpointId="vpce-0a1b2c3d")),
    ("instance-credentials-used-outside", False, call("ListBuckets", "s3", None, identity=ROLE, readOnly=True,
                                                      userAgent="[aws-cli/1.18.136 Python/3.8.5 Darwin/19.5.0 botocore/1.17.59]")),
    ("instance-credentials-used-outside", False, call("AssumeRole", "sts", {"roleSessionName": INSTANCE},
                                                      identity={"type": "AWSService", "invokedBy": "ec2.amazonaws.com"},
                                                      sourceIPAddress="ec2.amazonaws.com", userAgent="ec2.amazonaws.com")),
]

CASES: list[tuple[str, bool, dict[str, Any]]] = [*NETWORK, *DEFENSE_EVASION, *IDENTITY, *LATERAL_MOVEMENT,
                                                 *CREDENTIAL_ACCESS, *CHANGES]
