"""AWS attack techniques as CloudTrail records what their detonation does, with the verdict an
expert expects: a level of at least `level` on the signal event(s), or, for a behaviour only
visible in aggregate (many secrets read, many instances reached), a check that fires.

The list follows the public catalogue of AWS attack techniques of Stratus Red Team
(DataDog/stratus-red-team, docs/attack-techniques/AWS: 43 techniques in its index at the time of
writing, plus five added since), each described here in our own words and written as our own
records from the AWS API and CloudTrail documentation; ids are the catalogue's, so a result can
be looked up there. The look-alikes an expert calls ordinary (info or low) are in
tests/attack_benign.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests import attack_detonations_foothold as foothold
from tests import attack_detonations_impact as impact
from tests.attack_records import EXTERNAL_ACCOUNT, Record


@dataclass(frozen=True)
class Technique:
    id: str  # the catalogue's id
    attack: str  # MITRE ATT&CK technique
    summary: str  # what the detonation does, in our words
    records: tuple[Record, ...]
    signal: tuple[str, ...]  # the eventName(s) that carry the detection
    level: str = "medium"  # the least level a signal event should get
    check: str | None = None  # aggregate behaviour: a check (suggested name) should fire for the actor instead



def _t(id: str, attack: str, summary: str, records: list[Record], signal: str | tuple[str, ...], level: str = "medium",
       check: str | None = None) -> Technique:
    return Technique(id, attack, summary, tuple(records), (signal,) if isinstance(signal, str) else signal, level, check)


TECHNIQUES: list[Technique] = [
    # Initial access
    _t("aws.initial-access.console-login-without-mfa", "T1078.004",
       "An IAM user signs in to the console with a password alone.", foothold.console_login_without_mfa(), "ConsoleLogin"),
    # Execution
    _t("aws.execution.ec2-launch-unusual-instances", "T1496",
       "Tries to launch GPU instances (p3, g5, p4d) with a role not allowed to: refused each time.",
       foothold.unusual_instances(), "RunInstances", check="unusual-instance-types"),
    _t("aws.execution.ec2-user-data", "T1059.009",
       "Stops an instance, replaces its user data (a boot script), starts it again.", foothold.user_data(),
       "ModifyInstanceAttribute"),
    _t("aws.execution.sagemaker-update-lifecycle-config", "T1059.009",
       "Attaches a new lifecycle configuration (a start-up script) to a SageMaker notebook and restarts it.",
       foothold.sagemaker_lifecycle(), ("CreateNotebookInstanceLifecycleConfig", "UpdateNotebookInstance")),
    _t("aws.execution.ssm-send-command", "T1651", "Runs a shell script on several instances with one SendCommand.",
       foothold.ssm_send_command(), "SendCommand", check="ssm-shell-commands-across-instances"),
    _t("aws.execution.ssm-start-session", "T1651", "Opens Session Manager shells on several instances.",
       foothold.ssm_start_session(), "StartSession"),
    # Persistence and privilege escalation
    _t("aws.persistence.iam-backdoor-role", "T1098.003",
       f"Adds account {EXTERNAL_ACCOUNT} to the trust policy of an existing role.", foothold.backdoor_role(),
       "UpdateAssumeRolePolicy", "high"),
    _t("aws.persistence.iam-backdoor-user", "T1098.001", "Creates an access key for another, existing IAM user.",
       [foothold.access_key_for("carol", "iam-backdoor-user")], "CreateAccessKey"),
    _t("aws.persistence.iam-create-admin-user", "T1136.003",
       "Creates an IAM user, attaches AdministratorAccess, creates its access key.", foothold.create_admin_user(),
       ("CreateUser", "AttachUserPolicy"), "high"),
    _t("aws.persistence.iam-create-backdoor-role", "T1098.003",
       "Creates a role an external account may assume and makes it administrator.", foothold.create_backdoor_role(),
       ("CreateRole", "AttachRolePolicy"), "high"),
    _t("aws.persistence.iam-create-user-login-profile", "T1098.001",
       "Gives another IAM user a console password.", foothold.login_profile("CreateLoginProfile", "iam-create-login-profile"),
       "CreateLoginProfile", "high"),
    _t("aws.persistence.lambda-backdoor-function", "T1546",
       "Lets anyone (principal *) invoke a Lambda function.", foothold.lambda_public_permission(),
       "AddPermission20150331v2", "high"),
    _t("aws.persistence.lambda-layer-extension", "T1546",
       "Adds a layer from the attacker's account (an extension that sees every invocation) to a function.",
       foothold.lambda_layer_extension(), "UpdateFunctionConfiguration20150331v2", "high"),
    _t("aws.persistence.lambda-overwrite-code", "T1525",
       "A person's leaked key replaces a function's code (not the deploy pipeline).",
       foothold.lambda_overwrite_code(), "UpdateFunctionCode20150331v2"),
    _t("aws.persistence.rolesanywhere-create-trust-anchor", "T1098.003",
       "Creates an IAM Roles Anywhere trust anchor (the attacker's CA) and a profile for an admin role.",
       foothold.roles_anywhere(), ("CreateTrustAnchor", "CreateProfile"), "high"),
    # One key pair is context by the rubric (low): the catalogue's only tell beyond the call is a key name from a
    # list of names seen reused in the wild, which is threat intelligence, not a rule the pack can state in general.
    _t("aws.persistence.ec2-create-suspicious-keypair", "T1098.001",
       "Looks for instances launched with a key name, then creates a key pair of that name.",
       impact.key_pair_after_looking_for_it(), "CreateKeyPair", "low"),
    _t("aws.persistence.sts-federation-token", "T1550.001",
       "Turns a leaked user key into federation credentials that outlive the key.", foothold.federation_token(),
       "GetFederationToken"),
    _t("aws.privilege-escalation.iam-update-user-login-profile", "T1098",
       "Changes another IAM user's console password.", foothold.login_profile("UpdateLoginProfile", "iam-update-login-profile"),
       "UpdateLoginProfile", "high"),
    # Defense evasion
    _t("aws.defense-evasion.cloudtrail-delete", "T1562.008", "Deletes the trail.",
       impact.cloudtrail_call("cloudtrail-delete", "DeleteTrail"), "DeleteTrail", "critical"),
    _t("aws.defense-evasion.cloudtrail-event-selectors", "T1562.008",
       "Changes the trail's event selectors so management events are no longer recorded.",
       impact.event_selectors_off(), "PutEventSelectors", "high"),
    _t("aws.defense-evasion.cloudtrail-lifecycle-rule", "T1562.008",
       "Adds a lifecycle rule that expires the trail bucket's logs after one day.", impact.trail_bucket_lifecycle(),
       "PutBucketLifecycle", "high"),
    _t("aws.defense-evasion.cloudtrail-stop", "T1562.008", "Stops the trail's logging.",
       impact.cloudtrail_call("cloudtrail-stop", "StopLogging"), "StopLogging", "critical"),
    _t("aws.defense-evasion.dns-delete-logs", "T1562.008",
       "Detaches and deletes the Route 53 Resolver query logging configuration.", impact.dns_query_logs_deleted(),
       ("DisassociateResolverQueryLogConfig", "DeleteResolverQueryLogConfig"), "high"),
    _t("aws.defense-evasion.organizations-leave", "T1666",
       "Tries to take the account out of its organization; the SCP refuses. The attempt is the signal.",
       impact.leave_organization(), "LeaveOrganization"),
    _t("aws.defense-evasion.vpc-remove-flow-logs", "T1562.008", "Deletes a VPC's flow logs.",
       impact.flow_logs_deleted(), "DeleteFlowLogs", "high"),
    _t("aws.defense-evasion.bedrock-model-invocation-logging-delete", "T1562.008",
       "Deletes Bedrock's model invocation logging (what prompts were sent, by whom).",
       impact.model_invocation_logging_deleted(), "DeleteModelInvocationLoggingConfiguration", "high"),
    _t("aws.defense-evasion.bedrock-guardrail-delete", "T1562.001",
       "Deletes a Bedrock guardrail, the filter on what a model is asked and answers.", impact.guardrail_deleted(),
       "DeleteGuardrail"),
    # Credential access
    _t("aws.credential-access.ec2-get-password-data", "T1552.005",
       "Asks for the Windows password data of a dozen instances; every call is refused.",
       impact.password_data_denied(), "GetPasswordData", check="denied-burst-per-actor"),
    _t("aws.credential-access.ec2-steal-instance-credentials", "T1552.005",
       "Uses an instance profile's credentials from a machine outside AWS.", impact.stolen_instance_credentials(),
       ("GetCallerIdentity", "DescribeInstances"), "high"),
    _t("aws.credential-access.secretsmanager-batch-retrieve-secrets", "T1555.006",
       "Reads every secret matching a name filter with BatchGetSecretValue.", impact.secrets_read_in_batches(),
       "BatchGetSecretValue", check="secret-harvesting"),
    _t("aws.credential-access.secretsmanager-retrieve-secrets", "T1555.006",
       "Lists the secrets, then reads a dozen of them one by one.", impact.secrets_read_one_by_one(),
       "GetSecretValue", check="secret-harvesting"),
    _t("aws.credential-access.ssm-retrieve-securestring-parameters", "T1555.006",
       "Lists the parameters, then reads fifteen SecureStrings decrypted.", impact.securestring_parameters(),
       "GetParameters", check="secret-harvesting"),
    # Discovery
    _t("aws.discovery.ec2-enumerate-from-instance", "T1580",
       "From an instance, its role enumerates the account: identity, users, roles, buckets, instances, networks.",
       impact.discovery_from_instance(), "GetAccountAuthorizationDetails", check="discovery-burst-from-instance"),
    _t("aws.discovery.ec2-download-user-data", "T1552.005",
       "Reads the user data of many instances; every call is refused.", impact.user_data_reads_denied(),
       "DescribeInstanceAttribute", check="denied-burst-per-actor"),
    _t("aws.discovery.ses-enumerate", "T1526",
       "Checks whether the account can send e-mail and how much: the first step of SES spam abuse.",
       impact.ses_enumeration(), "GetAccountSendingEnabled", check="ses-enumeration"),
    # Lateral movement
    _t("aws.lateral-movement.ec2-serial-console-send-ssh-public-key", "T1021",
       "Enables the serial console for the account and pushes an SSH key to an instance's serial port.",
       impact.serial_console_key(), ("EnableSerialConsoleAccess", "SendSerialConsoleSSHPublicKey"), "high"),
    _t("aws.lateral-movement.ec2-instance-connect", "T1021.004",
       "Pushes an SSH key to several instances with EC2 Instance Connect.", impact.instance_connect_keys(),
       "SendSSHPublicKey"),
    # Exfiltration
    _t("aws.exfiltration.ec2-security-group-open-port-22-ingress", "T1562.007",
       "Opens SSH (22/tcp) of a security group to 0.0.0.0/0.", impact.ssh_open_to_world(),
       "AuthorizeSecurityGroupIngress", "high"),
    # A share with one named account is `medium` by the rubric (docs/rules.md): from one event it can't be told
    # apart from a share with the organization's own accounts. The bar for techniques is medium or above.
    _t("aws.exfiltration.ec2-share-ami", "T1537", "Shares an AMI with an external account.",
       impact.ami_shared("ec2-share-ami", {"userId": EXTERNAL_ACCOUNT}), "ModifyImageAttribute"),
    _t("aws.exfiltration.ami-make-public", "T1537", "Makes an AMI public.",
       impact.ami_shared("ami-make-public", {"group": "all"}), "ModifyImageAttribute", "critical"),
    _t("aws.exfiltration.ec2-share-ebs-snapshot", "T1537", "Shares an EBS snapshot with an external account.",
       impact.snapshot_shared(), "ModifySnapshotAttribute"),
    _t("aws.exfiltration.rds-share-snapshot", "T1537", "Shares an RDS snapshot with an external account.",
       impact.rds_snapshot_shared(), "ModifyDBSnapshotAttribute"),
    _t("aws.exfiltration.s3-backdoor-bucket-policy", "T1537",
       "Writes a bucket policy that lets an external account read and list the bucket.",
       impact.bucket_policy_to_external_account(), "PutBucketPolicy"),
    # Impact
    _t("aws.impact.bedrock-invoke-model", "T1496",
       "A leaked user key invokes a foundation model in three regions (LLM-jacking).", impact.bedrock_invocations(),
       "InvokeModel", check="bedrock-first-use"),
    _t("aws.impact.ec2-deregister-ami", "T1485",
       "Deregisters an AMI of the account (its snapshot is kept).", impact.ami_deregistered(), "DeregisterImage"),
    _t("aws.impact.s3-ransomware-batch-deletion", "T1485",
       "Lists a bucket's object versions and deletes them in DeleteObjects batches.", impact.batch_deletion(),
       "DeleteObjects", check="s3-batch-deletion"),
    _t("aws.impact.s3-ransomware-client-side-encryption", "T1486",
       "Rewrites each object encrypted with the attacker's own key (SSE-C), then leaves a ransom note.",
       impact.client_side_encryption(), "PutObject", check="s3-sse-c-rewrites"),
    _t("aws.impact.s3-ransomware-individual-deletion", "T1485",
       "Deletes a bucket's objects one DeleteObject at a time.", impact.individual_deletion(), "DeleteObject",
       check="s3-mass-deletion"),
]
