"""Policies: K3s, its install script and container images are pinned.

A floating version (``latest``, a release channel, a branch) lets two runs of
the same commit install different software, so a reviewed preview no longer
describes what ``pulumi up`` does.

K3s is installed by pulumi-command ``remote:Command`` resources. The check
reads what the command runs: ``create``, ``update``, ``stdin`` and the
``environment`` values. Every INSTALL_K3S_VERSION must be an exact release
such as v1.35.6+k3s1, and INSTALL_K3S_CHANNEL must not be used. A K3s
install-script URL counts as pinned only when one segment of its path equals
the K3s version the command installs (``v1.35.6+k3s1`` or ``v1.35.6%2Bk3s1``).
The version in the host name, the query or the fragment pins nothing, because
the server may return any script there. Otherwise the command must carry the
script's sha256 to verify it. Kubernetes workloads (the Kilo DaemonSet among
them) must name every image by an explicit version tag or a digest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from components.i18n import pick
from k3smc_policy import values

REMOTE_COMMAND = "command:remote:Command"

# An exact K3s release: Kubernetes version plus the K3s build suffix.
K3S_VERSION_RE = re.compile(r"^v\d+\.\d+\.\d+\+k3s\d+$")
_VERSION_ASSIGNMENT_RE = re.compile(
    r"""INSTALL_K3S_VERSION=(?:"([^"]*)"|'([^']*)'|([^\s;&|]*))""")
_URL_RE = re.compile(r"""https?://[^\s'"<>()]+""")
# A sha256 counts only where it verifies the install script: as the value of
# a variable such as INSTALL_SCRIPT_SHA256, or piped into `sha256sum -c`.
# Other hashes in the same command (REGISTRIES_SHA256) do not pin the script.
_SCRIPT_SHA256_RE = re.compile(
    r"""[A-Z_]*SCRIPT[A-Z_]*SHA256=['"]?[0-9a-fA-F]{64}\b"""
    r"""|\b[0-9a-fA-F]{64}\s+\S+?['"]?\s*\|\s*sha256sum\s+(?:-c|--check)\b""")
_BRANCH_SEGMENTS = {"main", "master", "head", "heads"}

WORKLOAD_TYPES: dict[str, tuple[str, ...]] = {
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "kubernetes:core/v1:Pod": ("spec",),
}

# Tags that registries move to newer builds.
FLOATING_TAGS = {"", "latest", "stable", "edge", "nightly", "dev", "main", "master", "head",
                 "canary"}
# A release tag such as 0.7.0 or v0.7.0, which the Kilo image must use.
_RELEASE_TAG_RE = re.compile(r"^v?\d+\.\d+\.\d+$")


def command_text(props: Mapping[str, Any]) -> str:
    """Join everything a remote Command runs into one text to scan."""
    parts = [values.text(props.get(field)) for field in ("create", "update", "stdin")]
    for key, value in values.as_mapping(props.get("environment")).items():
        parts.append(f"{key}={values.text(value)}")
    return "\n".join(part for part in parts if part)


def _is_install_script_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.hostname == "get.k3s.io":
        return True
    return "k3s" in url.lower() and parts.path.endswith("install.sh")


def _path_segments(url: str) -> list[str]:
    """Return the decoded path segments of ``url``: %2B becomes "+"."""
    return [unquote(segment) for segment in urlsplit(url).path.split("/")]


def _url_problem(url: str, versions: set[str], has_sha256: bool) -> tuple[str, str] | None:
    """Describe why ``url`` is not a pinned install script, or return None.

    ``versions`` are the exact K3s releases the command installs. When the
    command names none (a problem reported on its own), any exact release in
    a path segment counts.
    """
    segments = _path_segments(url)
    if {segment.lower() for segment in segments} & _BRANCH_SEGMENTS:
        return (
            f"the install script URL {url} names a branch, so its content changes. Use a URL "
            f"with the K3s release tag (…/k3s-io/k3s/v1.35.6%2Bk3s1/install.sh).",
            f"安装脚本地址 {url} 指向分支，内容会变化。请使用带 K3s 版本标签的地址"
            f"（…/k3s-io/k3s/v1.35.6%2Bk3s1/install.sh）。",
        )
    if versions:
        pinned = any(segment in versions for segment in segments)
    else:
        pinned = any(K3S_VERSION_RE.match(segment) for segment in segments)
    if pinned or has_sha256:
        return None
    if versions:
        expected_en = f"the K3s version {', '.join(sorted(versions))}"
        expected_zh = f" K3s 版本 {', '.join(sorted(versions))}"
    else:
        expected_en = "an exact K3s release such as v1.35.6+k3s1"
        expected_zh = "具体的 K3s 版本（例如 v1.35.6+k3s1）"
    return (
        f"the install script URL {url} carries no version: no segment of its path equals "
        f"{expected_en}, and the command verifies no sha256. Set "
        f"k3s.installScriptSha256 (sha256sum of the script) or use a URL with the K3s tag as a "
        f"path segment (…/k3s-io/k3s/v1.35.6%2Bk3s1/install.sh).",
        f"安装脚本地址 {url} 不带版本：其路径中没有一段等于{expected_zh}，命令也没有校验 "
        f"sha256。请设置 k3s.installScriptSha256（脚本的 sha256sum），或使用把 K3s 版本标签"
        f"作为路径一段的地址（…/k3s-io/k3s/v1.35.6%2Bk3s1/install.sh）。",
    )


