"""The end-to-end run's policy-pack helpers, without root, tools or an engine.

The end-to-end step that expects the pack to stop a preview relies on two
things: the injected defect reaches exactly one resource, and the engine's
policy events are read correctly. These tests pin both in `make test`.
"""

from __future__ import annotations

import pulumi
from pulumi.automation import EngineEvent, PolicyEvent, SummaryEvent

from tests.e2e import policy_pack

URN = "urn:pulumi:e2e::k3s-multicloud::command:remote:Command::read-kubeconfig"


def transform_args(name: str, type_: str = policy_pack.REMOTE_COMMAND) -> pulumi.ResourceTransformArgs:
    opts = pulumi.ResourceOptions(additional_secret_outputs=["stdout"], protect=True)
    return pulumi.ResourceTransformArgs(custom=True, type_=type_, name=name,
                                        props={"create": "cat /etc/rancher/k3s/k3s.yaml", "logging": "none"},
                                        opts=opts)


def policy_event(message: str, policy: str = policy_pack.SECRET_POLICY,
                 level: str = "mandatory") -> EngineEvent:
    return EngineEvent(1, 0, policy_event=PolicyEvent(
        message=message, color="never", policy_name=policy, policy_pack_name="k3s-multicloud",
        policy_pack_version="0.1.0", policy_pack_version_tag="v0.1.0", enforcement_level=level,
        resource_urn=URN))


def test_transform_strips_kubeconfig_read_secret():
    args = transform_args(policy_pack.KUBECONFIG_READ)

    result = policy_pack.strip_kubeconfig_secret(args)

    assert result is not None
    assert not result.opts.additional_secret_outputs
    assert result.opts.protect is True
    assert result.props == args.props
    assert args.opts.additional_secret_outputs == ["stdout"]


def test_transform_leaves_other_commands():
    assert policy_pack.strip_kubeconfig_secret(transform_args("install-k3s-s1")) is None


def test_transform_leaves_other_types():
    args = transform_args(policy_pack.KUBECONFIG_READ, type_="kubernetes:core/v1:Secret")

    assert policy_pack.strip_kubeconfig_secret(args) is None


def test_violations_skip_unknown_value_notes():
    events = [
        policy_event("can't run policy 'k3s-version-pinned' during preview: unknown value",
                     policy="k3s-version-pinned", level="advisory"),
        policy_event("read-kubeconfig reads the kubeconfig or a K3s token, but its stdout\nis not secret."),
    ]

    [violation] = policy_pack.violations(events)

    assert violation.policy == policy_pack.SECRET_POLICY
    assert violation.enforcement == "mandatory"
    assert violation.urn == URN
    assert "stdout is not secret" in violation.describe()


def test_violations_ignore_other_events():
    summary = EngineEvent(2, 0, summary_event=SummaryEvent(False, 1, {}, {}))

    assert policy_pack.violations([summary]) == []


def test_packs_run_reads_local_pack_key():
    summary = EngineEvent(2, 0, summary_event=SummaryEvent(
        False, 1, {}, {"k3s-multicloud|local|/repo/policy/run-pack.sh": "0.1.0"}))

    assert policy_pack.packs_run([policy_event("x"), summary]) == {policy_pack.POLICY_PACK_NAME: "0.1.0"}


def test_packs_run_without_summary_is_empty():
    assert policy_pack.packs_run([policy_event("x")]) == {}


def test_policy_pack_entry_point_exists():
    assert policy_pack.POLICY_PACK.is_file()
