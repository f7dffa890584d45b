"""Tattletrail turns an AWS account's CloudTrail into answers and alarms."""

__version__ = "0.1.0"
