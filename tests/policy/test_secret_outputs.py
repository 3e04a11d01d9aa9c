import pytest

from k3smc_policy.secret_outputs import (
    RANDOM_PASSWORD,
    TLS_PRIVATE_KEY,
    kubeconfig_and_token_secret,
)
from k3smc_policy.versions import REMOTE_COMMAND
from policy_fakes import resource_args, secret, violations

READ_KUBECONFIG = {"connection": secret({"host": "203.0.113.10", "user": "root"}),
                   "create": "sudo cat /etc/rancher/k3s/k3s.yaml", "logging": "none"}
READ_TOKEN = {"connection": secret({"host": "203.0.113.10"}),
              "create": "sudo cat /var/lib/rancher/k3s/server/node-token", "logging": "stderr"}

FAILING = [
    pytest.param(REMOTE_COMMAND, READ_KUBECONFIG, (), "stdout is not secret",
                 id="kubeconfig-stdout-plain"),
    pytest.param(REMOTE_COMMAND, {**READ_KUBECONFIG, "logging": None}, ("stdout",),
                 "logging=stdoutAndStderr", id="kubeconfig-default-logging"),
    pytest.param(REMOTE_COMMAND, {**READ_TOKEN, "logging": "stdout"}, ("stdout",),
                 "logging=stdout", id="token-logged"),
    pytest.param(REMOTE_COMMAND, READ_TOKEN, ("stderr",), "stdout is not secret",
                 id="token-stdout-plain"),
    pytest.param(RANDOM_PASSWORD, {"length": 48.0, "special": False}, ("bcryptHash",),
                 "outputs result", id="password-result-plain"),
    pytest.param(TLS_PRIVATE_KEY, {"algorithm": "RSA", "rsaBits": 4096.0}, ("privateKeyPem",),
                 "privateKeyOpenssh, privateKeyPemPkcs8", id="private-key-plain"),
]

PASSING = [
    pytest.param(REMOTE_COMMAND, READ_KUBECONFIG, ("stdout",), id="kubeconfig"),
    pytest.param(REMOTE_COMMAND, READ_TOKEN, ("stdout", "stderr"), id="token"),
    pytest.param(REMOTE_COMMAND, {"connection": {"host": "203.0.113.10"},
                                  "create": "hostnamectl set-hostname ty1"}, (),
                 id="other-command"),
    pytest.param(RANDOM_PASSWORD, {"length": 48.0}, ("bcryptHash", "result"),
                 id="password-sdk-default"),
    pytest.param(TLS_PRIVATE_KEY, {"algorithm": "RSA"},
                 ("privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"),
                 id="private-key-sdk-default"),
    pytest.param(TLS_PRIVATE_KEY, {"algorithm": "RSA"},
                 ("private_key_openssh", "private_key_pem", "private_key_pem_pkcs8"),
                 id="private-key-python-names"),
]


@pytest.mark.parametrize("resource_type, props, secret_outputs, expected", FAILING)
def test_plain_secret_output_fails(resource_type, props, secret_outputs, expected):
    args = resource_args(resource_type, props, "read-kubeconfig",
                         additional_secret_outputs=secret_outputs)

    reported = violations(kubeconfig_and_token_secret, args)

    assert len(reported) == 1
    assert expected in reported[0]


@pytest.mark.parametrize("resource_type, props, secret_outputs", PASSING)
def test_secret_output_passes(resource_type, props, secret_outputs):
    args = resource_args(resource_type, props, additional_secret_outputs=secret_outputs)

    assert violations(kubeconfig_and_token_secret, args) == []


def test_secret_command_text_is_read():
    # The program may pass the command itself as a secret; the engine then
    # sends it wrapped, and the policy must still see what it reads.
    props = {**READ_KUBECONFIG, "create": secret("cat /etc/rancher/k3s/k3s.yaml")}

    reported = violations(kubeconfig_and_token_secret, resource_args(REMOTE_COMMAND, props))

    assert len(reported) == 1
