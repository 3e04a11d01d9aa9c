"""One validation pass: field, VM network and Kilo mesh problems in one report.

Also pins the rules that each came with a way around them: null values,
secrets in messages, the install script pin, public IPs, reserved names and
the message language.
"""

from __future__ import annotations

import copy

import pytest

from components.config.load import load_cluster_config, validate_stack_config
from components.errors import ConfigErrors, IssueCollector
from components.i18n import current_locale
from components.config.validation import plan_and_check_mesh
from components.redaction import MAX_STRING, format_value, redact
from program_mocks import seed_raw_config as seed_raw

SHA256 = "0123456789abcdef" * 4
SECRET = "hunter2SecretValue"


def node(raw, name):
    (found,) = [n for n in raw["nodes"] if n.get("name") == name]
    return found


def load(raw, locale="en"):
    return load_cluster_config(raw, "k3s-multicloud", "dev", locale=locale)


def issues_of(raw, locale="en"):
    with pytest.raises(ConfigErrors) as raised:
        load(raw, locale)
    return raised.value


def paths(errors):
    return [issue.path for issue in errors.issues]


def issue_at(errors, path):
    matching = [issue for issue in errors.issues if issue.path == path]
    assert matching, f"no issue at {path}; got {paths(errors)}"
    return matching


def make_vm(raw, name, cloud, region, **vm):
    entry = node(raw, name)
    entry.pop("publicIp", None)
    entry.pop("privateIp", None)
    entry["cloud"] = cloud
    entry["vm"] = {"region": region, **vm}


def natted_leaders(raw):
    """Locations baidu and home whose leaders both lack a public endpoint."""
    for entry in raw["nodes"]:
        if entry["location"] == "baidu":
            entry.pop("publicIp", None)
            entry["ssh"] = {"host": "bd-gateway.example.com"}
    raw["nodes"].append({"name": "home1", "role": "agent", "location": "home",
                         "privateIp": "192.168.100.10/24", "persistentKeepalive": 25,
                         "ssh": {"host": "home-gateway.example.com"}})


def four_kinds_of_problems():
    """A bad field, VMs without adminCidrs, a VPC over the pod range and NAT-only leaders."""
    raw = seed_raw()
    node(raw, "hw1")["persistentKeepalive"] = "20s"
    make_vm(raw, "ali1", "alicloud", "cn-hangzhou", vpcCidr="10.40.0.0/14", subnetCidr="10.40.1.0/24")
    make_vm(raw, "tx1", "tencentcloud", "ap-guangzhou")
    natted_leaders(raw)
    return raw


# --- one report -----------------------------------------------------------

def test_all_problem_kinds_in_one_report():
    errors = issues_of(four_kinds_of_problems())

    assert errors.title_en == "invalid stack config"
    issue_at(errors, "nodes[1].persistentKeepalive")
    assert "is required with VMs" in issue_at(errors, "adminCidrs")[0].message_en
    assert any("overlaps k3s.clusterCidr" in issue.message_en
               for issue in issue_at(errors, "nodes[3].vm.vpcCidr"))
    assert "both lack a public endpoint" in issue_at(errors, "nodes[6].publicIp")[0].message_en


def test_one_report_in_chinese():
    errors = issues_of(four_kinds_of_problems(), locale="zh")

    text = errors.render()
    assert text.splitlines()[0] == f"栈配置无效：共 {len(errors.issues)} 个问题"
    assert "创建云主机时必须填写" in text
    assert "都没有公网端点" in text


def test_mesh_only_problems_keep_mesh_title():
    raw = seed_raw()
    natted_leaders(raw)

    errors = issues_of(raw)

    assert errors.title_en == "invalid Kilo mesh"
    assert paths(errors) == ["nodes[6].publicIp"]


def test_cross_checks_use_config_indexes():
    raw = four_kinds_of_problems()
    # A broken node before the others leaves the stand-in model; the issue
    # paths must still name the nodes as the config numbers them.
    raw["nodes"].insert(1, {"name": "Bad_Name", "role": "agent", "location": "x"})

    errors = issues_of(raw)

    assert "nodes[1].name" in paths(errors)
    assert "overlaps k3s.clusterCidr" in " ".join(i.message_en for i in issue_at(errors, "nodes[4].vm.vpcCidr"))
    issue_at(errors, "nodes[7].publicIp")


