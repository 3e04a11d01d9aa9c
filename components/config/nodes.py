"""Read the ``nodes`` list of the stack config into per-node drafts.

A draft keeps what could be parsed of one node, so the cross-node checks in
``components.config.checks`` can still run when some fields are wrong, and
every problem of the config reaches the user in one report.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components.config import fields
from components.config.fields import child
from components.config.model import VM_CLOUDS, NodeConfig, SshSettings, VmSettings
from components.config.names import (
    hostname_suggestion,
    is_dns_label,
    is_hostname,
    is_label_key,
    is_label_value,
    parse_taint,
    SSH_USER_RE,
    TAINT_EFFECTS,
)
from components.errors import IssueCollector

NODE_KEYS = ("name", "role", "location", "cloud", "publicIp", "privateIp",
             "persistentKeepalive", "kiloLeader", "ssh", "vm", "labels", "taints")
# Their null values get the reader's "is required" message instead of the generic one.
REQUIRED_NODE_KEYS = ("name", "role", "location")
SSH_KEYS = ("user", "port", "host", "jumpHost")
# Loopback names in the default /etc/hosts of Debian, Ubuntu and RHEL.
LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "localhost4", "localhost4.localdomain4",
                  "localhost6", "localhost6.localdomain6", "ip6-localhost", "ip6-loopback")
ROLES = ("server", "agent")
DEFAULT_CLOUD = "existing"


@dataclass
class NodeDraft:
    """One node as far as it could be parsed; None marks a missing or bad field."""

    index: int
    path: str
    # False when the entry is not a mapping; the other fields are then unset.
    parsed: bool = True
    name: str | None = None
    role: str | None = None
    location: str | None = None
    cloud: str = DEFAULT_CLOUD
    public_ip: ipaddress.IPv4Address | None = None
    # True when publicIp was written, even if malformed, so a bad value gives
    # one error instead of also "missing public IP" errors downstream.
    public_ip_given: bool = False
    private_ip_given: bool = False
    private_ip: ipaddress.IPv4Interface | None = None
    persistent_keepalive: int | None = None
    kilo_leader: bool = False
    ssh_user: str = "root"
    ssh_port: int = 22
    ssh_host: str | None = None
    jump_host: str | None = None
    has_vm: bool = False
    vm: VmSettings | None = None
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[str, ...] = ()

    @property
    def has_public_address(self) -> bool:
        """True when the node has a public IP now (existing host) or will get one (VM)."""
        return self.public_ip is not None or self.public_ip_given or self.has_vm

    def to_node(self) -> NodeConfig:
        """Build the NodeConfig; only call this after validation found no issue."""
        assert self.name is not None
        assert self.role is not None
        assert self.location is not None
        return NodeConfig(
            name=self.name,
            role=self.role,  # type: ignore[arg-type]
            location=self.location,
            cloud=self.cloud,
            public_ip=self.public_ip,
            private_ip=self.private_ip,
            persistent_keepalive=self.persistent_keepalive,
            kilo_leader=self.kilo_leader,
            ssh=SshSettings(user=self.ssh_user, port=self.ssh_port, host=self.ssh_host,
                            jump_host=self.jump_host),
            vm=self.vm,
            labels=dict(self.labels),
            taints=self.taints,
        )


def read_nodes(collector: IssueCollector, value: Any) -> list[NodeDraft]:
    """Parse the ``nodes`` list; every entry becomes a draft, even a broken one."""
    if value is None:
        fields.missing(collector, "nodes",
                       "list the cluster's hosts, each with name, role, location and privateIp",
                       "请列出集群主机，每台写明 name、role、location 和 privateIp")
        return []
    if isinstance(value, (str, Mapping)) or not isinstance(value, (list, tuple)):
        fields.wrong_type(collector, "nodes", value, "list")
        return []
    if not value:
        collector.add("nodes", value, "is empty; list at least one server",
                      "为空；至少需要列出一个 server 节点")
        return []
    return [_read_node(collector, index, item) for index, item in enumerate(value)]


def _read_node(collector: IssueCollector, index: int, value: Any) -> NodeDraft:
    path = child("nodes", index)
    draft = NodeDraft(index=index, path=path)
    if value is None:
        collector.add(path, None, "is an empty list entry (YAML null); describe the node or delete the entry",
                      "是空的列表条目（YAML null）；请填写节点信息或删除该条目")
        draft.parsed = False
        return draft
    node = fields.read_mapping(collector, path, value)
    if node is None:
        draft.parsed = False
        return draft
    fields.check_keys(collector, path, node, NODE_KEYS, required=REQUIRED_NODE_KEYS)
    # Keys the user meant to write, going by the suggestions for unknown keys.
    # A misspelled publicIp is reported once, not again as a missing address.
    intended = {fields.suggest(str(key), NODE_KEYS) for key in node if key not in NODE_KEYS}

    draft.name = _read_name(collector, path, node.get("name"))
    draft.role = _read_role(collector, path, node.get("role"))
    draft.location = _read_label_like(collector, child(path, "location"), node.get("location"),
                                      required=True, what_en="location", what_zh="location")
    cloud = _read_label_like(collector, child(path, "cloud"), node.get("cloud"),
                             required=False, what_en="cloud", what_zh="cloud")
    draft.cloud = cloud or DEFAULT_CLOUD

    draft.public_ip = fields.parse_ipv4_address(collector, child(path, "publicIp"), node.get("publicIp"))
    # A key written with a null value counts as given, because it has its own issue.
    draft.public_ip_given = "publicIp" in node or "publicIp" in intended
    draft.private_ip_given = "privateIp" in node or "privateIp" in intended
    draft.private_ip = fields.parse_ipv4_interface(collector, child(path, "privateIp"), node.get("privateIp"))
    draft.persistent_keepalive = fields.read_int(
        collector, child(path, "persistentKeepalive"), node.get("persistentKeepalive"),
        minimum=1, maximum=65535, unit_en="seconds", unit_zh="（秒）；不需要时删除该键")
    draft.kilo_leader = fields.read_bool(collector, child(path, "kiloLeader"), node.get("kiloLeader"), False)

    _read_ssh(collector, path, node.get("ssh"), draft)
    _read_vm(collector, path, node, draft)
    draft.labels = _read_labels(collector, child(path, "labels"), node.get("labels"))
    draft.taints = _read_taints(collector, child(path, "taints"), node.get("taints"))
    return draft


def _read_name(collector: IssueCollector, path: str, value: Any) -> str | None:
    name_path = child(path, "name")
    if value is None:
        fields.missing(collector, name_path,
                       "give the node a unique hostname such as ty1; it becomes the Kubernetes node name",
                       "请为节点设置唯一主机名，例如 ty1；它也是 Kubernetes 节点名")
        return None
    name = fields.read_str(collector, name_path, value)
    if name is None:
        return None
    if not is_hostname(name):
        suggestion = hostname_suggestion(name)
        collector.add(
            name_path, value,
            "is not an RFC 1123 hostname (lowercase letters, digits, '-' and '.', each part "
            f"starting and ending with a letter or digit, at most 63 characters); use e.g. '{suggestion}'",
            "不是 RFC 1123 主机名（只能包含小写字母、数字、'-' 和 '.'，每段以字母或数字开头和结尾，"
            f"不超过 63 个字符）；可改为 '{suggestion}'",
        )
        return None
    if name in LOOPBACK_NAMES:
        collector.add(
            name_path, value,
            "is a loopback name that /etc/hosts maps to 127.0.0.1 or ::1 on every host, so the node "
            "name would resolve to the local machine wherever it is looked up; choose another name, "
            "e.g. 'node-1'",
            "是回环名称，每台主机的 /etc/hosts 都把它指向 127.0.0.1 或 ::1，无论在哪里解析该节点名都会指向本机；"
            "请换一个名称，例如 'node-1'",
        )
        return None
    return name


def _read_role(collector: IssueCollector, path: str, value: Any) -> str | None:
    role_path = child(path, "role")
    if value is None:
        fields.missing(collector, role_path, "set role to server or agent",
                       "请将 role 设为 server 或 agent")
        return None
    if value not in ROLES:
        collector.add(role_path, value, "must be server or agent",
                      "必须是 server 或 agent")
        return None
    return value


def _read_label_like(collector: IssueCollector, path: str, value: Any, *, required: bool,
                     what_en: str, what_zh: str) -> str | None:
    """Read a location or cloud name: an RFC 1123 label, because Kilo and logs use it as is."""
    if value is None:
        if required:
            fields.missing(
                collector, path,
                f"set the {what_en}; nodes with the same {what_en} share one private network",
                f"请设置 {what_zh}；{what_zh} 相同的节点共享同一个内网",
            )
        return None
    text = fields.read_str(collector, path, value)
    if text is None:
        return None
    if not is_dns_label(text):
        collector.add(
            path, value,
            f"must be an RFC 1123 label (lowercase letters, digits and '-', at most 63 characters); "
            f"use e.g. '{hostname_suggestion(text).replace('.', '-')}'",
            f"必须是 RFC 1123 标签（小写字母、数字和 '-'，不超过 63 个字符）；"
            f"可改为 '{hostname_suggestion(text).replace('.', '-')}'",
        )
        return None
    return text


def _read_ssh(collector: IssueCollector, path: str, value: Any, draft: NodeDraft) -> None:
    ssh_path = child(path, "ssh")
    ssh = fields.read_mapping(collector, ssh_path, value)
    if ssh is None:
        return
    fields.check_keys(collector, ssh_path, ssh, SSH_KEYS)

    user = fields.read_str(collector, child(ssh_path, "user"), ssh.get("user"))
    if user is not None:
        if SSH_USER_RE.match(user):
            draft.ssh_user = user
        else:
            collector.add(child(ssh_path, "user"), user,
                          "is not a valid Linux user name (lowercase letters, digits, '_' and '-', "
                          "at most 32 characters); use the login user of the host, e.g. root or ubuntu",
                          "不是有效的 Linux 用户名（小写字母、数字、'_' 和 '-'，不超过 32 个字符）；"
                          "请填写主机的登录用户，例如 root 或 ubuntu")

    port = fields.read_int(collector, child(ssh_path, "port"), ssh.get("port"),
                           minimum=1, maximum=65535)
    if port is not None:
        draft.ssh_port = port

    host = fields.read_str(collector, child(ssh_path, "host"), ssh.get("host"))
    if host is not None:
        if _is_ipv4(host) or is_hostname(host.lower()):
            draft.ssh_host = host
        else:
            collector.add(child(ssh_path, "host"), host,
                          "is neither an IPv4 address nor a DNS name; give the address to dial for SSH",
                          "既不是 IPv4 地址也不是域名；请填写 SSH 连接的地址")

    jump = fields.read_str(collector, child(ssh_path, "jumpHost"), ssh.get("jumpHost"))
    if jump is not None:
        draft.jump_host = jump


def _read_vm(collector: IssueCollector, path: str, node: Mapping[str, Any], draft: NodeDraft) -> None:
    """Validate a ``vm`` block through the cloud module, imported only when a node has one."""
    if "vm" not in node:
        return
    vm_path = child(path, "vm")
    draft.has_vm = True
    if node.get("vm") is None:
        return  # check_keys reported the null value
    vm = fields.read_mapping(collector, vm_path, node.get("vm"))
    if vm is None:
        return

    clouds = ", ".join(VM_CLOUDS)
    if draft.cloud not in VM_CLOUDS:
        collector.add(
            vm_path, dict(vm),
            f"creates a VM, which only works with cloud set to one of {clouds} "
            f"(cloud is '{draft.cloud}'); set cloud, or remove vm to use an existing host",
            f"表示创建云主机，只支持 cloud 为 {clouds}（当前 cloud 为 '{draft.cloud}'）；"
            "请设置 cloud，或删除 vm 以使用已有主机",
        )
        return

    if "publicIp" in node:
        collector.add(
            child(path, "publicIp"), node.get("publicIp"),
            "is assigned by the cloud for a node with a vm block; remove publicIp",
            "带 vm 的节点由云平台分配公网 IP；请删除 publicIp",
        )

    try:
        from components.clouds import validate_vm
    except ImportError as error:
        collector.add(
            vm_path, dict(vm),
            f"VM creation is not available in this installation ({error}); "
            "remove the vm block and describe the host with publicIp and privateIp",
            f"当前安装不支持创建云主机（{error}）；请删除 vm，并用 publicIp 和 privateIp 描述已有主机",
        )
        return

    draft.vm = validate_vm(vm_path, draft.cloud, vm, collector)


def _read_labels(collector: IssueCollector, path: str, value: Any) -> dict[str, str]:
    labels = fields.read_mapping(collector, path, value)
    if labels is None:
        return {}
    result: dict[str, str] = {}
    for key, label_value in labels.items():
        key_path = child(path, str(key))
        if not isinstance(key, str) or not is_label_key(key):
            collector.add(key_path, key,
                          "is not a valid Kubernetes label key ([prefix/]name, name up to 63 letters, "
                          "digits, '-', '_' or '.'); rename it, e.g. example.com/role",
                          "不是有效的 Kubernetes 标签键（[前缀/]名称，名称最多 63 个字母、数字、'-'、'_' 或 '.'）；"
                          "请改名，例如 example.com/role")
            continue
        if not isinstance(label_value, str):
            collector.add(key_path, label_value,
                          "must be a string; quote the value in YAML, e.g. \"true\"",
                          "必须是字符串；请在 YAML 中给值加引号，例如 \"true\"")
            continue
        if not is_label_value(label_value):
            collector.add(key_path, label_value,
                          "is not a valid Kubernetes label value (up to 63 letters, digits, '-', '_' "
                          "or '.', starting and ending with a letter or digit)",
                          "不是有效的 Kubernetes 标签值（最多 63 个字母、数字、'-'、'_' 或 '.'，"
                          "以字母或数字开头和结尾）")
            continue
        result[key] = label_value
    return result


def _read_taints(collector: IssueCollector, path: str, value: Any) -> tuple[str, ...]:
    taints = []
    effects = ", ".join(TAINT_EFFECTS)
    for item_path, text in fields.read_str_list(collector, path, value):
        if parse_taint(text) is None:
            collector.add(item_path, text,
                          f"is not a taint; write key=value:Effect or key:Effect with Effect one of {effects}",
                          f"不是有效的污点；请写成 key=value:Effect 或 key:Effect，Effect 取 {effects} 之一")
            continue
        taints.append(text)
    return tuple(taints)


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True
