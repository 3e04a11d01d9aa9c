import pytest
from pulumi_policy import StackValidationArgs

from k3smc_policy.public_ip import (
    ALICLOUD_INSTANCE,
    HUAWEICLOUD_INSTANCE,
    PUBLIC_IP_TAG,
    TENCENTCLOUD_INSTANCE,
    eip_only_on_public_vms,
    vm_public_ip_matches_config,
)
from policy_fakes import policy_resource, resource_args, violations


def tagged(public: str | None, **props) -> dict:
    tags = {"k3smc-node": "ali1"}
    if public is not None:
        tags[PUBLIC_IP_TAG] = public
    return {"tags": tags, **props}


FAILING = [
    pytest.param(ALICLOUD_INSTANCE, tagged("false", internetMaxBandwidthOut=10.0),
                 "requests a public IP", id="alicloud-unwanted"),
    pytest.param(ALICLOUD_INSTANCE, tagged("true", internetMaxBandwidthOut=0.0),
                 "requests no public IP", id="alicloud-missing"),
    pytest.param(ALICLOUD_INSTANCE, tagged("false", allocatePublicIp=True),
                 "requests a public IP", id="alicloud-deprecated-flag"),
    pytest.param(TENCENTCLOUD_INSTANCE, tagged("false", allocatePublicIp=True,
                                               internetMaxBandwidthOut=10.0),
                 "requests a public IP", id="tencent-unwanted"),
    pytest.param(TENCENTCLOUD_INSTANCE, tagged("true", internetMaxBandwidthOut=10.0),
                 "requests no public IP", id="tencent-missing"),
    pytest.param(HUAWEICLOUD_INSTANCE, tagged("false", eipType="5_bgp",
                                              bandwidth={"shareType": "PER", "size": 10.0}),
                 "requests a public IP", id="huawei-unwanted"),
    pytest.param(HUAWEICLOUD_INSTANCE, tagged("true"), "requests no public IP",
                 id="huawei-missing"),
    pytest.param(ALICLOUD_INSTANCE, tagged(None, internetMaxBandwidthOut=10.0),
                 f"no {PUBLIC_IP_TAG} tag", id="untagged"),
    pytest.param(TENCENTCLOUD_INSTANCE, {"allocatePublicIp": True}, f"no {PUBLIC_IP_TAG} tag",
                 id="no-tags"),
]

PASSING = [
    pytest.param(ALICLOUD_INSTANCE, tagged("true", internetMaxBandwidthOut=10.0),
                 id="alicloud-public"),
    pytest.param(ALICLOUD_INSTANCE, tagged("false", internetMaxBandwidthOut=0.0),
                 id="alicloud-private"),
    pytest.param(TENCENTCLOUD_INSTANCE, tagged("true", allocatePublicIp=True,
                                               internetMaxBandwidthOut=10.0),
                 id="tencent-public"),
    pytest.param(TENCENTCLOUD_INSTANCE, tagged("false", allocatePublicIp=False,
                                               internetMaxBandwidthOut=10.0),
                 id="tencent-private"),
    pytest.param(HUAWEICLOUD_INSTANCE, tagged("true", eipId="eip-123"), id="huawei-existing-eip"),
    pytest.param(HUAWEICLOUD_INSTANCE, tagged("false"), id="huawei-private"),
    pytest.param("alicloud:ecs/securityGroup:SecurityGroup", {"vpcId": "vpc-1"}, id="not-a-vm"),
]


@pytest.mark.parametrize("resource_type, props, expected", FAILING)
def test_public_ip_mismatch_fails(resource_type, props, expected):
    reported = violations(vm_public_ip_matches_config, resource_args(resource_type, props, "vm"))

    assert len(reported) == 1
    assert expected in reported[0]


@pytest.mark.parametrize("resource_type, props", PASSING)
def test_public_ip_match_passes(resource_type, props):
    assert violations(vm_public_ip_matches_config, resource_args(resource_type, props)) == []


def stack_with_association(public_tag: str) -> StackValidationArgs:
    vm = policy_resource(ALICLOUD_INSTANCE, tagged(public_tag), "vm-ali1")
    eip = policy_resource("alicloud:ecs/eipAddress:EipAddress", {"bandwidth": "10"}, "eip-ali1")
    association = policy_resource("alicloud:ecs/eipAssociation:EipAssociation",
                                  {"allocationId": "eip-1", "instanceId": "i-1"},
                                  "eip-ali1-assoc", dependencies=[eip, vm])
    return StackValidationArgs([vm, eip, association])


def test_eip_on_private_vm_fails():
    reported = violations(eip_only_on_public_vms, stack_with_association("false"))

    assert len(reported) == 1
    assert "eip-ali1-assoc attaches an EIP to vm-ali1" in reported[0]


def test_eip_on_public_vm_passes():
    assert violations(eip_only_on_public_vms, stack_with_association("true")) == []