def test_cross_check_skips_field_already_reported():
    raw = seed_raw()
    # bd2's privateIp is invalid, so the mesh plans bd2 without a private IP.
    # That follow-up problem must not be reported a second time.
    node(raw, "bd2")["privateIp"] = "192.168.64.5"

    errors = issues_of(raw)

    assert paths(errors) == ["nodes[5].privateIp"]


def test_admin_cidr_issue_reported_once():
    raw = seed_raw()
    make_vm(raw, "ali1", "alicloud", "cn-hangzhou")
    raw["adminCidrs"] = ["0.0.0.0/0"]

    errors = issues_of(raw)

    assert paths(errors) == ["adminCidrs[0]"]


def test_invalid_cluster_cidr_gets_free_stand_in():
    raw = seed_raw()
    # The hosts of location baidu use 10.42.0.0/16, the default pod range.
    node(raw, "bd1")["privateIp"] = "10.42.0.4/20"
    node(raw, "bd2")["privateIp"] = "10.42.0.5/20"
    raw["k3s"]["clusterCidr"] = "10.52.0.0"

    errors = issues_of(raw)

    assert paths(errors) == ["k3s.clusterCidr"]


def test_vm_public_key_without_private_key():
    raw = seed_raw()
    raw["adminCidrs"] = ["192.0.2.0/24"]
    raw["nodes"] = [entry for entry in raw["nodes"] if entry["name"] in ("ty1", "ali1")]
    make_vm(raw, "ali1", "alicloud", "cn-hangzhou")
    make_vm(raw, "ty1", "alicloud", "cn-hangzhou")
    raw["sshPublicKey"] = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCabc user@host"
    del raw["sshPrivateKey"]

    errors = issues_of(raw)

    assert paths(errors) == ["sshPrivateKey"]
    assert "sshPublicKey is set" in errors.issues[0].message_en


def test_validation_result_without_raising():
    validation = validate_stack_config(four_kinds_of_problems(), "k3s-multicloud", "dev", "en")

    assert validation.cluster is None
    assert validation.mesh is None
    assert not validation.mesh_only
    assert len(validation.issues) >= 4


def test_program_reuses_validated_mesh_plan():
    validation = validate_stack_config(seed_raw(), "k3s-multicloud", "dev", "en")
    collector = IssueCollector()

    plan = plan_and_check_mesh(validation.cluster, collector)

    assert plan is validation.mesh
    assert collector.issues == []


def test_tiny_vm_subnet_does_not_crash():
    raw = seed_raw()
    raw["adminCidrs"] = ["192.0.2.0/24"]
    make_vm(raw, "ali1", "alicloud", "cn-hangzhou")
    make_vm(raw, "hw1", "alicloud", "cn-hangzhou")
    # The group's subnet becomes ali1's /30, which has no address left for hw1.
    node(raw, "ali1")["privateIp"] = "172.21.0.1/30"

    errors = issues_of(raw)

    assert any("too few addresses" in issue.message_en for issue in errors.issues), paths(errors)


# --- never crash ------------------------------------------------------------

WEIRD_VALUES = [None, [], {}, "x", 0, True, [{"a": 1}]]

FIELD_PATHS = (
    [(key,) for key in ("nodes", "sshPrivateKey", "sshPublicKey", "k3s", "kilo", "adminCidrs", "firewall")]
    + [("k3s", key) for key in ("version", "installScriptUrl", "installScriptSha256", "mirror",
                                "installMirror", "token", "clusterCidr", "serviceCidr", "tlsSans",
                                "serverArgs", "agentArgs", "registryMirrors")]
    + [("kilo", key) for key in ("imageRepository", "subnet", "port", "granularity", "skipAwait")]
    + [("nodes", 3, key) for key in ("name", "role", "location", "cloud", "publicIp", "privateIp",
                                     "persistentKeepalive", "kiloLeader", "ssh", "vm", "labels", "taints")]
    + [("nodes", 5, "ssh", key) for key in ("user", "port", "host", "jumpHost")]
    + [("nodes", 2, "vm", key) for key in ("region", "zone", "instanceType", "vpcCidr", "subnetCidr",
                                           "bandwidth", "systemDiskSize")]
    + [("nodes", 0)]
)


