"""parliament (duo-labs' IAM policy linter), importable on current setuptools.

parliament 1.6.4 imports `pkg_resources` for two file paths only (resource_filename of its own
iam_definition.json and config.yaml); setuptools 81+ no longer ships pkg_resources. When it is
missing, a module giving that one function from importlib.resources stands in for it.
"""

from __future__ import annotations

import importlib.resources
import json
import sys
import types
from typing import Any


def _install_resource_filename() -> None:
    try:
        import pkg_resources  # noqa: F401
        return
    except ImportError:
        pass
    module = types.ModuleType("pkg_resources")
    module.resource_filename = lambda package, name: str(importlib.resources.files(package) / name)
    sys.modules["pkg_resources"] = module


def lint(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """parliament's findings for one policy document: (issue, severity, detail)."""
    _install_resource_filename()
    import parliament

    policy = parliament.analyze_policy_string(json.dumps(document))
    findings = [parliament.enhance_finding(finding) for finding in policy.findings]
    return [(finding.issue, finding.severity, str(finding.detail)) for finding in findings]
