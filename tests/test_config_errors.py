"""A table of bad stack configs, each with the issue the loader must report."""

from __future__ import annotations

import re
import sys
import types

import pytest

import components.clouds
from components.config.load import load_cluster_config
from components.config.model import VmSettings
from components.errors import ConfigErrors
from program_mocks import TEST_SSH_PRIVATE_KEY
from program_mocks import seed_raw_config as seed_raw

SHA256 = "0123456789abcdef" * 4

CJK = re.compile(r"[\u4e00-\u9fff]")


def node(raw, name):
    (found,) = [n for n in raw["nodes"] if n.get("name") == name]
    return found


def set_node(node_name, **values):
    def mutate(raw):
        node(raw, node_name).update(values)
    return mutate


def drop_node_key(node_name, key):
    def mutate(raw):
        del node(raw, node_name)[key]
    return mutate


def set_top(key, value):
    def mutate(raw):
        raw[key] = value
    return mutate


def set_k3s(**values):
    def mutate(raw):
        raw.setdefault("k3s", {}).update(values)
    return mutate


def set_kilo(**values):
    def mutate(raw):
        raw.setdefault("kilo", {}).update(values)
    return mutate


def all_agents(raw):
    for entry in raw["nodes"]:
        entry["role"] = "agent"


def two_servers(raw):
    node(raw, "hw1")["role"] = "server"


def office_without_reach(raw):
    raw["nodes"].append({"name": "lab1", "role": "agent", "location": "office",
                         "privateIp": "10.20.0.5/24", "ssh": {"host": "lab1.example.com"}})


def bd2_without_jump(raw):
    node(raw, "bd2")["location"] = "baidu-b"


def jump_chain(raw):
    node(raw, "bd2")["ssh"] = {"jumpHost": "bd3"}
    raw["nodes"].append({"name": "bd3", "role": "agent", "location": "baidu",
                         "privateIp": "192.168.64.6/20", "persistentKeepalive": 20,
                         "ssh": {"jumpHost": "bd1"}})


def first_server_without_public_ip(raw):
    ty1 = node(raw, "ty1")
    del ty1["publicIp"]
    ty1["ssh"] = {"host": "ty1.example.com"}


def remove_ssh_key(raw):
    del raw["sshPrivateKey"]