def vm_seed():
    raw = seed_raw()
    raw["adminCidrs"] = ["192.0.2.0/24"]
    make_vm(raw, "tx1", "tencentcloud", "ap-guangzhou")
    return raw


def set_path(raw, path, value):
    target = raw
    for key in path[:-1]:
        if isinstance(target, dict):
            target = target.setdefault(key, {})
        else:
            target = target[key]
    target[path[-1]] = value


@pytest.mark.parametrize("value", WEIRD_VALUES, ids=repr)
@pytest.mark.parametrize("path", FIELD_PATHS, ids=lambda path: ".".join(map(str, path)))
def test_weird_value_never_crashes(path, value):
    raw = vm_seed()
    set_path(raw, path, copy.deepcopy(value))

    try:
        load(raw)
    except ConfigErrors as errors:
        assert errors.issues


def test_seed_with_vm_is_valid():
    # Guards the table above: its base config must load.
    load(vm_seed())


# --- null values ------------------------------------------------------------

@pytest.mark.parametrize("section, key", [
    ("k3s", "clusterCidr"), ("k3s", "serviceCidr"), ("kilo", "subnet"), ("kilo", "port"),
    ("kilo", "granularity"), ("k3s", "installScriptSha256"),
])
def test_null_setting_is_field_error(section, key):
    raw = seed_raw()
    raw.setdefault(section, {})[key] = None

    errors = issues_of(raw)

    (issue,) = errors.issues
    assert issue.path == f"{section}.{key}"
    assert issue.value is None
    assert "has no value (YAML null); write a value or delete the key" in issue.message_en


def test_null_required_field_says_required():
    raw = seed_raw()
    node(raw, "hw1")["role"] = None

    (issue,) = issues_of(raw).issues

    assert issue.path == "nodes[1].role"
    assert "is required" in issue.message_en


def test_null_node_entry():
    raw = seed_raw()
    raw["nodes"].append(None)

    (issue,) = issues_of(raw).issues

    assert issue.path == "nodes[6]"
    assert "empty list entry" in issue.message_en


def test_null_private_key_reported_once():
    raw = seed_raw()
    raw["sshPrivateKey"] = None

    assert paths(issues_of(raw)) == ["sshPrivateKey"]


# --- secrets in messages ----------------------------------------------------

def whole_config_as_list(raw):
    return [raw]


@pytest.mark.parametrize("mutate", [
    lambda raw: raw.update(k3s=[{"token": SECRET}]),
    lambda raw: raw["k3s"].update(serverArgs=[f"--token={SECRET}"]),
    lambda raw: raw["k3s"].update(agentArgs=[f"--agent-token {SECRET}"]),
    lambda raw: raw["k3s"].update(serverArgs=[f"--token-file=/etc/{SECRET}"]),
    lambda raw: raw["k3s"].update(serverArgs=[f"K3S_TOKEN={SECRET}"]),
    lambda raw: raw["k3s"].update(tokne=SECRET),
    lambda raw: raw.update(nodess=[{"k3s": {"token": SECRET}}]),
    lambda raw: node(raw, "tx1").update(vm=[{"region": "ap-guangzhou", "secretKey": SECRET}]),
    lambda raw: node(raw, "tx1").update(labels={"example.com/x": [{"accessKey": SECRET}]}),
    lambda raw: raw["k3s"].update(installScriptUrl=f"https://user:{SECRET}@mirror.example.com/install.sh"),
], ids=["k3s-list-token", "server-arg-token", "agent-token-space", "token-file", "env-token",
        "misspelled-token", "unknown-key-value", "vm-credentials", "label-credentials", "url-password"])
def test_secret_never_in_message(mutate):
    raw = seed_raw()
    mutate(raw)

    errors = issues_of(raw)

    for locale in ("en", "zh"):
        assert SECRET not in errors.render(locale)
    assert SECRET not in repr([issue.value for issue in errors.issues])


def test_config_as_list_hides_private_key():
    raw = seed_raw()

    errors = issues_of(whole_config_as_list(raw))

    text = errors.render("en")
    assert "PRIVATE KEY" not in text
    assert "k3smc-test-ssh-private-key" not in text
    assert "k3s-multicloud = [{" in text


