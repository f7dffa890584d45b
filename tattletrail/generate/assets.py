"""The resources an account's calls name: VPCs, route tables, buckets, keys, parameters...

Drawn once per account so the same ids recur across days, as they do in a real account.
"""

from __future__ import annotations

from dataclasses import dataclass

from tattletrail.generate.identities import Account, Ids

BUCKET_PURPOSES = ("assets", "backups", "logs", "terraform-state", "data-lake", "artifacts")
PARAMETERS = ("/app/db-host", "/app/db-user", "/app/feature-flags", "/app/stripe-endpoint",
              "/cloudwatch-agent/config")
TABLES = ("orders", "sessions", "idempotency-keys")
LOG_GROUPS = ("/aws/lambda/orders-api", "/aws/lambda/invoice-renderer", "/ecs/payments", "/app/server")


@dataclass(frozen=True, slots=True)
class Assets:
    vpc: str
    subnets: tuple[str, ...]
    route_tables: tuple[str, ...]
    security_groups: tuple[str, ...]
    volumes: tuple[str, ...]
    snapshots: tuple[str, ...]
    images: tuple[str, ...]
    enis: tuple[str, ...]
    buckets: tuple[str, ...]
    kms_keys: tuple[str, ...]
    parameters: tuple[str, ...]
    secrets: tuple[str, ...]
    db_instances: tuple[str, ...]
    tables: tuple[str, ...]
    log_groups: tuple[str, ...]
    users: tuple[str, ...]
    roles: tuple[str, ...]
    policies: tuple[str, ...]
    auto_scaling_groups: tuple[str, ...]
    load_balancers: tuple[str, ...]
    distributions: tuple[str, ...]
    session_tokens: tuple[str, ...]
    s3_request_details: tuple[dict[str, object], ...]  # additionalEventData of S3 calls, a pool to pick from


def build_assets(ids: Ids, account: Account) -> Assets:
    short = account.name.removeprefix("acme-")
    return Assets(
        vpc=ids.resource_id("vpc"),
        subnets=tuple(ids.resource_id("subnet") for _ in range(4)),
        route_tables=tuple(ids.resource_id("rtb") for _ in range(3)),
        security_groups=tuple(ids.resource_id("sg") for _ in range(5)),
        volumes=tuple(ids.resource_id("vol") for _ in range(6)),
        snapshots=tuple(ids.resource_id("snap") for _ in range(4)),
        images=tuple(ids.resource_id("ami") for _ in range(3)),
        enis=tuple(ids.resource_id("eni") for _ in range(4)),
        buckets=tuple(f"acme-{short}-{purpose}-{account.account_id}" for purpose in BUCKET_PURPOSES),
        kms_keys=tuple(ids.uuid() for _ in range(3)),
        parameters=tuple(f"/{short}{name}" for name in PARAMETERS),
        secrets=tuple(f"{short}/{name}-{ids.alnum(6)}" for name in ("db-password", "stripe-api-key")),
        db_instances=(f"{short}-postgres-1", f"{short}-postgres-replica"),
        tables=tuple(f"{short}-{name}" for name in TABLES),
        log_groups=LOG_GROUPS,
        users=tuple(person.user_name for person in account.people if person.user_name) + ("legacy-reports",),
        roles=tuple(account.roles),
        policies=("AppServerPolicy", "DeployPolicy", "ReadOnlyBilling"),
        auto_scaling_groups=(f"{short}-app-asg", f"{short}-workers-asg"),
        load_balancers=(f"{short}-public-alb", f"{short}-internal-nlb"),
        distributions=tuple("E" + ids.key("", 13) for _ in range(2)),
        session_tokens=tuple("IQoJb3JpZ2luX2VjE" + ids.alnum(300) for _ in range(8)),
        s3_request_details=tuple({
            "SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0,
            "AuthenticationMethod": "AuthHeader", "x-amz-id-2": ids.alnum(76) + "=",
            "bytesTransferredOut": 100 + ids.rng.randrange(2000)} for _ in range(32)),
    )
