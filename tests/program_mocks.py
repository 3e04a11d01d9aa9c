"""Helpers for the program-level tests: stack config loading, Pulumi mocks, secret checks.

Nothing here sets mocks on import: set_mocks is process-global, so each test
module that runs Pulumi code sets its own mocks in fixtures.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from tests.clouds.mocks import cloud_invoke, cloud_state

REPO_ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
PROJECT = "k3s-multicloud"

# Stand-ins for the secure values of a stack file. They look like the real
# thing so the loader accepts them, and are long and unique so a leak into any
# plain input or output is found by a substring search.
TEST_SSH_PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "k3smc-test-ssh-private-key-0f3b9c1e7a5d4b2c8e6f0a1d3c5b7e9f\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)
TEST_CONFIG_TOKEN = "k3smcTestConfiguredToken7c1d9e3f5a0b2c4d"
# The token RandomPassword returns under the mocks.
TEST_RANDOM_TOKEN = "k3smcTestRandomToken4e8a2c6f0b1d3e5a7c9"
SECURE_TEST_VALUES = {
    "sshPrivateKey": TEST_SSH_PRIVATE_KEY,
    "k3s.token": TEST_CONFIG_TOKEN,
}

# Pulumi wraps secret values in a map that carries this signature key.
SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"

COMMAND = "command:remote:Command"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
NODE_PATCH = "kubernetes:core/v1:NodePatch"
K8S_PROVIDER = "pulumi:providers:kubernetes"


# The seed cluster with every node an existing host reached over SSH. The
# loader and program tests use it as their base, so they do not change when
# Pulumi.dev.yaml turns some nodes into cloud VMs.
SEED_NODES: list[dict[str, Any]] = [
    {"name": "ty1", "role": "server", "location": "ctyun", "cloud": "ctyun",
     "publicIp": "203.0.113.10", "privateIp": "192.168.1.226/24", "persistentKeepalive": 20},
    {"name": "hw1", "role": "agent", "location": "huaweicloud", "cloud": "huaweicloud",
     "publicIp": "203.0.113.30", "privateIp": "192.168.7.226/24", "persistentKeepalive": 20},
    {"name": "tx1", "role": "agent", "location": "tencentcloud", "cloud": "tencentcloud",
     "publicIp": "198.51.100.50", "privateIp": "172.17.0.3/20", "persistentKeepalive": 20},
    {"name": "ali1", "role": "agent", "location": "aliyun", "cloud": "alicloud",
     "publicIp": "203.0.113.20", "privateIp": "172.21.143.136/20", "persistentKeepalive": 20},
    {"name": "bd1", "role": "agent", "location": "baidu", "cloud": "baidu",
     "publicIp": "198.51.100.40", "privateIp": "192.168.64.4/20", "persistentKeepalive": 20},
    {"name": "bd2", "role": "agent", "location": "baidu", "cloud": "baidu",
     "privateIp": "192.168.64.5/20", "persistentKeepalive": 20},
]


def seed_raw_config() -> dict[str, Any]:
    """Raw config values (no namespace) of the seed cluster as existing hosts."""
    return {
        "sshPrivateKey": TEST_SSH_PRIVATE_KEY,
        "k3s": {"version": "v1.35.6+k3s1"},
        "kilo": {"granularity": "location"},
        "nodes": copy.deepcopy(SEED_NODES),
    }


def config_map(raw: Mapping[str, Any], project_file: Path = REPO_ROOT / "Pulumi.yaml") -> tuple[dict[str, str], list[str]]:
    """Turn raw config values into the config map the language host passes, with project defaults."""
    config = {f"{PROJECT}:{key}": value if isinstance(value, str) else json.dumps(value)
              for key, value in raw.items()}
    _apply_project_defaults(config, project_file)
    secret_keys = [f"{PROJECT}:sshPrivateKey"] if "sshPrivateKey" in raw else []
    return config, secret_keys


def dev_raw_config() -> dict[str, Any]:
    """The raw config values of Pulumi.dev.yaml, without namespace, secure key replaced."""
    document = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    raw = {key.split(":", 1)[1]: value for key, value in document["config"].items()}
    raw["sshPrivateKey"] = TEST_SSH_PRIVATE_KEY
    return raw


def sample_k3s_kubeconfig() -> str:
    """The kubeconfig a fresh K3s server writes, with fake credentials."""
    return (GOLDEN / "kubeconfig-k3s.yaml").read_text()


def kubeconfig_secret_markers() -> list[str]:
    """Credential strings of the sample kubeconfig that must never appear in plain text."""
    document = yaml.safe_load(sample_k3s_kubeconfig())
    user = document["users"][0]["user"]
    return [user["client-key-data"], user["client-certificate-data"]]


def stack_config(stack_file: Path, secure_values: Mapping[str, str] = SECURE_TEST_VALUES,
                 project_file: Path = REPO_ROOT / "Pulumi.yaml") -> tuple[dict[str, str], list[str]]:
    """Turn a Pulumi.<stack>.yaml into the config map the language host passes to the program.

    Values that are not strings are JSON encoded, ``secure:`` entries are
    replaced by the test value for their path (``sshPrivateKey``,
    ``k3s.token``), and every key that held one is returned as a secret key.
    Project defaults from Pulumi.yaml fill keys the stack file leaves out, as
    the Pulumi CLI does.
    """
    document = yaml.safe_load(stack_file.read_text()) or {}
    config: dict[str, str] = {}
    secret_keys: list[str] = []

    for full_key, value in (document.get("config") or {}).items():
        namespace, _, key = full_key.partition(":")
        found: list[str] = []
        plain = _replace_secure(value, key, secure_values, found)
        config[full_key] = plain if isinstance(plain, str) else json.dumps(plain)
        if found:
            secret_keys.append(full_key)

    _apply_project_defaults(config, project_file)
    return config, secret_keys


def _apply_project_defaults(config: dict[str, str], project_file: Path) -> None:
    project = yaml.safe_load(project_file.read_text())
    for key, declaration in (project.get("config") or {}).items():
        full_key = key if ":" in key else f"{project['name']}:{key}"
        if full_key not in config and isinstance(declaration, dict) and "default" in declaration:
            default = declaration["default"]
            config[full_key] = default if isinstance(default, str) else json.dumps(default)


def _replace_secure(value: Any, path: str, secure_values: Mapping[str, str], found: list[str]) -> Any:
    if isinstance(value, dict) and set(value) == {"secure"}:
        if path not in secure_values:
            raise KeyError(f"no test value for the secure config entry {path}")
        found.append(path)
        return secure_values[path]
    if isinstance(value, dict):
        return {k: _replace_secure(v, f"{path}.{k}", secure_values, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secure(v, f"{path}[{i}]", secure_values, found) for i, v in enumerate(value)]
    return value


class ProgramMocks(pulumi.runtime.Mocks):
    """Echo inputs back and add the outputs the program reads from providers."""

    def __init__(self, kubeconfig: str | None = None) -> None:
        self.kubeconfig = kubeconfig if kubeconfig is not None else sample_k3s_kubeconfig()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        # Cloud VMs and keys get the outputs their clouds compute (public IPs).
        cloud = cloud_state(args.typ, args.name, args.inputs)
        state = dict(args.inputs) if cloud is None else cloud
        if args.typ == COMMAND:
            create = args.inputs.get("create")
            reads_kubeconfig = isinstance(create, str) and "/etc/rancher/k3s/k3s.yaml" in create
            state.update(stdout=self.kubeconfig if reads_kubeconfig else "", stderr="")
        elif args.typ == RANDOM_PASSWORD:
            state.update(result=TEST_RANDOM_TOKEN, bcryptHash="$2a$10$test")
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs):
        result = cloud_invoke(args.token)
        if result is not None:
            return result
        raise NotImplementedError(f"the program made an unexpected invoke: {args.token}")


@dataclass
class Registration:
    type: str
    name: str
    urn: str
    parent: str
    provider: str
    dependencies: set[str]
    # The request's properties as sent, secrets still inside their signature maps.
    wire: dict[str, Any]
    inputs: dict[str, Any]
    additional_secret_outputs: list[str]


class RecordingMonitor(MockMonitor):
    """A mock monitor that records every resource registration and registered output."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.registered_outputs: list[dict[str, Any]] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        self.registrations.append(Registration(
            type=request.type,
            name=request.name,
            urn=response.urn,
            parent=request.parent,
            provider=request.provider,
            dependencies=set(request.dependencies),
            wire=json_format.MessageToDict(request.object),
            inputs=pulumi.runtime.rpc.deserialize_properties(request.object),
            additional_secret_outputs=list(request.additionalSecretOutputs),
        ))
        return response

    def RegisterResourceOutputs(self, request):
        self.registered_outputs.append(json_format.MessageToDict(request.outputs))
        return super().RegisterResourceOutputs(request)

    def of_type(self, resource_type: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == resource_type]

    def named(self, resource_type: str, name: str) -> Registration:
        matches = [r for r in self.of_type(resource_type) if r.name == name]
        assert len(matches) == 1, f"{len(matches)} registrations of {resource_type} {name}"
        return matches[0]