def test_long_value_is_shortened():
    text = format_value(list(range(100)))

    assert text == "[0, 1, 2, 3, ... (96 more)]"
    assert format_value("a" * 500) == repr("a" * MAX_STRING + "...")
    assert format_value({"a": {"b": {"c": 1}}}) == "{'a': {'b': {...}}}"


def test_redact_keeps_plain_values():
    value = {"name": "bd1", "args": ["--disable=traefik"], "port": 22}

    assert redact(value) == value


def test_collector_redacts_values():
    collector = IssueCollector()
    collector.add("k3s.serverArgs[0]", f"--token={SECRET}", "en", "zh")

    assert collector.issues[0].value == "--token=<secret>"


# --- install script pin -----------------------------------------------------

@pytest.mark.parametrize("url", [
    "https://get.k3s.io/#v1.35.6+k3s1",
    "https://raw.githubusercontent.com/k3s-io/k3s/abc/install.sh?v1.35.6+k3s1",
    "https://v1.35.6+k3s1.evil.example/install.sh",
    "https://mirror.example.com/k3s/v1.35.6+k3s1-install.sh",
    "https://mirror.example.com/k3s/install.sh;v1.35.6+k3s1",
])
def test_version_outside_path_needs_sha256(url):
    raw = seed_raw()
    raw["k3s"]["installScriptUrl"] = url

    (issue,) = issues_of(raw).issues

    assert issue.path == "k3s.installScriptSha256"
    assert "does not contain the K3s version v1.35.6+k3s1 as a path segment" in issue.message_en


@pytest.mark.parametrize("url", [
    "https://raw.githubusercontent.com/k3s-io/k3s/v1.35.6%2Bk3s1/install.sh",
    "https://raw.githubusercontent.com/k3s-io/k3s/v1.35.6%2bk3s1/install.sh",
    "https://github.com/k3s-io/k3s/raw/v1.35.6+k3s1/install.sh",
])
def test_version_path_segment_pins_script(url):
    raw = seed_raw()
    raw["k3s"]["installScriptUrl"] = url

    assert load(raw).k3s.install_script_url == url


BRANCH_URLS = [
    ("master", "https://raw.githubusercontent.com/k3s-io/k3s/master/install.sh"),
    ("main", "https://raw.githubusercontent.com/k3s-io/k3s/main/install.sh"),
    ("HEAD", "https://example.com/k3s/HEAD/install.sh"),
    ("heads", "https://example.com/k3s/refs/heads/v1.35.6%2Bk3s1/install.sh"),
]


@pytest.mark.parametrize(("branch", "url"), BRANCH_URLS)
def test_branch_url_rejected_without_sha256(branch, url):
    raw = seed_raw()
    raw["k3s"]["installScriptUrl"] = url

    (issue,) = issues_of(raw).issues

    assert issue.path == "k3s.installScriptUrl"
    assert f"points at the branch '{branch}'" in issue.message_en


@pytest.mark.parametrize(("branch", "url"), BRANCH_URLS)
def test_branch_url_rejected_with_sha256(branch, url):
    raw = seed_raw()
    raw["k3s"]["installScriptUrl"] = url
    raw["k3s"]["installScriptSha256"] = SHA256

    (issue,) = issues_of(raw).issues

    assert issue.path == "k3s.installScriptUrl"
    assert f"points at the branch '{branch}'" in issue.message_en


def test_unversioned_url_accepted_with_sha256():
    raw = seed_raw()
    raw["k3s"]["installScriptUrl"] = "https://rancher-mirror.rancher.cn/k3s/k3s-install.sh"
    raw["k3s"]["installScriptSha256"] = SHA256

    assert load(raw).k3s.install_script_sha256 == SHA256


# --- public IPs ---------------------------------------------------------------

def test_duplicate_public_ip_other_location():
    raw = seed_raw()
    node(raw, "hw1")["publicIp"] = "203.0.113.10"

    (issue,) = issues_of(raw).issues

    assert issue.path == "nodes[1].publicIp"
    assert "is also the publicIp of nodes[0]" in issue.message_en
    assert "203.0.113.10:51820" in issue.message_en


def test_duplicate_public_ip_same_location():
    raw = seed_raw()
    node(raw, "bd2")["publicIp"] = "198.51.100.40"

    (issue,) = issues_of(raw).issues

    assert issue.path == "nodes[5].publicIp"
    assert "even in one location" in issue.message_en


