"""What SNS and SES share: a boto3 client with our timeout and no retries of its own (the
dispatcher retries, with the outbox behind it), and AWS errors sorted into retriable or not."""

from __future__ import annotations

from typing import Any

from tattletrail.destinations.base import DeliveryError

RETRIABLE_CODES = {"Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
                   "RequestLimitExceeded", "ServiceUnavailable", "InternalError", "InternalFailure",
                   "RequestTimeout", "KMSThrottling"}


def aws_client(service: str, region: str | None, endpoint_url: str | None, timeout: float) -> Any:
    import boto3  # lazily: only AWS destinations pay for importing boto3
    from botocore.config import Config

    config = Config(connect_timeout=timeout, read_timeout=timeout, retries={"total_max_attempts": 1})
    return boto3.session.Session().client(service, region_name=region, endpoint_url=endpoint_url, config=config)


def delivery_error(error: Exception, service: str) -> DeliveryError:
    """A botocore exception as a DeliveryError (its text never contains credentials)."""
    from botocore.exceptions import ClientError, ConnectionError as BotoConnectionError, HTTPClientError
    from botocore.exceptions import NoCredentialsError

    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        message = error.response.get("Error", {}).get("Message", "")
        retriable = code in RETRIABLE_CODES or status >= 500 or status == 429
        return DeliveryError(f"{service} refused: {code} {message}".strip(), retriable=retriable)
    if isinstance(error, NoCredentialsError):
        return DeliveryError(f"{service}: no AWS credentials found (environment, profile or instance role)",
                             retriable=False)
    if isinstance(error, (BotoConnectionError, HTTPClientError)):
        return DeliveryError(f"{service}: can't reach the endpoint: {type(error).__name__}", retriable=True)
    return DeliveryError(f"{service}: {type(error).__name__}: {error}", retriable=False)
