"""Cloud credentials for the explicit providers, always as Pulumi secrets.

Each value comes from the stack config under the provider's own namespace
(``pulumi config set --secret alicloud:accessKey ...``) or, when that is not
set, from the SDK's environment variable. Both are wrapped in
``Output.secret`` because pulumi-alicloud and pulumi-huaweicloud would store
them in plain text otherwise. A value that is set nowhere stays None, and the
provider plugin falls back to its own sources (profiles, instance roles).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class CredentialKey:
    # Keyword argument of the SDK's Provider class.
    argument: str
    # Key in the stack config namespace named after the cloud.
    config_key: str
    environment_variable: str


CREDENTIAL_KEYS: dict[str, tuple[CredentialKey, ...]] = {
    "alicloud": (
        CredentialKey("access_key", "accessKey", "ALICLOUD_ACCESS_KEY"),
        CredentialKey("secret_key", "secretKey", "ALICLOUD_SECRET_KEY"),
        CredentialKey("security_token", "securityToken", "ALICLOUD_SECURITY_TOKEN"),
    ),
    "tencentcloud": (
        CredentialKey("secret_id", "secretId", "TENCENTCLOUD_SECRET_ID"),
        CredentialKey("secret_key", "secretKey", "TENCENTCLOUD_SECRET_KEY"),
        CredentialKey("security_token", "securityToken", "TENCENTCLOUD_SECURITY_TOKEN"),
    ),
    "huaweicloud": (
        CredentialKey("access_key", "accessKey", "HW_ACCESS_KEY"),
        CredentialKey("secret_key", "secretKey", "HW_SECRET_KEY"),
        CredentialKey("security_token", "securityToken", "HW_SECURITY_TOKEN"),
    ),
}

ConfigReader = Callable[[str, str], "pulumi.Output[str] | None"]


def read_pulumi_config(namespace: str, key: str) -> pulumi.Output[str] | None:
    """Read ``namespace:key`` from the stack config as a secret Output."""
    return pulumi.Config(namespace).get_secret(key)


def provider_credentials(cloud: str, read_config: ConfigReader = read_pulumi_config,
                         environ: Mapping[str, str] | None = None) -> dict[str, pulumi.Output[str]]:
    """Return the Provider keyword arguments that carry credentials, each a secret."""
    environ = os.environ if environ is None else environ
    result: dict[str, pulumi.Output[str]] = {}
    for key in CREDENTIAL_KEYS[cloud]:
        value = read_config(cloud, key.config_key)
        if value is None and environ.get(key.environment_variable):
            value = pulumi.Output.from_input(environ[key.environment_variable])
        if value is not None:
            result[key.argument] = pulumi.Output.secret(value)
    return result