def test_private_ip_equal_to_public_ip():
    raw = seed_raw()
    node(raw, "hw1")["publicIp"] = "192.168.64.5"

    errors = issues_of(raw)

    assert "is the publicIp of nodes[1]" in issue_at(errors, "nodes[5].privateIp")[0].message_en


def test_public_ip_inside_private_network():
    raw = seed_raw()
    node(raw, "hw1")["publicIp"] = "172.17.5.9"

    errors = issues_of(raw)

    (issue,) = issue_at(errors, "nodes[1].publicIp")
    assert "lies inside the private network 172.17.0.0/20 of nodes[2]" in issue.message_en


# --- message text -------------------------------------------------------------

def test_port_message_without_unit():
    raw = seed_raw()
    node(raw, "bd1")["ssh"] = {"port": 0}
    raw["kilo"]["port"] = 70000

    errors = issues_of(raw)

    for path in ("nodes[4].ssh.port", "kilo.port"):
        (issue,) = issue_at(errors, path)
        assert issue.message_en == "must be a whole number from 1 to 65535"


def test_keepalive_message_with_unit():
    raw = seed_raw()
    node(raw, "bd1")["persistentKeepalive"] = 0

    (issue,) = issues_of(raw).issues

    assert issue.message_en == "must be a whole number of seconds from 1 to 65535"


def test_chinese_bool_message_spacing():
    raw = seed_raw()
    raw["kilo"]["skipAwait"] = "yes"

    (issue,) = issues_of(raw).issues

    assert issue.message_zh == "必须是 true 或 false，而不是字符串；请改写为 true 或 false"


def test_unknown_key_shows_its_value():
    raw = seed_raw()
    raw["nodess"] = [{"name": "x"}]

    errors = issues_of(raw)

    (issue,) = issue_at(errors, "nodess")
    assert issue.value == [{"name": "x"}]
    assert "nodess = [{'name': 'x'}]: unknown key" in errors.render("en")


# --- reserved names -------------------------------------------------------------

@pytest.mark.parametrize("name", ["localhost", "localhost.localdomain", "ip6-localhost"])
def test_loopback_name_rejected(name):
    raw = seed_raw()
    node(raw, "bd2")["name"] = name

    (issue,) = issues_of(raw).issues

    assert issue.path == "nodes[5].name"
    assert "loopback name" in issue.message_en


def test_name_starting_with_localhost_allowed():
    raw = seed_raw()
    node(raw, "bd2")["name"] = "localhost-2"

    assert load(raw).nodes[5].name == "localhost-2"


# --- locale ---------------------------------------------------------------------

LOCALE_VARIABLES = ("K3SMC_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")


@pytest.mark.parametrize("environment, expected", [
    ({"K3SMC_LANG": "zh_CN"}, "zh"),
    ({"K3SMC_LANG": "ZH"}, "zh"),
    ({"K3SMC_LANG": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"K3SMC_LANG": "fr", "LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "en_US.UTF-8", "LANGUAGE": "zh_CN:en"}, "zh"),
    ({"LC_ALL": "zh_CN.UTF-8", "LANGUAGE": "en_US"}, "en"),
    ({"LANG": "en_US.UTF-8", "LANGUAGE": "fr:zh_TW"}, "zh"),
    ({"LANG": "C", "LANGUAGE": "zh_CN"}, "en"),
    ({"LC_ALL": "POSIX", "LANGUAGE": "zh_CN"}, "en"),
    ({"LANGUAGE": "zh_CN"}, "en"),
    ({"LANG": "zh_CN.UTF-8", "LANGUAGE": "fr"}, "zh"),
    ({}, "en"),
], ids=lambda value: repr(value))
def test_locale_rules(monkeypatch, environment, expected):
    for variable in LOCALE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)

    assert current_locale() == expected


def test_vm_key_type_in_same_report():
    raw = seed_raw()
    raw["adminCidrs"] = ["192.0.2.0/24"]
    make_vm(raw, "ali1", "alicloud", "cn-hangzhou")
    raw["sshPublicKey"] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbc user@host"
    raw["nodes"][0]["persistentKeepalive"] = "20s"

    errors = issues_of(raw)

    assert "sshPublicKey" in paths(errors)
    assert "nodes[0].persistentKeepalive" in paths(errors)
