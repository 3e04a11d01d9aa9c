"""The repository's policy pack in end-to-end runs, and the defect it must stop.

The built Pulumi CLI has no Python language host, so the engine starts the
pack through policy/run-pack.sh with the Python in K3SMC_POLICY_PYTHON (see
environment.pulumi_environment).

For a stack of existing hosts, the config loader rejects each setting that
the pack would reject, so the violation case injects a program defect
instead: the kubeconfig read registered with a stdout that is not secret,
which no stack config can cause.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pulumi
from pulumi.automation import EngineEvent

from tests.e2e.environment import REPO_ROOT

POLICY_PACK = REPO_ROOT / "policy" / "run-pack.sh"
# The PolicyPack name in policy/__main__.py (k3smc_policy.PACK_NAME).
POLICY_PACK_NAME = "k3s-multicloud"

REMOTE_COMMAND = "command:remote:Command"
# Resource name that components.program gives the first server's kubeconfig read.
KUBECONFIG_READ = "read-kubeconfig"
SECRET_POLICY = "kubeconfig-and-token-secret"


@dataclass(frozen=True)
class Violation:
    policy: str
    enforcement: str
    urn: str
    message: str

    def describe(self) -> str:
        message = " ".join(self.message.split())
        return f"{self.policy} ({self.enforcement}) on {self.urn}: {message[:400]}"


def violations(events: Iterable[EngineEvent]) -> list[Violation]:
    """Return the policy diagnostics of an operation's engine events.

    pulumi-policy reports a policy that cannot run during preview, because
    a value is unknown, as an advisory note. That note is not a violation,
    because the same policy runs again with known values before `pulumi up`
    creates the resource.
    """
    found = []
    for event in events:
        policy = event.policy_event
        if policy is None or policy.message.startswith("can't run policy"):
            continue
        found.append(Violation(policy.policy_name, policy.enforcement_level,
                               policy.resource_urn or "", policy.message))
    return found


def packs_run(events: Iterable[EngineEvent]) -> dict[str, str]:
    """Return the policy packs (name -> version) that the operation's summary lists.

    The engine (v3.276.0) keys a local pack as "<name>|local|<path>".
    """
    packs: dict[str, str] = {}
    for event in events:
        if event.summary_event is not None:
            for key, version in (event.summary_event.policy_packs or {}).items():
                packs[key.split("|", 1)[0]] = version
    return packs


def strip_kubeconfig_secret(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """Register the kubeconfig read without stdout in additional_secret_outputs."""
    if args.type_ != REMOTE_COMMAND or args.name != KUBECONFIG_READ:
        return None
    options = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions())
    options.additional_secret_outputs = []
    return pulumi.ResourceTransformResult(props=args.props, opts=options)


def with_public_kubeconfig(program: Callable[[], None]) -> Callable[[], None]:
    """Return ``program`` with the kubeconfig read's stdout no longer secret.

    The transform runs in this process before the engine registers the
    resource, so the policy pack receives exactly what a program with this
    defect would register.
    """
    def defective_program() -> None:
        pulumi.runtime.register_resource_transform(strip_kubeconfig_secret)
        program()

    return defective_program
