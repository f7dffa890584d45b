"""Realistic CloudTrail organization trails, with known incidents, for demos, tests and benchmarks.

    from tattletrail.generate import generate_trail
    result = generate_trail("trail/", days=2, seed=1)
    result.incidents  # each injected incident, exactly once, with the eventID that names it
"""

from tattletrail.generate.incidents import KINDS as INCIDENT_KINDS
from tattletrail.generate.incidents import Incident
from tattletrail.generate.trail import GenerateResult, default_end, generate_trail

__all__ = ["INCIDENT_KINDS", "GenerateResult", "Incident", "default_end", "generate_trail"]
