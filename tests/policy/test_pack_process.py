"""Start the policy pack as the Pulumi CLI does and call it over gRPC.

The CLI runs policy/__main__.py, reads the port the pack prints and sends
Analyze requests for each resource. This test plays the CLI's part on
127.0.0.1, so it checks the entry point, the policy list and the default
enforcement level without a Pulumi engine.
"""

import os
import subprocess
import sys

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from k3smc_policy import PACK_NAME, all_policies
from k3smc_policy.firewall import ALICLOUD_RULE
from policy_fakes import POLICY_DIR, REPO_ROOT

MANDATORY = 1  # pulumirpc.EnforcementLevel.MANDATORY


@pytest.fixture(scope="module")
def analyzer():
    env = {**os.environ, "K3SMC_LANG": "en", "PYTHONPATH": ""}
    process = subprocess.Popen(
        [sys.executable, str(POLICY_DIR / "__main__.py")],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port_line = process.stdout.readline().strip()
        if not port_line.isdigit():
            process.kill()
            _, stderr = process.communicate(timeout=10)
            pytest.fail(f"policy pack did not print its port: {port_line!r}\n{stderr}")

        channel = grpc.insecure_channel(f"127.0.0.1:{port_line}")
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def analyze_rule(analyzer, cidr: str) -> list:
    properties = struct_pb2.Struct()
    properties.update({"type": "ingress", "ipProtocol": "tcp", "portRange": "6443/6443",
                       "cidrIp": cidr, "securityGroupId": "sg-1"})
    request = analyzer_pb2.AnalyzeRequest(
        type=ALICLOUD_RULE, properties=properties, name="api-rule",
        urn=f"urn:pulumi:dev::k3s-multicloud::{ALICLOUD_RULE}::api-rule",
        options=analyzer_pb2.AnalyzerResourceOptions())
    return list(analyzer.Analyze(request).diagnostics)


def test_pack_lists_every_policy_mandatory(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())

    assert info.name == PACK_NAME
    assert [policy.name for policy in info.policies] == [p.name for p in all_policies()]
    assert {policy.enforcementLevel for policy in info.policies} == {MANDATORY}


def test_pack_rejects_public_api_rule(analyzer):
    diagnostics = analyze_rule(analyzer, "0.0.0.0/0")

    assert len(diagnostics) == 1
    assert diagnostics[0].policyName == "no-public-admin-ports"
    assert diagnostics[0].enforcementLevel == MANDATORY
    assert "6443 (Kubernetes API)" in diagnostics[0].message


def test_pack_accepts_admin_rule(analyzer):
    assert analyze_rule(analyzer, "198.51.100.0/24") == []