def k3s_problems(text: str) -> Iterator[tuple[str, str]]:
    """Yield (English, Chinese) descriptions of every unpinned K3s install in ``text``."""
    versions = [next(group for group in match.groups() if group is not None)
                for match in _VERSION_ASSIGNMENT_RE.finditer(text)]
    urls = [url for url in _URL_RE.findall(text) if _is_install_script_url(url)]
    installs_k3s = bool(urls) or "INSTALL_K3S_" in text
    if not installs_k3s:
        return

    for version in versions:
        if not K3S_VERSION_RE.match(version):
            yield (
                f"INSTALL_K3S_VERSION={version!r} is not an exact K3s release. Set k3s.version "
                f"to a release such as v1.35.6+k3s1.",
                f"INSTALL_K3S_VERSION={version!r} 不是确定的 K3s 版本。请把 k3s.version 设为"
                f"具体版本，例如 v1.35.6+k3s1。",
            )
    if not versions:
        yield (
            "the command installs K3s without INSTALL_K3S_VERSION, so the install script picks "
            "the newest stable release. Pass the pinned k3s.version.",
            "该命令安装 K3s 时没有设置 INSTALL_K3S_VERSION，安装脚本会选择最新的稳定版。"
            "请传入固定的 k3s.version。",
        )
    if "INSTALL_K3S_CHANNEL" in text:
        yield (
            "INSTALL_K3S_CHANNEL follows a release channel that moves. Remove it and pin "
            "INSTALL_K3S_VERSION.",
            "INSTALL_K3S_CHANNEL 跟随会变化的发布通道。请删除它并固定 INSTALL_K3S_VERSION。",
        )

    exact_versions = {version for version in versions if K3S_VERSION_RE.match(version)}
    has_sha256 = bool(_SCRIPT_SHA256_RE.search(text))
    for url in urls:
        problem = _url_problem(url, exact_versions, has_sha256)
        if problem is not None:
            yield problem


def validate_k3s_version(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Report remote Commands that install K3s without a pinned version or script."""
    if args.resource_type != REMOTE_COMMAND:
        return
    for english, chinese in k3s_problems(command_text(args.props)):
        report_violation(pick(f"{args.name}: {english}", f"{args.name}：{chinese}"))


def split_image(image: str) -> tuple[str, str, str]:
    """Split an image reference into (repository, tag, digest).

    A port in the registry host (registry.example:5000/kilo) is not a tag:
    the tag is only looked for after the last "/".
    """
    reference, _, digest = image.partition("@")
    slash = reference.rfind("/")
    colon = reference.rfind(":")
    if colon > slash:
        return reference[:colon], reference[colon + 1:], digest
    return reference, "", digest


def _pod_spec(props: Mapping[str, Any], path: tuple[str, ...]) -> Mapping[str, Any]:
    spec: Any = props
    for key in path:
        spec = values.as_mapping(spec).get(key)
    return values.as_mapping(spec)


def image_problems(image: str) -> Iterator[tuple[str, str]]:
    """Yield (English, Chinese) descriptions of why ``image`` is not pinned."""
    repository, tag, digest = split_image(image)
    if digest:
        return
    if tag.lower() in FLOATING_TAGS:
        tag_text = tag or "(none, so latest)"
        yield (
            f"image {image} uses the moving tag {tag_text}. Name a release tag or a digest.",
            f"镜像 {image} 使用会变化的标签 {tag or '（未写，即 latest）'}。请写明版本标签或摘要。",
        )
        return
    if repository.rsplit("/", 1)[-1] == "kilo" and not _RELEASE_TAG_RE.match(tag):
        yield (
            f"Kilo image {image} has tag {tag}, which is not a release. Use a Kilo release "
            f"such as 0.7.0.",
            f"Kilo 镜像 {image} 的标签 {tag} 不是发布版本。请使用 Kilo 发布版本，例如 0.7.0。",
        )


def validate_images(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Report containers of Kubernetes workloads whose image is not pinned."""
    path = WORKLOAD_TYPES.get(args.resource_type)
    if path is None:
        return

    spec = _pod_spec(args.props, path)
    for field in ("initContainers", "containers"):
        for index, container in enumerate(values.as_list(spec.get(field))):
            image = values.text(values.as_mapping(container).get("image"))
            for english, chinese in image_problems(image):
                where = f"{field}[{index}]"
                report_violation(pick(f"{args.name} {where}: {english}",
                                      f"{args.name} {where}：{chinese}"))


k3s_version_pinned = ResourceValidationPolicy(
    name="k3s-version-pinned",
    description=pick(
        "K3s installs must pin an exact release (INSTALL_K3S_VERSION=v1.x.y+k3sN) and fetch "
        "the install script from a URL whose path has that release as a segment, or verify "
        "its sha256.",
        "K3s 安装必须固定具体版本（INSTALL_K3S_VERSION=v1.x.y+k3sN），安装脚本地址的路径中"
        "必须有一段等于该版本，否则必须校验脚本的 sha256。",
    ),
    validate=validate_k3s_version,
)

container_images_pinned = ResourceValidationPolicy(
    name="container-images-pinned",
    description=pick(
        "Kubernetes workloads, the Kilo DaemonSet among them, must name images by a release "
        "tag or digest, never latest or a branch.",
        "Kubernetes 工作负载（包括 Kilo DaemonSet）必须用版本标签或摘要指定镜像，"
        "不得使用 latest 或分支。",
    ),
    validate=validate_images,
)