# (id, mutation, field path of the issue, fragment of the English message)
CASES = [
    ("missing-name", drop_node_key("tx1", "name"), "nodes[2].name", "is required"),
    ("duplicate-name", set_node("bd2", name="bd1"), "nodes[5].name", "duplicates the name of nodes[4]"),
    ("name-not-rfc1123", set_node("bd2", name="Bd_2"), "nodes[5].name", "use e.g. 'bd-2'"),
    ("name-too-long", set_node("bd2", name="b" * 64), "nodes[5].name", "not an RFC 1123 hostname"),
    ("missing-role", drop_node_key("hw1", "role"), "nodes[1].role", "set role to server or agent"),
    ("bad-role", set_node("hw1", role="worker"), "nodes[1].role", "must be server or agent"),
    ("missing-location", drop_node_key("hw1", "location"), "nodes[1].location", "is required"),
    ("no-server", all_agents, "nodes", "has no server"),
    ("even-servers", two_servers, "nodes", "embedded etcd needs an odd number"),
    ("first-server-no-public-ip", first_server_without_public_ip, "nodes[0].publicIp",
     "is required on the first server"),
    ("malformed-public-ip", set_node("hw1", publicIp="203.0.113.300"), "nodes[1].publicIp",
     "is not an IPv4 address"),
    ("public-ip-with-prefix", set_node("hw1", publicIp="203.0.113.30/32"), "nodes[1].publicIp",
     "is not an IPv4 address"),
    ("loopback-public-ip", set_node("hw1", publicIp="127.0.0.1"), "nodes[1].publicIp",
     "not a usable host address"),
    ("private-ip-no-prefix", set_node("bd1", privateIp="192.168.64.4"), "nodes[4].privateIp",
     "has no prefix length"),
    ("private-ip-malformed", set_node("bd1", privateIp="192.168.64.400/20"), "nodes[4].privateIp",
     "is not an IPv4 address with prefix"),
    ("private-ip-network-address", set_node("bd1", privateIp="192.168.64.0/20"), "nodes[4].privateIp",
     "network or broadcast address"),
    ("private-ip-missing", drop_node_key("bd1", "privateIp"), "nodes[4].privateIp", "is required"),
    ("private-ip-duplicate", set_node("bd2", privateIp="192.168.64.4/20"), "nodes[5].privateIp",
     "is also the private IP of nodes[4]"),
    ("cluster-cidr-host-bits", set_k3s(clusterCidr="10.42.1.0/16"), "k3s.clusterCidr",
     "write the network as 10.42.0.0/16"),
    ("cluster-cidr-malformed", set_k3s(clusterCidr="10.42.0.0/40"), "k3s.clusterCidr", "is not an IPv4 CIDR"),
    ("cluster-cidr-no-prefix", set_k3s(clusterCidr="10.42.0.0"), "k3s.clusterCidr", "has no prefix length"),
    ("cluster-cidr-too-small", set_k3s(clusterCidr="10.42.0.0/25"), "k3s.clusterCidr",
     "K3s gives every node a /24"),
    ("cluster-cidr-too-few-nodes", set_k3s(clusterCidr="10.42.0.0/22"), "k3s.clusterCidr",
     "has room for 4 node pod ranges"),
    ("service-cidr-malformed", set_k3s(serviceCidr="10.43.0/16"), "k3s.serviceCidr", "is not an IPv4 CIDR"),
    ("service-overlaps-pods", set_k3s(serviceCidr="10.42.128.0/17"), "k3s.serviceCidr",
     "overlaps k3s.clusterCidr"),
    ("kilo-overlaps-pods", set_kilo(subnet="10.42.0.0/24"), "kilo.subnet", "overlaps k3s.clusterCidr"),
    ("kilo-overlaps-services", set_kilo(subnet="10.43.4.0/24"), "kilo.subnet", "overlaps k3s.serviceCidr"),
    ("kilo-overlaps-host", set_kilo(subnet="192.168.0.0/16"), "nodes[0].privateIp", "overlaps kilo.subnet"),
    ("pods-overlap-host", set_k3s(clusterCidr="172.16.0.0/12"), "nodes[2].privateIp",
     "overlaps k3s.clusterCidr"),
    ("services-overlap-host", set_k3s(serviceCidr="192.168.0.0/16"), "nodes[4].privateIp",
     "overlaps k3s.serviceCidr"),
    ("public-ip-in-pod-range", set_node("hw1", publicIp="10.42.9.9"), "nodes[1].publicIp",
     "lies inside k3s.clusterCidr"),
    ("kilo-subnet-too-small", set_kilo(subnet="10.4.0.0/30"), "kilo.subnet", "Kilo needs one per segment"),
    ("location-unreachable", office_without_reach, "nodes[6].location",
     "no Kilo leader there could be reached or dial out"),
    ("keepalive-fraction", set_node("hw1", persistentKeepalive=20.5), "nodes[1].persistentKeepalive",
     "whole number of seconds"),
    ("keepalive-string", set_node("hw1", persistentKeepalive="20s"), "nodes[1].persistentKeepalive",
     "whole number of seconds"),
    ("keepalive-bool", set_node("hw1", persistentKeepalive=True), "nodes[1].persistentKeepalive",
     "whole number of seconds"),
    ("keepalive-zero", set_node("hw1", persistentKeepalive=0), "nodes[1].persistentKeepalive",
     "from 1 to 65535"),
    ("version-latest", set_k3s(version="latest"), "k3s.version", "is not an exact K3s release"),
    ("version-minor", set_k3s(version="v1.35"), "k3s.version", "is not an exact K3s release"),
    ("version-no-k3s-suffix", set_k3s(version="v1.35.6"), "k3s.version", "is not an exact K3s release"),
    ("version-no-v", set_k3s(version="1.35.6+k3s1"), "k3s.version", "is not an exact K3s release"),
    ("version-rc", set_k3s(version="v1.35.6-rc1+k3s1"), "k3s.version", "is not an exact K3s release"),
    ("unknown-top-key", set_top("node", []), "node", "did you mean 'nodes'?"),
    ("unknown-node-key", set_node("hw1", publicIP="203.0.113.30"), "nodes[1].publicIP",
     "did you mean 'publicIp'?"),
    ("unknown-ssh-key", set_node("bd2", ssh={"jumphost": "bd1"}), "nodes[5].ssh.jumphost",
     "did you mean 'jumpHost'?"),
    ("unknown-k3s-key", set_k3s(verison="v1.35.6+k3s1"), "k3s.verison", "did you mean 'version'?"),
    ("unknown-kilo-key", set_kilo(granularty="full"), "kilo.granularty", "did you mean 'granularity'?"),
    ("unknown-key-no-guess", set_kilo(zzz=1), "kilo.zzz", "remove it or use one of"),
    ("missing-ssh-key", remove_ssh_key, "sshPrivateKey", "is required"),
    ("ssh-key-not-a-key", set_top("sshPrivateKey", "hunter2-not-a-key"), "sshPrivateKey",
     "is not a PEM or OpenSSH private key"),
    ("ssh-public-key-invalid", set_top("sshPublicKey", "AAAAC3Nza"), "sshPublicKey", "is not an OpenSSH public key"),
    ("ssh-port-range", set_node("bd1", ssh={"port": 70000}), "nodes[4].ssh.port", "from 1 to 65535"),
    ("ssh-user-invalid", set_node("bd1", ssh={"user": "Root User"}), "nodes[4].ssh.user",
     "is not a valid Linux user name"),
    ("jump-unknown-node", set_node("bd2", ssh={"jumpHost": "bd9"}), "nodes[5].ssh.jumpHost",
     "is not the name of a node"),
    ("jump-self", set_node("bd2", ssh={"jumpHost": "bd2"}), "nodes[5].ssh.jumpHost", "names the node itself"),
    ("jump-chain", jump_chain, "nodes[5].ssh.jumpHost", "only one hop"),
    ("unreachable-over-ssh", bd2_without_jump, "nodes[5].publicIp", "no other node in location 'baidu-b'"),
    ("mirror-unknown", set_k3s(mirror="aliyun"), "k3s.mirror", "must be china"),
    ("china-mirror-needs-sha256", set_k3s(mirror="china"), "k3s.installScriptSha256",
     "sha256sum"),
    ("unversioned-url-needs-sha256", set_k3s(installScriptUrl="https://get.k3s.io"), "k3s.installScriptSha256",
     "does not contain the K3s version"),
    ("sha256-malformed", set_k3s(mirror="china", installScriptSha256="abc"), "k3s.installScriptSha256",
     "is not a SHA-256 digest"),
    ("script-url-http", set_k3s(installScriptUrl="http://rancher-mirror.cnrancher.com/k3s/k3s-install.sh",
                                installScriptSha256=SHA256), "k3s.installScriptUrl", "must be an https:// URL"),
    ("install-mirror-unknown", set_k3s(installMirror="us"), "k3s.installMirror", "must be cn"),
    ("server-arg-managed", set_k3s(serverArgs=["--flannel-backend=vxlan"]), "k3s.serverArgs[0]",
     "which the program manages"),
    ("agent-arg-split", set_k3s(agentArgs=["--kube-proxy-arg", "metrics-bind-address=0.0.0.0"]),
     "k3s.agentArgs[1]", "--flag=value in a single entry"),
    ("args-not-list", set_k3s(serverArgs="--disable=traefik"), "k3s.serverArgs", "must be a list"),
    ("tls-san-invalid", set_k3s(tlsSans=["not a name"]), "k3s.tlsSans[0]", "neither an IP address nor a DNS name"),
    ("registry-endpoint-invalid", set_k3s(registryMirrors={"docker.io": ["mirror.example.com"]}),
     "k3s.registryMirrors.docker.io[0]", "is not an http:// or https:// URL"),
    ("kilo-image-with-tag", set_kilo(imageRepository="docker.io/squat/kilo:0.6.0"), "kilo.imageRepository",
     "without tag or digest"),
    ("kilo-port-range", set_kilo(port=0), "kilo.port", "from 1 to 65535"),
    ("kilo-granularity", set_kilo(granularity="cross"), "kilo.granularity", "must be location"),
    ("kilo-skip-await-string", set_kilo(skipAwait="yes"), "kilo.skipAwait", "must be true or false"),
    ("label-value-bool", set_node("ty1", labels={"example.com/gpu": True}), "nodes[0].labels.example.com/gpu",
     "quote the value"),
    ("label-key-invalid", set_node("ty1", labels={"bad key": "x"}), "nodes[0].labels.bad key",
     "not a valid Kubernetes label key"),
    ("taint-invalid", set_node("ty1", taints=["dedicated=control"]), "nodes[0].taints[0]", "is not a taint"),
    ("admin-cidr-invalid", set_top("adminCidrs", ["198.51.100.0/33"]), "adminCidrs[0]", "is not an IPv4 CIDR"),
    ("nodes-not-list", set_top("nodes", {"name": "ty1"}), "nodes", "must be a list"),
    ("nodes-empty", set_top("nodes", []), "nodes", "is empty"),
    ("node-not-mapping", lambda raw: raw["nodes"].append("bd3"), "nodes[6]", "must be a mapping"),
    ("location-not-label", set_node("hw1", location="Huawei Cloud"), "nodes[1].location",
     "must be an RFC 1123 label"),
    ("vm-on-existing-cloud", set_node("bd1", vm={"region": "bj"}), "nodes[4].vm",
     "only works with cloud set to one of"),
]