class LogRecorder(logging.Handler):
    """Collect the messages the program logs through pulumi.log under the mocks."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def program_logger(recorder: LogRecorder) -> logging.Logger:
    logger = logging.getLogger("k3smc-test-program")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.handlers = [recorder]
    return logger


def set_program_mocks(monitor: RecordingMonitor, stack: str, logger: logging.Logger | None = None) -> None:
    pulumi.runtime.set_mocks(monitor.mocks, project=PROJECT, stack=stack, preview=False,
                             monitor=monitor, logger=logger)


def run_program(function: Callable[[], Any]) -> Any:
    """Run ``function`` like the Pulumi language host does and wait for every registration."""
    holder: dict[str, Any] = {}

    def body() -> None:
        holder["result"] = function()

    _sync_await(run_pulumi_func(body))
    return holder.get("result")


def resolve(output: Any) -> Any:
    """Return the value of a Pulumi Output (or plain value) after it resolved."""
    return _sync_await(pulumi.Output.from_input(output).future())


def is_secret(output: pulumi.Output[Any]) -> bool:
    return _sync_await(output.is_secret())


def plain_strings(value: Any) -> list[str]:
    """Collect every string in a wire-format value that is not inside a secret."""
    if isinstance(value, dict):
        if value.get(SECRET_SIGNATURE) == "1b47061264138c4ac30d75fd1eb44270":
            return []
        return [s for item in value.values() for s in plain_strings(item)] + [str(k) for k in value]
    if isinstance(value, list):
        return [s for item in value for s in plain_strings(item)]
    if isinstance(value, str):
        return [value]
    return []
