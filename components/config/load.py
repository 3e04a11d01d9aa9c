"""Validate the stack config and build the typed ClusterConfig.

``load_cluster_config`` is pure: it takes the raw values of the
``k3s-multicloud:`` namespace and returns a ClusterConfig, or raises
ConfigErrors listing every problem. ``read_stack_config`` is the thin layer
that reads those values from Pulumi before any resource is registered.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlparse

import pulumi

from components.config import checks, fields
from components.config.fields import SECRET_PLACEHOLDER, child
from components.config.model import (
    ClusterConfig,
    FirewallSettings,
    K3sSettings,
    KiloSettings,
    RegistryMirror,
)
from components.config.names import is_hostname
from components.config.nodes import NodeDraft, read_nodes
from components.config.validation import ParsedConfig, Validation, cross_check
from components.errors import IssueCollector
from components.firewall.settings import check_admin_cidrs, parse_firewall_settings
from components.i18n import current_locale

TOP_LEVEL_KEYS = ("nodes", "sshPrivateKey", "sshPublicKey", "k3s", "kilo", "adminCidrs", "firewall")
K3S_KEYS = ("version", "installScriptUrl", "installScriptSha256", "mirror", "installMirror",
            "token", "clusterCidr", "serviceCidr", "tlsSans", "serverArgs", "agentArgs",
            "registryMirrors")
KILO_KEYS = ("imageRepository", "subnet", "port", "granularity", "skipAwait")
# Keys whose value is a string as typed, never JSON to decode.
STRING_KEYS = ("sshPrivateKey", "sshPublicKey")

DEFAULT_K3S_VERSION = "v1.35.6+k3s1"
# The install script at the release tag, so the URL itself pins the script.
K3S_SCRIPT_URL_TEMPLATE = "https://raw.githubusercontent.com/k3s-io/k3s/{tag}/install.sh"
# The China mirror serves one unversioned script; installScriptSha256 pins it.
CHINA_SCRIPT_URL = "https://rancher-mirror.rancher.cn/k3s/k3s-install.sh"
CHINA_INSTALL_MIRROR = "cn"
MIRROR_PRESETS = ("china", "none")
# Script URL path segments that name a branch, whose content changes with every
# commit; compared in lower case ("heads" as in refs/heads/).
BRANCH_SEGMENTS = frozenset({"main", "master", "head", "heads"})
DEFAULT_CLUSTER_CIDR = "10.42.0.0/16"
DEFAULT_SERVICE_CIDR = "10.43.0.0/16"

KILO_VERSION = "0.7.0"
DEFAULT_KILO_IMAGE = "docker.io/squat/kilo"
DEFAULT_KILO_SUBNET = "10.4.0.0/16"
DEFAULT_KILO_PORT = 51820
KILO_GRANULARITIES = ("location", "full")

# An exact K3s release tag such as v1.35.6+k3s1 (no channel, no range).
K3S_VERSION_RE = re.compile(r"^v\d+\.\d+\.\d+\+k3s\d+$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
SSH_PUBLIC_KEY_RE = re.compile(
    r"^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( \S.*)?$")
REGISTRY_RE = re.compile(r"^(\*|[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?)$")
IMAGE_COMPONENT_RE = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*$")

# K3s flags that the program sets itself, with the config key to use instead.
# A user flag would conflict with the generated config.yaml.
MANAGED_K3S_FLAGS = {
    "--token": "k3s.token",
    "--token-file": "k3s.token",
    "--server": "the first server (set by the program)",
    "--cluster-init": "the first server (set by the program)",
    "--flannel-backend": "Kilo (flannel is always disabled)",
    "--node-ip": "nodes[].privateIp",
    "--node-external-ip": "nodes[].publicIp",
    "--node-name": "nodes[].name",
    "--cluster-cidr": "k3s.clusterCidr",
    "--service-cidr": "k3s.serviceCidr",
    "--tls-san": "k3s.tlsSans",
    "--node-label": "nodes[].labels",
    "--node-taint": "nodes[].taints",
}


def load_cluster_config(raw: Mapping[str, Any], project: str, stack: str,
                        locale: str | None = None) -> ClusterConfig:
    """Validate ``raw`` (camelCase keys without namespace) and return the ClusterConfig.

    Raises ConfigErrors with every problem found, in ``locale`` ("en" or "zh",
    default from the process locale): the field errors, the checks of the VM
    networks and the checks of the planned Kilo mesh, all in one report.
    """
    validation = validate_stack_config(raw, project, stack, locale)
    validation.raise_if_invalid()
    assert validation.cluster is not None
    return validation.cluster


def validate_stack_config(raw: Mapping[str, Any], project: str, stack: str,
                          locale: str | None = None) -> Validation:
    """Run every check of the stack config and return the result without raising.

    This is the one validation path of the program and the topology command.
    """
    locale = locale or current_locale()
    collector = IssueCollector()
    parsed = parse_stack_config(collector, raw)
    return cross_check(parsed, collector, project, stack, locale)


def parse_stack_config(collector: IssueCollector, raw: Any) -> ParsedConfig:
    """Read every field of ``raw`` into the parts of a ClusterConfig, recording field errors.

    The parts hold defaults in place of invalid values, and ``AddressPlan``
    marks the invalid address ranges as None, so the cross checks can run on
    them before anything is reported.
    """
    plan = checks.AddressPlan()
    if not isinstance(raw, Mapping):
        fields.wrong_type(collector, "k3s-multicloud", raw, "mapping")
        return ParsedConfig(drafts=[], k3s=_read_k3s(IssueCollector(), {}, checks.AddressPlan()),
                            kilo=_read_kilo(IssueCollector(), {}, checks.AddressPlan()),
                            admin_cidrs=(), firewall=FirewallSettings(), address_plan=plan)
    fields.check_keys(collector, "", raw, TOP_LEVEL_KEYS, required=("nodes",))

    drafts = read_nodes(collector, raw.get("nodes"))
    k3s = _read_k3s(collector, raw.get("k3s"), plan)
    kilo = _read_kilo(collector, raw.get("kilo"), plan)
    admin_cidrs = [net for net in (fields.parse_ipv4_network(collector, path, text)
                                   for path, text in fields.read_str_list(collector, "adminCidrs",
                                                                          raw.get("adminCidrs")))
                   if net is not None]
    firewall = parse_firewall_settings(collector, raw.get("firewall"))
    check_admin_cidrs(collector, admin_cidrs, firewall)
    _check_ssh_keys(collector, raw, drafts)

    checks.check_unique_names(collector, drafts)
    checks.check_servers(collector, drafts)
    checks.check_unique_private_ips(collector, drafts)
    checks.check_public_ips(collector, drafts, kilo.port)
    checks.check_address_plan(collector, drafts, plan)
    checks.check_capacity(collector, drafts, plan)
    checks.check_segments_reachable(collector, drafts, plan)
    checks.resolve_jump_hosts(collector, drafts)
    _check_existing_hosts(collector, drafts)

    return ParsedConfig(drafts=drafts, k3s=k3s, kilo=kilo, admin_cidrs=tuple(admin_cidrs),
                        firewall=firewall, address_plan=plan)


def _check_existing_hosts(collector: IssueCollector, drafts: list[NodeDraft]) -> None:
    """Existing hosts need a private IP: the program cannot discover it before deploying."""
    for draft in drafts:
        # A malformed or misspelled privateIp already has its own issue.
        if not draft.parsed or draft.has_vm or draft.private_ip_given:
            continue
        fields.missing(collector, f"{draft.path}.privateIp",
                       "give the host's VPC address with prefix, e.g. 192.168.64.4/20 "
                       "(see `ip -4 addr` on the host)",
                       "请填写主机的 VPC 内网地址和前缀，例如 192.168.64.4/20（可在主机上用 `ip -4 addr` 查看）")


def _check_ssh_keys(collector: IssueCollector, raw: Mapping[str, Any], drafts: list[NodeDraft]) -> None:
    private_key = fields.read_str(collector, "sshPrivateKey", raw.get("sshPrivateKey"), secret=True)
    if private_key is not None and "PRIVATE KEY-----" not in private_key:
        collector.add("sshPrivateKey", SECRET_PLACEHOLDER,
                      "is not a PEM or OpenSSH private key; set the key file's content with "
                      "`pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519`",
                      "不是 PEM 或 OpenSSH 私钥；请用 "
                      "`pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519` 设置私钥文件内容")
    existing = [d for d in drafts if not d.has_vm]
    misspelled = any(fields.suggest(str(key), TOP_LEVEL_KEYS) == "sshPrivateKey"
                     for key in raw if key not in TOP_LEVEL_KEYS)
    if existing and raw.get("sshPrivateKey") is None and not misspelled:
        fields.missing(collector, "sshPrivateKey",
                       "existing hosts are reached over SSH; set it with "
                       "`pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519`",
                       "已有主机通过 SSH 连接；请用 "
                       "`pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519` 设置")
    if any(d.has_vm for d in drafts) and raw.get("sshPublicKey") and raw.get("sshPrivateKey") is None:
        fields.missing(collector, "sshPrivateKey",
                       "sshPublicKey is set, so the VMs get that key and Pulumi logs in with its private "
                       "half; set it with `pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519`, "
                       "or remove sshPublicKey to let the program generate a key pair",
                       "设置了 sshPublicKey，云主机使用该公钥，Pulumi 需要用对应私钥登录；请用 "
                       "`pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519` 设置，"
                       "或删除 sshPublicKey 由程序生成密钥对")

    vm_nodes = [(d.name, d.cloud) for d in drafts if d.has_vm and d.name is not None]
    if vm_nodes:
        # Imported here so a stack of existing hosts never loads the cloud modules.
        from components.clouds.keys import check_ssh_key_types

        private_text = private_key if private_key is not None and "PRIVATE KEY-----" in private_key else None
        public_text = raw.get("sshPublicKey") if isinstance(raw.get("sshPublicKey"), str) else None
        check_ssh_key_types(vm_nodes, private_text, public_text or None, collector)

    public_key = raw.get("sshPublicKey")
    if public_key == "":
        return  # the project default: no public key
    text = fields.read_str(collector, "sshPublicKey", public_key)
    if text is not None and not SSH_PUBLIC_KEY_RE.match(text.strip()):
        collector.add("sshPublicKey", text[:40] + ("..." if len(text) > 40 else ""),
                      "is not an OpenSSH public key (ssh-ed25519 AAAA..., ssh-rsa AAAA... or ecdsa-sha2-...); "
                      "set the content of the .pub file",
                      "不是 OpenSSH 公钥（ssh-ed25519 AAAA...、ssh-rsa AAAA... 或 ecdsa-sha2-...）；请填写 .pub 文件内容")


def _read_k3s(collector: IssueCollector, value: Any, plan: checks.AddressPlan) -> K3sSettings:
    """Read the k3s section; invalid values are recorded and replaced by their defaults."""
    section = fields.read_mapping(collector, "k3s", value)
    section_valid = section is not None
    if section is None:
        section = {}
    fields.check_keys(collector, "k3s", section, K3S_KEYS)

    version = fields.read_str(collector, "k3s.version", section.get("version")) or DEFAULT_K3S_VERSION
    version_ok = K3S_VERSION_RE.match(version) is not None
    if not version_ok:
        collector.add("k3s.version", version,
                      f"is not an exact K3s release; write a tag like {DEFAULT_K3S_VERSION} "
                      "(see https://github.com/k3s-io/k3s/releases), not a channel or partial version",
                      f"不是确切的 K3s 版本；请写成 {DEFAULT_K3S_VERSION} 这样的发布标签"
                      "（见 https://github.com/k3s-io/k3s/releases），不要写渠道名或不完整的版本号")

    mirror = fields.read_str(collector, "k3s.mirror", section.get("mirror"))
    if mirror is not None and mirror not in MIRROR_PRESETS:
        collector.add("k3s.mirror", mirror,
                      "must be china (install from rancher-mirror.rancher.cn with INSTALL_K3S_MIRROR=cn) or none",
                      "必须是 china（从 rancher-mirror.rancher.cn 安装并设置 INSTALL_K3S_MIRROR=cn）或 none")
    china = mirror == "china"

    url = fields.read_str(collector, "k3s.installScriptUrl", section.get("installScriptUrl"))
    url_ok = True
    if url is None:
        url = CHINA_SCRIPT_URL if china else K3S_SCRIPT_URL_TEMPLATE.format(tag=quote(version, safe=""))
    elif urlparse(url).scheme != "https" or not urlparse(url).netloc:
        url_ok = False
        collector.add("k3s.installScriptUrl", url,
                      "must be an https:// URL, because the script runs as root on every host",
                      "必须是 https:// 地址，因为该脚本会在每台主机上以 root 身份运行")

    sha256 = _read_sha256(collector, section.get("installScriptSha256"))
    if url_ok and version_ok:
        _check_script_pinned(collector, url, version, has_sha256="installScriptSha256" in section)

    install_mirror = fields.read_str(collector, "k3s.installMirror", section.get("installMirror"))
    if install_mirror is not None and install_mirror != CHINA_INSTALL_MIRROR:
        collector.add("k3s.installMirror", install_mirror,
                      "must be cn, the only value of INSTALL_K3S_MIRROR that the K3s install script knows; "
                      "remove the key to download from GitHub",
                      "必须是 cn，这是 K3s 安装脚本唯一支持的 INSTALL_K3S_MIRROR 值；删除该键则从 GitHub 下载")
    if install_mirror is None and china:
        install_mirror = CHINA_INSTALL_MIRROR

    token = fields.read_str(collector, "k3s.token", section.get("token"), secret=True)
    if token is not None and any(ch.isspace() for ch in token):
        collector.add("k3s.token", SECRET_PLACEHOLDER,
                      "contains whitespace; use letters, digits and punctuation only, or remove it to "
                      "let the program generate one",
                      "包含空白字符；请只使用字母、数字和标点，或删除该键由程序生成")

    # A null value has its own issue from check_keys and parses as None.
    cluster_cidr = fields.parse_ipv4_network(collector, "k3s.clusterCidr",
                                             section.get("clusterCidr", DEFAULT_CLUSTER_CIDR))
    service_cidr = fields.parse_ipv4_network(collector, "k3s.serviceCidr",
                                             section.get("serviceCidr", DEFAULT_SERVICE_CIDR))
    if service_cidr is not None and not 12 <= service_cidr.prefixlen <= 28:
        collector.add("k3s.serviceCidr", str(service_cidr),
                      "must have a prefix from /12 (the kube-apiserver maximum) to /28; use e.g. 10.43.0.0/16",
                      "前缀必须在 /12（kube-apiserver 上限）到 /28 之间；例如 10.43.0.0/16")
    if cluster_cidr is not None and cluster_cidr.prefixlen > 24:
        collector.add("k3s.clusterCidr", str(cluster_cidr),
                      "must be /24 or larger, because K3s gives every node a /24; use e.g. 10.42.0.0/16",
                      "必须是 /24 或更大的网段，因为 K3s 为每个节点分配一个 /24；例如 10.42.0.0/16")
    if section_valid:
        plan.cluster_cidr = cluster_cidr
        plan.service_cidr = service_cidr

    tls_sans = []
    for path, san in fields.read_str_list(collector, "k3s.tlsSans", section.get("tlsSans")):
        if _is_ip(san) or is_hostname(san.lower()):
            tls_sans.append(san)
        else:
            collector.add(path, san, "is neither an IP address nor a DNS name; list the names "
                          "kubectl will use to reach the API server",
                          "既不是 IP 地址也不是域名；请列出 kubectl 访问 API server 时使用的名称")
    server_args = _read_k3s_args(collector, "k3s.serverArgs", section.get("serverArgs"))
    agent_args = _read_k3s_args(collector, "k3s.agentArgs", section.get("agentArgs"))
    registry_mirrors = _read_registry_mirrors(collector, section.get("registryMirrors"))

    return K3sSettings(
        version=version if version_ok else DEFAULT_K3S_VERSION,
        install_script_url=url,
        install_script_sha256=sha256,
        install_mirror=install_mirror,
        cluster_cidr=cluster_cidr or ipaddress.IPv4Network(DEFAULT_CLUSTER_CIDR),
        service_cidr=service_cidr or ipaddress.IPv4Network(DEFAULT_SERVICE_CIDR),
        extra_tls_sans=tuple(tls_sans),
        extra_server_args=tuple(server_args),
        extra_agent_args=tuple(agent_args),
        registry_mirrors=tuple(registry_mirrors),
    )


def _check_script_pinned(collector: IssueCollector, url: str, version: str, *, has_sha256: bool) -> None:
    """Reject branch URLs, and require installScriptSha256 unless the URL path names the K3s release.

    The URL pins the script only when one segment of its path is the version,
    as written or with '+' encoded as %2B (.../k3s/v1.35.6%2Bk3s1/install.sh).
    The host, query and fragment pin nothing. A branch (master, main, HEAD,
    refs/heads/...) is rejected even with a sha256. The digest would keep the
    content fixed, but the branch moves on. The next run then fails on a
    mismatch that the user cannot fix without changing the URL anyway.
    """
    segments = [unquote(segment) for segment in urlparse(url).path.split("/")]
    branch = next((segment for segment in segments if segment.lower() in BRANCH_SEGMENTS), None)
    if branch is not None:
        collector.add(
            "k3s.installScriptUrl", url,
            f"points at the branch '{branch}', whose install script changes with every commit; use the "
            f"release tag in the path (the default, {K3S_SCRIPT_URL_TEMPLATE.format(tag=quote(version, safe=''))})",
            f"指向分支 '{branch}'，其安装脚本随每次提交变化；请在路径中使用发布标签（默认地址 "
            f"{K3S_SCRIPT_URL_TEMPLATE.format(tag=quote(version, safe=''))}）",
        )
        return
    if has_sha256:
        return
    if version in segments:
        return
    collector.add(
        "k3s.installScriptSha256", None,
        f"is required because the install script URL {url} does not contain the K3s version "
        f"{version} as a path segment (like .../k3s/{quote(version, safe='')}/install.sh), so the script "
        f"could change under you; compute it with `curl -sfL {url} | sha256sum` and set the 64 hex digits",
        f"必须设置，因为安装脚本地址 {url} 的路径中没有以 K3s 版本 {version} 为一段"
        f"（如 .../k3s/{quote(version, safe='')}/install.sh），脚本内容可能随时变化；"
        f"请用 `curl -sfL {url} | sha256sum` 计算并填写 64 位十六进制值",
    )


def _read_sha256(collector: IssueCollector, value: Any) -> str | None:
    text = fields.read_str(collector, "k3s.installScriptSha256", value)
    if text is None:
        return None
    digest = text.strip().lower()
    if not SHA256_RE.match(digest):
        collector.add("k3s.installScriptSha256", text,
                      "is not a SHA-256 digest; set the 64 hex digits printed by `sha256sum`",
                      "不是 SHA-256 摘要；请填写 `sha256sum` 输出的 64 位十六进制值")
        return None
    return digest


def _read_k3s_args(collector: IssueCollector, path: str, value: Any) -> list[str]:
    args: list[str] = []
    for item_path, arg in fields.read_str_list(collector, path, value):
        flag = arg.split("=", 1)[0]
        if not arg.startswith("--") or any(ch.isspace() for ch in flag):
            collector.add(item_path, arg,
                          "must be one K3s flag written as --flag or --flag=value in a single entry, "
                          "e.g. --kube-proxy-arg=metrics-bind-address=0.0.0.0",
                          "必须是一个 K3s 参数，写成 --flag 或 --flag=value 且占一个条目，"
                          "例如 --kube-proxy-arg=metrics-bind-address=0.0.0.0")
            continue
        if flag in MANAGED_K3S_FLAGS:
            collector.add(item_path, arg,
                          f"sets {flag}, which the program manages; use {MANAGED_K3S_FLAGS[flag]} instead",
                          f"设置了由程序管理的 {flag}；请改用 {MANAGED_K3S_FLAGS[flag]}")
            continue
        args.append(arg)
    return args


def _read_registry_mirrors(collector: IssueCollector, value: Any) -> list[RegistryMirror]:
    section = fields.read_mapping(collector, "k3s.registryMirrors", value)
    if section is None:
        return []
    mirrors: list[RegistryMirror] = []
    for registry, endpoints in section.items():
        path = child("k3s.registryMirrors", str(registry))
        if not isinstance(registry, str) or not REGISTRY_RE.match(registry):
            collector.add(path, registry,
                          "is not a registry host; write it like docker.io, registry.k8s.io:5000 or *",
                          "不是镜像仓库主机名；请写成 docker.io、registry.k8s.io:5000 或 *")
            continue
        urls = []
        entries = fields.read_str_list(collector, path, endpoints)
        if not entries and isinstance(endpoints, list):
            collector.add(path, endpoints, "lists no endpoint; add at least one https:// mirror URL",
                          "没有列出端点；请至少添加一个 https:// 镜像地址")
        for item_path, url in entries:
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                collector.add(item_path, url,
                              "is not an http:// or https:// URL; write the mirror endpoint like https://mirror.example.com",
                              "不是 http:// 或 https:// 地址；请写成 https://mirror.example.com 这样的镜像端点")
                continue
            urls.append(url)
        if endpoints is None:
            fields.missing(collector, path, "list the mirror endpoint URLs for this registry",
                           "请列出该仓库的镜像端点地址")
        mirrors.append(RegistryMirror(registry=registry, endpoints=tuple(urls)))
    return mirrors


def _read_kilo(collector: IssueCollector, value: Any, plan: checks.AddressPlan) -> KiloSettings:
    """Read the kilo section; invalid values are recorded and replaced by their defaults."""
    section = fields.read_mapping(collector, "kilo", value)
    section_valid = section is not None
    if section is None:
        section = {}
    fields.check_keys(collector, "kilo", section, KILO_KEYS)

    image = fields.read_str(collector, "kilo.imageRepository", section.get("imageRepository"))
    if image is None:
        image = DEFAULT_KILO_IMAGE
    elif not _is_image_repository(image):
        collector.add("kilo.imageRepository", image,
                      f"must be an image repository without tag or digest, e.g. {DEFAULT_KILO_IMAGE} "
                      f"(the program pins tag {KILO_VERSION})",
                      f"必须是不带标签或摘要的镜像仓库，例如 {DEFAULT_KILO_IMAGE}（程序固定使用标签 {KILO_VERSION}）")

    subnet = fields.parse_ipv4_network(collector, "kilo.subnet", section.get("subnet", DEFAULT_KILO_SUBNET))
    port = fields.read_int(collector, "kilo.port", section.get("port", DEFAULT_KILO_PORT),
                           minimum=1, maximum=65535)
    granularity = section.get("granularity")
    if granularity is None:
        granularity = "location"
    elif granularity not in KILO_GRANULARITIES:
        collector.add("kilo.granularity", granularity,
                      "must be location (one WireGuard leader per location) or full (every node a peer)",
                      "必须是 location（每个 location 一个 WireGuard leader）或 full（每个节点都是对端）")
    skip_await = fields.read_bool(collector, "kilo.skipAwait", section.get("skipAwait"), False)
    if granularity not in KILO_GRANULARITIES:
        granularity = "location"
    if section_valid:
        plan.kilo_subnet = subnet
    plan.granularity = granularity

    return KiloSettings(
        version=KILO_VERSION,
        image_repository=image if _is_image_repository(image) else DEFAULT_KILO_IMAGE,
        subnet=subnet or ipaddress.IPv4Network(DEFAULT_KILO_SUBNET),
        port=port if port is not None else DEFAULT_KILO_PORT,
        granularity=granularity,
        skip_await=skip_await,
    )


def _is_image_repository(image: str) -> bool:
    """Accept registry/path repositories; reject a tag or digest, which the program pins."""
    if "@" in image:
        return False
    parts = image.split("/")
    host, _, port = parts[0].partition(":")
    if port and (len(parts) == 1 or not port.isdigit()):
        return False
    return all(IMAGE_COMPONENT_RE.match(part) for part in [host, *parts[1:]])


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class StackSecrets:
    """Secret inputs read from the stack config, kept out of ClusterConfig."""

    # Secret Output with the SSH private key text, or None when no key is set.
    ssh_private_key: pulumi.Output[str] | None
    # Secret Output with the configured K3s token, or None to generate one.
    k3s_token: pulumi.Output[str] | None
    # OpenSSH public key for cloud key pairs, or None.
    ssh_public_key: str | None


def raw_stack_config(project: str) -> dict[str, Any]:
    """Return every config value of the ``project:`` namespace, JSON decoded.

    The values come from pulumi.runtime, which the language host fills with
    the decrypted stack config, so keys that no code requests (typos) are
    visible too.
    """
    prefix = f"{project}:"
    values: dict[str, Any] = {}
    sources = [pulumi.runtime.get_config_env(), dict(pulumi.runtime.config.CONFIG.get())]
    for source in sources:
        for full_key, text in source.items():
            if not full_key.startswith(prefix):
                continue
            key = full_key[len(prefix):]
            values[key] = _decode(key, text)
    return values


def _decode(key: str, text: Any) -> Any:
    if key in STRING_KEYS or not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def read_stack_config() -> tuple[ClusterConfig, StackSecrets]:
    """Read and validate the current stack's config; raises ConfigErrors."""
    project = pulumi.get_project()
    stack = pulumi.get_stack()
    raw = raw_stack_config(project)
    cluster = load_cluster_config(raw, project, stack)

    config = pulumi.Config(project)
    private_key = config.get_secret("sshPrivateKey")
    token = raw.get("k3s", {}).get("token") if isinstance(raw.get("k3s"), Mapping) else None
    public_key = raw.get("sshPublicKey") or None
    return cluster, StackSecrets(
        ssh_private_key=private_key,
        k3s_token=pulumi.Output.secret(token) if token is not None else None,
        ssh_public_key=public_key.strip() if public_key else None,
    )