@pytest.mark.parametrize("mutate, path, fragment", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_config_is_reported(mutate, path, fragment):
    raw = seed_raw()
    mutate(raw)

    with pytest.raises(ConfigErrors) as raised:
        load_cluster_config(raw, "k3s-multicloud", "dev", locale="en")

    matching = [issue for issue in raised.value.issues if issue.path == path]
    messages = [f"{issue.path}: {issue.message_en}" for issue in raised.value.issues]
    assert matching, f"no issue at {path}; got {messages}"
    assert any(fragment in issue.message_en for issue in matching), messages
    assert all(CJK.search(issue.message_zh) for issue in raised.value.issues), messages


def test_case_ids_are_unique():
    ids = [case[0] for case in CASES]
    assert len(ids) == len(set(ids))


def test_every_problem_reported_at_once():
    raw = seed_raw()
    set_node("hw1", publicIp="bad")(raw)
    set_k3s(version="latest")(raw)
    set_kilo(granularty="full")(raw)

    with pytest.raises(ConfigErrors) as raised:
        load_cluster_config(raw, "k3s-multicloud", "dev", locale="en")

    assert [issue.path for issue in raised.value.issues] == [
        "nodes[1].publicIp", "k3s.version", "kilo.granularty"]


def test_rendered_error_names_path_value_and_fix():
    raw = seed_raw()
    set_node("bd1", privateIp="192.168.64.4")(raw)

    with pytest.raises(ConfigErrors) as raised:
        load_cluster_config(raw, "k3s-multicloud", "dev", locale="en")

    text = str(raised.value)
    assert text.splitlines()[0] == "invalid stack config: 1 problem(s)"
    assert "nodes[4].privateIp = '192.168.64.4': has no prefix length; write the host address with " \
           "its network prefix, e.g. 192.168.64.4/20" in text


def test_chinese_locale_renders_chinese():
    raw = seed_raw()
    set_node("bd1", privateIp="192.168.64.4")(raw)

    with pytest.raises(ConfigErrors) as raised:
        load_cluster_config(raw, "k3s-multicloud", "dev", locale="zh")

    text = str(raised.value)
    assert text.splitlines()[0] == "栈配置无效：共 1 个问题"
    assert "nodes[4].privateIp = '192.168.64.4': 缺少前缀长度" in text


def test_zh_locale_from_environment(monkeypatch):
    monkeypatch.delenv("K3SMC_LANG", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    raw = seed_raw()
    set_k3s(version="latest")(raw)

    with pytest.raises(ConfigErrors) as raised:
        load_cluster_config(raw, "k3s-multicloud", "dev")

    assert "不是确切的 K3s 版本" in str(raised.value)


@pytest.mark.parametrize("mutate", [
    set_top("sshPrivateKey", "hunter2-not-a-key"),
    set_k3s(token="hunter2 with space"),
    set_top("sshPrivateKey", ["hunter2"]),
], ids=["ssh-key", "token", "ssh-key-wrong-type"])
def test_secret_values_are_not_echoed(mutate):
    raw = seed_raw()
    mutate(raw)

    with pytest.raises(ConfigErrors) as raised:
        load_cluster_config(raw, "k3s-multicloud", "dev", locale="en")

    assert "hunter2" not in raised.value.render("en")
    assert "hunter2" not in raised.value.render("zh")
    assert "<secret>" in raised.value.render("en")


def test_vm_without_cloud_module_is_a_config_error(monkeypatch):
    # A None entry in sys.modules makes the import raise ImportError.
    monkeypatch.setitem(sys.modules, "components.clouds", None)
    raw = seed_raw()
    ali1 = node(raw, "ali1")
    del ali1["publicIp"]
    ali1["vm"] = {"region": "cn-hangzhou"}

    with pytest.raises(ConfigErrors) as raised:
        load_cluster_config(raw, "k3s-multicloud", "dev", locale="en")

    (issue,) = raised.value.issues
    assert issue.path == "nodes[3].vm"
    assert "VM creation is not available" in issue.message_en


def test_vm_block_goes_to_cloud_validator(monkeypatch):
    calls = []
    cloud_validate_vm = components.clouds.validate_vm

    def validate_vm(path, cloud, raw_vm, collector):
        calls.append((path, cloud, dict(raw_vm)))
        return cloud_validate_vm(path, cloud, raw_vm, collector)

    monkeypatch.setattr(components.clouds, "validate_vm", validate_vm)
    raw = seed_raw()
    raw["adminCidrs"] = ["192.0.2.0/24"]
    ali1 = node(raw, "ali1")
    del ali1["publicIp"]
    del ali1["privateIp"]
    ali1["vm"] = {"region": "cn-hangzhou"}

    cluster = load_cluster_config(raw, "k3s-multicloud", "dev", locale="en")

    assert calls == [("nodes[3].vm", "alicloud", {"region": "cn-hangzhou"})]
    assert isinstance(cluster.nodes[3].vm, VmSettings)
    assert cluster.nodes[3].vm.region == "cn-hangzhou"
    assert cluster.nodes[3].private_ip is None


def test_vm_with_public_ip_is_rejected(monkeypatch):
    monkeypatch.setitem(sys.modules, "components.clouds",
                        types.SimpleNamespace(validate_vm=lambda path, cloud, raw_vm, collector: None))
    raw = seed_raw()
    node(raw, "ali1")["vm"] = {"region": "cn-hangzhou"}

    with pytest.raises(ConfigErrors) as raised:
        load_cluster_config(raw, "k3s-multicloud", "dev", locale="en")

    assert [issue.path for issue in raised.value.issues] == ["nodes[3].publicIp"]


def test_test_key_is_valid_input():
    # Guards the table: the base config must load, so each case fails only
    # because of its own mutation.
    raw = seed_raw()
    assert raw["sshPrivateKey"] == TEST_SSH_PRIVATE_KEY
    load_cluster_config(raw, "k3s-multicloud", "dev", locale="en")
