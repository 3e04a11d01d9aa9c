"""Run create_vm_hosts under the mocks and read back resolved values."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime.sync_await import _sync_await

from components.clouds import create_vm_hosts
from tests.clouds.mocks import openssh_test_key

TEST_PUBLIC_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCtestkey k3smc-test\n"
TEST_PRIVATE_KEY, TEST_DERIVED_PUBLIC_KEY = openssh_test_key("ssh-rsa")


def build(cluster, public_key: str | None = TEST_PUBLIC_KEY,
          private_key: str | None = TEST_PRIVATE_KEY):
    """Create the VM hosts of ``cluster`` and wait for every registration."""
    holder: dict[str, Any] = {}

    @pulumi.runtime.test
    def run():
        holder["result"] = create_vm_hosts(cluster, public_key, private_key)
        outputs = [host.public_ip for host in holder["result"].hosts.values()]
        return pulumi.Output.all(*outputs)

    run()
    return holder["result"]


def resolve(output: Any) -> Any:
    return _sync_await(pulumi.Output.from_input(output).future())


def is_secret(output: pulumi.Output[Any]) -> bool:
    return _sync_await(output.is_secret())
