"""Detonations, part one (initial access, execution, persistence, privilege escalation): what each
technique of tests/attack_techniques.py does, as CloudTrail records it."""

from __future__ import annotations

from tests.attack_records import (ACCOUNT, ATTACKER_ROLE, BOTO, EXTERNAL_ACCOUNT, GO_SDK, LEAKED_USER, Record,
                                  Session, instances, items, policy_text)


def session(slug: str, identity=LEAKED_USER, **options) -> Session:
    return Session(slug, identity, **options)


def console_login_without_mfa() -> list[Record]:
    return [session("console-nomfa", {**LEAKED_USER}).console_login(mfa=False)]


def unusual_instances() -> list[Record]:
    s = session("unusual-instances", ATTACKER_ROLE, agent=GO_SDK)
    return [s.call("RunInstances", "ec2", {
        "instancesSet": {"items": [{"imageId": "ami-0c1bc246476a5572b", "minCount": 1, "maxCount": 10}]},
        "instanceType": kind, "blockDeviceMapping": {}, "monitoring": {"enabled": False},
        "disableApiTermination": False, "disableApiStop": False, "subnetId": "subnet-0e540f0c7ffb48ae9",
        "clientToken": f"5dd59182-3917-421c-9b2c-7c92954b66e{index}"}, denied=True)
        for index, kind in enumerate(("p3.16xlarge", "g5.48xlarge", "p4d.24xlarge"))]


def user_data() -> list[Record]:
    s = session("user-data")
    target = {"instancesSet": items("instanceId", ["i-0b7e1c2d3f4a5b6c7"])}
    return [s.call("StopInstances", "ec2", {**target, "force": False}, {"instancesSet": {"items": [{
                "instanceId": "i-0b7e1c2d3f4a5b6c7", "currentState": {"code": 64, "name": "stopping"},
                "previousState": {"code": 16, "name": "running"}}]}}),
            s.call("ModifyInstanceAttribute", "ec2", {"instanceId": "i-0b7e1c2d3f4a5b6c7",
                                                      "userData": "<sensitiveDataRemoved>"},
                   {"requestId": "9d1c3f0e-2b1a-4c55-8d1e-1a2b3c4d5e6f", "_return": True}),
            s.call("StartInstances", "ec2", target, {"instancesSet": {"items": [{
                "instanceId": "i-0b7e1c2d3f4a5b6c7", "currentState": {"code": 0, "name": "pending"},
                "previousState": {"code": 80, "name": "stopped"}}]}})]


def sagemaker_lifecycle() -> list[Record]:
    s = session("sagemaker-lifecycle", ATTACKER_ROLE, agent=BOTO)
    arn = f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:notebook-instance-lifecycle-config/data-science-boot"
    return [s.call("CreateNotebookInstanceLifecycleConfig", "sagemaker", {
                "notebookInstanceLifecycleConfigName": "data-science-boot",
                "onStart": [{"content": "HIDDEN_DUE_TO_SECURITY_REASONS"}]},
                {"notebookInstanceLifecycleConfigArn": arn}),
            s.call("StopNotebookInstance", "sagemaker", {"notebookInstanceName": "research-notebook"}),
            s.call("UpdateNotebookInstance", "sagemaker", {"notebookInstanceName": "research-notebook",
                                                           "lifecycleConfigName": "data-science-boot"}),
            s.call("StartNotebookInstance", "sagemaker", {"notebookInstanceName": "research-notebook"})]


def ssm_send_command() -> list[Record]:
    s = session("ssm-send-command", ATTACKER_ROLE, agent=BOTO)
    targets = instances(3, seed=5)
    return [s.call("SendCommand", "ssm", {"instanceIds": targets, "documentName": "AWS-RunShellScript",
                                          "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS", "interactive": False},
                   {"command": {"commandId": "0b6d2e1a-4c3b-4f5e-9a8b-7c6d5e4f3a2b", "documentName": "AWS-RunShellScript",
                                "instanceIds": targets, "status": "Pending", "targetCount": 3,
                                "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS"}})]


def ssm_start_session() -> list[Record]:
    s = session("ssm-start-session", ATTACKER_ROLE, agent=BOTO)
    return [s.call("StartSession", "ssm", {"target": target}, {
        "sessionId": f"botocore-session-1733238000-0{index}a1b2c3d4e5f6",
        "tokenValue": "Value hidden due to security reasons.",
        "streamUrl": f"wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/s-0{index}?role=publish_subscribe"})
        for index, target in enumerate(instances(3, seed=6))]


def trust(principal: dict) -> str:
    return policy_text([{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}])


def backdoor_role() -> list[Record]:
    s = session("backdoor-role", ATTACKER_ROLE)
    document = policy_text([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
                            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{EXTERNAL_ACCOUNT}:root"},
                             "Action": "sts:AssumeRole"}])
    return [s.call("UpdateAssumeRolePolicy", "iam", {"roleName": "app-data-reader", "policyDocument": document})]


def access_key_for(user: str, slug: str) -> Record:
    return session(slug, ATTACKER_ROLE).call("CreateAccessKey", "iam", {"userName": user}, {"accessKey": {
        "userName": user, "accessKeyId": "AKIAQ3EGQKJ5NEWKEY01", "status": "Active", "createDate": "Dec 3, 2026, 3:00:09 PM"}})


