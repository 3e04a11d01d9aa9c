"""Build the argument objects pulumi-policy passes to a policy, without an engine.

Properties go through pulumi-policy's own deserializer and unknown-checking
proxy, as in its analyzer server, so secret envelopes are unwrapped and
unknown values raise UnknownValueError exactly as they do during a preview.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

REPO_ROOT = Path(__file__).resolve().parents[2]
POLICY_DIR = REPO_ROOT / "policy"

# The value the engine sends for an input that is not known during a preview.
UNKNOWN = UNKNOWN_STRING_VALUE


def secret(value: Any) -> dict[str, Any]:
    """Wrap ``value`` the way the engine marks a secret property on the wire."""
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": value}


def options(additional_secret_outputs: Sequence[str] = ()) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=list(additional_secret_outputs),
    )


def _urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:test::k3s-multicloud::{resource_type}::{name}"


def resource_args(resource_type: str, props: Mapping[str, Any], name: str = "res",
                  additional_secret_outputs: Sequence[str] = (),
                  config: Mapping[str, Any] | None = None) -> ResourceValidationArgs:
    proxied = unknown_checking_proxy(deserialize_properties(dict(props)))
    return ResourceValidationArgs(resource_type, proxied, _urn(resource_type, name), name,
                                  options(additional_secret_outputs), None, config)


def policy_resource(resource_type: str, props: Mapping[str, Any], name: str,
                    dependencies: Sequence[PolicyResource] = ()) -> PolicyResource:
    proxied = unknown_checking_proxy(deserialize_properties(dict(props)))
    return PolicyResource(resource_type, proxied, _urn(resource_type, name), name, options(),
                          None, None, list(dependencies), {})


def violations(policy: Policy, args: ResourceValidationArgs | StackValidationArgs) -> list[str]:
    """Run ``policy`` on ``args`` and return the messages it reported."""
    reported: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        reported.append(message)

    policy.validate(args, report)
    return reported
