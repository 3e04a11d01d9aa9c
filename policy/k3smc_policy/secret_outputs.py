"""Policy: resources that carry the kubeconfig, the K3s token or keys keep them secret.

pulumi-policy (1.21.0) unwraps secret values before a policy reads them, so no
policy can tell whether a stack output such as ``kubeconfig`` is a secret.
This policy checks the resources the secrets come from instead, when they are
registered and before anything is written to the state:

- a remote Command that reads the kubeconfig (k3s.yaml) or a K3s token file
  must list ``stdout`` in additional_secret_outputs, and its ``logging`` must
  leave stdout out of the update log;
- RandomPassword must keep ``result`` secret and tls PrivateKey its private
  key outputs. Their SDKs do this by default, so a violation means that
  program code removed it.

The program's own tests check that the exported outputs are secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from components.i18n import pick
from k3smc_policy import values
from k3smc_policy.versions import REMOTE_COMMAND, command_text

RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
TLS_PRIVATE_KEY = "tls:index/privateKey:PrivateKey"

# Files whose content is a credential: the admin kubeconfig and the token
# files under the K3s server data directory.
_SECRET_FILE_RE = re.compile(r"k3s\.yaml|/server/(?:node-)?token\b|/server/agent-token\b")

# Logging modes of pulumi-command that keep stdout out of the update log.
_QUIET_LOGGING = {"none", "stderr"}

_REQUIRED_SECRET_OUTPUTS: dict[str, tuple[str, ...]] = {
    RANDOM_PASSWORD: ("result",),
    TLS_PRIVATE_KEY: ("privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"),
}


def _secret_names(names: Iterable[str]) -> set[str]:
    # Accept the SDK's wire names (privateKeyPem) and Python names
    # (private_key_pem) alike, because both reach the engine in practice.
    normalized = set()
    for name in names:
        normalized.add(name)
        head, *rest = name.split("_")
        normalized.add(head + "".join(part.title() for part in rest))
    return normalized


def reads_secret_file(text: str) -> bool:
    """Tell whether a command text reads the kubeconfig or a K3s token file."""
    return bool(_SECRET_FILE_RE.search(text))


def validate_secret_outputs(args: ResourceValidationArgs,
                            report_violation: ReportViolation) -> None:
    """Report resources whose kubeconfig, token or key outputs are not secret."""
    secret = _secret_names(args.opts.additional_secret_outputs or [])

    if args.resource_type == REMOTE_COMMAND:
        if not reads_secret_file(command_text(args.props)):
            return
        if "stdout" not in secret:
            report_violation(pick(
                f"{args.name} reads the kubeconfig or a K3s token, but its stdout is not "
                f"secret. Register it with ResourceOptions(additional_secret_outputs=[\"stdout\"]).",
                f"{args.name} 读取了 kubeconfig 或 K3s token，但 stdout 不是 secret。请在注册时使用 "
                f"ResourceOptions(additional_secret_outputs=[\"stdout\"])。",
            ))
        logging = values.text(args.props.get("logging")) or "stdoutAndStderr"
        if logging not in _QUIET_LOGGING:
            report_violation(pick(
                f"{args.name} reads the kubeconfig or a K3s token with logging={logging}, "
                f"which prints stdout to the update log. Set logging=Logging.NONE.",
                f"{args.name} 读取 kubeconfig 或 K3s token 时 logging={logging}，会把 stdout "
                f"打印到更新日志。请设置 logging=Logging.NONE。",
            ))
        return

    required = _REQUIRED_SECRET_OUTPUTS.get(args.resource_type, ())
    missing = [name for name in required if name not in secret]
    if missing:
        names = ", ".join(missing)
        report_violation(pick(
            f"{args.name}: outputs {names} are not secret. Keep the SDK's "
            f"additional_secret_outputs and do not override them.",
            f"{args.name}：输出 {names} 不是 secret。请保留 SDK 设置的 additional_secret_outputs，"
            f"不要覆盖。",
        ))


kubeconfig_and_token_secret = ResourceValidationPolicy(
    name="kubeconfig-and-token-secret",
    description=pick(
        "Resources that read the kubeconfig or the K3s token, and generated passwords and keys, "
        "must keep those values secret and out of logs.",
        "读取 kubeconfig 或 K3s token 的资源，以及生成的密码和密钥，必须把这些值保持为 secret，"
        "且不得写入日志。",
    ),
    validate=validate_secret_outputs,
)