def create_admin_user() -> list[Record]:
    s = session("create-admin-user", ATTACKER_ROLE)
    return [s.call("CreateUser", "iam", {"userName": "backup-sync"}, {"user": {
                "path": "/", "userName": "backup-sync", "userId": "AIDAQ3EGQKJ5BACKUPSY",
                "arn": f"arn:aws:iam::{ACCOUNT}:user/backup-sync", "createDate": "Dec 3, 2026, 3:00:03 PM"}}),
            s.call("AttachUserPolicy", "iam", {"userName": "backup-sync",
                                               "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            s.call("CreateAccessKey", "iam", {"userName": "backup-sync"}, {"accessKey": {
                "userName": "backup-sync", "accessKeyId": "AKIAQ3EGQKJ5BACKUPKY", "status": "Active",
                "createDate": "Dec 3, 2026, 3:00:09 PM"}})]


def create_backdoor_role() -> list[Record]:
    s = session("create-backdoor-role", ATTACKER_ROLE)
    document = trust({"AWS": f"arn:aws:iam::{EXTERNAL_ACCOUNT}:root"})
    return [s.call("CreateRole", "iam", {"roleName": "support-access", "assumeRolePolicyDocument": document}, {"role": {
                "path": "/", "roleName": "support-access", "roleId": "AROAQ3EGQKJ5SUPPORTA",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/support-access", "createDate": "Dec 3, 2026, 3:00:03 PM",
                "assumeRolePolicyDocument": document}}),
            s.call("AttachRolePolicy", "iam", {"roleName": "support-access",
                                               "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})]


def login_profile(name: str, slug: str) -> list[Record]:
    s = session(slug, ATTACKER_ROLE)
    return [s.call(name, "iam", {"userName": "carol", "passwordResetRequired": False},
                   {"loginProfile": {"userName": "carol", "createDate": "Dec 3, 2026, 3:00:03 PM",
                                     "passwordResetRequired": False}} if name == "CreateLoginProfile" else None)]


def lambda_public_permission() -> list[Record]:
    s = session("lambda-backdoor-function", ATTACKER_ROLE)
    statement = ('{"Sid":"public-invoke","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction",'
                 f'"Resource":"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:invoice-export"}}')
    return [s.call("AddPermission20150331v2", "lambda", {"functionName": "invoice-export", "statementId": "public-invoke",
                                                         "action": "lambda:InvokeFunction", "principal": "*"},
                   {"statement": statement})]


def lambda_layer_extension() -> list[Record]:
    s = session("lambda-layer-extension", ATTACKER_ROLE, agent=BOTO)
    layer = f"arn:aws:lambda:eu-west-1:{EXTERNAL_ACCOUNT}:layer:telemetry-extension:3"
    return [s.call("UpdateFunctionConfiguration20150331v2", "lambda", {"functionName": "invoice-export",
                                                                       "layers": [layer]},
                   {"functionName": "invoice-export", "functionArn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:invoice-export",
                    "runtime": "python3.12", "layers": [{"arn": layer, "codeSize": 4096}], "state": "Active",
                    "lastUpdateStatus": "InProgress"})]


def lambda_overwrite_code() -> list[Record]:
    s = session("lambda-overwrite-code", LEAKED_USER, agent=BOTO)
    return [s.call("UpdateFunctionCode20150331v2", "lambda", {"functionName": "invoice-export", "publish": False,
                                                              "dryRun": False},
                   {"functionName": "invoice-export", "functionArn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:invoice-export",
                    "runtime": "python3.12", "codeSha256": "kQ0n3ZbK6m0z8N2p4X9vq1C5y7Lw2Rt6Hs8Ud4Fe0Aw=",
                    "codeSize": 1893, "lastUpdateStatus": "InProgress"})]


def roles_anywhere() -> list[Record]:
    s = session("rolesanywhere", ATTACKER_ROLE, agent=BOTO)
    anchor = f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:trust-anchor/6f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
    return [s.call("CreateTrustAnchor", "rolesanywhere", {"name": "partner-pki", "enabled": True, "source": {
                "sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": "-----BEGIN CERTIFICATE-----\nMIIB..."}}},
                {"trustAnchor": {"trustAnchorArn": anchor, "name": "partner-pki", "enabled": True}}),
            s.call("CreateProfile", "rolesanywhere", {"name": "partner-profile", "enabled": True,
                                                      "roleArns": [f"arn:aws:iam::{ACCOUNT}:role/support-access"]},
                   {"profile": {"name": "partner-profile", "enabled": True}})]


def federation_token() -> list[Record]:
    s = session("federation-token")
    return [s.call("GetFederationToken", "sts", {"name": "reporting", "durationSeconds": 129600,
                                                 "policyArns": [{"arn": "arn:aws:iam::aws:policy/AdministratorAccess"}]},
                   {"credentials": {"accessKeyId": "ASIAQ3EGQKJ5FEDTOKEN", "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE",
                                    "expiration": "Dec 5, 2026, 3:00:03 AM"},
                    "federatedUser": {"federatedUserId": f"{ACCOUNT}:reporting",
                                      "arn": f"arn:aws:sts::{ACCOUNT}:federated-user/reporting"}, "packedPolicySize": 9})]
