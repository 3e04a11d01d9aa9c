"""End-to-end run of the program under the real Pulumi engine on local test hosts.

    python -m tests.e2e        (as root; `make e2e` runs this)

Each step is reported as PASS, FAIL or SKIP with its name. The steps create
three test hosts and run preview and up with the repository's policy pack. A
preview of the program with a defect injected (the kubeconfig read with a
non-secret stdout) must be stopped by the pack before it touches a host. The
steps then check the installer records, the Kubernetes objects and the
secrets in state. Then they run up again with no changes and remove an
agent, both with the policy pack. They check that the agent was drained, deleted
and uninstalled and that the other hosts stayed as they were. Last, they
destroy the stack and check that the hosts are clean. A failed step skips the
steps after it; the hosts are destroyed in every case. Logs and state stay
in tests/e2e/.work/<run>/.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable

from tests.e2e import checks, controller, environment, harness, policy_pack, stack
from tests.e2e.harness import Run

RESULT_WORDS = {True: "PASS", False: "FAIL", None: "SKIP"}


def report(message: str) -> None:
    print(f"[e2e] {message}", flush=True)


class Scenario:
    def __init__(self, run: Run) -> None:
        self.run = run
        self.layout = stack.three_host_layout()
        self.removed = next(n for n in reversed(self.layout) if n.role == "agent")
        self.records_before: dict[str, int] = {}
        self.trees_before: dict[str, dict] = {}

    def steps(self) -> list[tuple[str, Callable[[], None]]]:
        return [
            ("create-hosts", self.create_hosts),
            ("preview", self.preview),
            ("policy-stops-preview", self.policy_stops_preview),
            ("up", self.up),
            ("check-installer-records", lambda: checks.check_installer_records(self.run)),
            ("check-kubernetes-objects", lambda: checks.check_kubernetes_objects(self.run)),
            ("check-state-secrets", self.check_state_secrets),
            ("second-up-changes-nothing", self.second_up),
            ("remove-agent", self.remove_agent),
            ("check-agent-removed", self.check_agent_removed),
            ("check-other-hosts-untouched", self.check_other_hosts_untouched),
            ("destroy", self.destroy),
            ("check-hosts-clean", self.check_hosts_clean),
        ]

    # ------------------------------------------------------------ steps

    def create_hosts(self) -> None:
        self.run.start(self.layout)

    def preview(self) -> None:
        events: list = []
        result = self.run.pulumi("preview", "preview", with_policy_pack=True, events=events)
        changes = result.change_summary
        checks.expect(changes.get("create", 0) > 0, f"preview plans no creates: {changes}")
        checks.expect(set(changes) <= {"create"}, f"preview of a new stack plans more than creates: {changes}")
        checks.check_policy_pack_passed(events, "preview")

    def policy_stops_preview(self) -> None:
        self.remember_hosts()
        logins_before = {name: checks.accepted_logins(host) for name, host in self.run.topology.hosts.items()}
        events: list = []
        log_name = "policy-stops-preview"

        try:
            self.run.pulumi("preview", log_name, with_policy_pack=True, events=events,
                            program_override=policy_pack.with_public_kubeconfig(harness.program))
        except AssertionError as error:
            failure = str(error)
        else:
            raise AssertionError(f"preview passed although {policy_pack.KUBECONFIG_READ} was registered "
                                 f"without a secret stdout; see logs/{log_name}.log")

        checks.check_policy_stopped(self.run, events, log_name, failure)
        for name, host in self.run.topology.hosts.items():
            logins = checks.accepted_logins(host)
            checks.expect(logins == logins_before[name],
                          f"the stopped preview logged in to host {name} over SSH "
                          f"({logins_before[name]} -> {logins} logins)")
            changes = checks.tree_changes(self.trees_before[name], checks.snapshot(self.run, host))
            checks.expect(not changes, f"the stopped preview changed host {name}: {changes[:10]}")
        self.check_no_new_installs(self.layout)
        resources = self.state_resources()
        checks.expect(not resources, f"the stopped preview left {len(resources)} resources in state")

    def up(self) -> None:
        events: list = []
        result = self.run.pulumi("up", "up", with_policy_pack=True, events=events)
        checks.expect(result.summary.result == "succeeded", f"up ended with {result.summary.result}")
        checks.check_policy_pack_passed(events, "up")

    def check_state_secrets(self) -> None:
        checks.check_state_secrets(self.run, self.host(checks.first_server(self.run).host.name))

    def second_up(self) -> None:
        self.remember_hosts()
        events: list = []
        result = self.run.pulumi("up", "second-up", with_policy_pack=True, events=events)
        changes = result.summary.resource_changes or {}
        checks.expect(set(changes) <= {"same"}, f"second up changed resources: {changes}; see logs/second-up.log")
        checks.check_policy_pack_passed(events, "the second up")
        self.check_no_new_installs(self.run.nodes)

    def remove_agent(self) -> None:
        self.remember_hosts()
        remaining = [n for n in self.layout if n is not self.removed]
        self.run.set_nodes(remaining)
        events: list = []
        result = self.run.pulumi("up", "remove-agent", with_policy_pack=True, events=events)
        changes = result.summary.resource_changes or {}
        checks.check_policy_pack_passed(events, "the up that removes an agent")
        checks.expect(changes.get("delete", 0) > 0, f"removing {self.removed.host.name} deleted nothing: {changes}")
        checks.expect(not changes.get("create") and not changes.get("replace"),
                      f"removing {self.removed.host.name} created or replaced resources: {changes}")

    def check_agent_removed(self) -> None:
        name = self.removed.host.name
        nodes = [item["metadata"]["name"] for item in self.run.kubectl_json("get", "nodes")["items"]]
        checks.expect(name not in nodes, f"Node {name} still exists after its removal: {nodes}")
        server = checks.first_server(self.run).host.name
        kubectl_calls = self.run.kubectl_log(server)
        for expected in (f"cordon {name}", f"drain {name}", f"delete node {name}"):
            checks.expect(any(call.startswith(expected) for call in kubectl_calls),
                          f"the first server never ran `k3s kubectl {expected}`; calls: {kubectl_calls}")
        leftovers = checks.k3s_leftovers(self.run, self.host(name))
        checks.expect(not leftovers, f"removed agent {name} still has K3s: {leftovers}")

    def check_other_hosts_untouched(self) -> None:
        server = checks.first_server(self.run).host.name
        for node in self.run.nodes:
            name = node.host.name
            ignore = checks.VOLATILE_SERVER_PATHS if name == server else ()
            changes = checks.tree_changes(self.trees_before[name], checks.snapshot(self.run, self.host(name)),
                                          ignore)
            checks.expect(not changes, f"removing {self.removed.host.name} changed host {name}: {changes[:10]}")
        self.check_no_new_installs(self.run.nodes)

    def destroy(self) -> None:
        result = self.run.pulumi("destroy", "destroy")
        checks.expect(result.summary.result == "succeeded", f"destroy ended with {result.summary.result}")

    def check_hosts_clean(self) -> None:
        problems = []
        for host in self.run.topology.hosts.values():
            leftovers = checks.k3s_leftovers(self.run, host)
            if leftovers:
                problems.append(f"{host.name}: {leftovers}")
        checks.expect(not problems, f"hosts not clean after destroy: {problems}")
        resources = self.state_resources()
        checks.expect(not resources, f"{len(resources)} resources remain in state after destroy")

    # ------------------------------------------------------------ helpers

    def host(self, name: str):
        return self.run.topology.hosts[name]

    def state_resources(self) -> list:
        assert self.run.stack is not None
        deployment = self.run.stack.export_stack().deployment or {}
        return deployment.get("resources") or []

    def remember_hosts(self) -> None:
        self.records_before = {n.host.name: len(self.run.install_records(n.host.name)) for n in self.layout}
        self.trees_before = {n.host.name: checks.snapshot(self.run, self.host(n.host.name)) for n in self.layout}

    def check_no_new_installs(self, nodes: list[stack.NodeSpec]) -> None:
        for node in nodes:
            count = len(self.run.install_records(node.host.name))
            checks.expect(count == self.records_before[node.host.name],
                          f"the installer ran again on {node.host.name} "
                          f"({self.records_before[node.host.name]} -> {count} runs)")


def run_scenario() -> int:
    bin_dir = environment.tools_bin_dir()
    problems = environment.missing_prerequisites(bin_dir)
    if problems:
        for problem in problems:
            report(f"FAIL prerequisites: {problem}")
        print("e2e: 0 passed, 1 failed")
        return 1

    run = Run(controller.new_run_dir("scenario"), controller.inside_controller() or "", bin_dir)
    report(f"Run directory: {run.run_dir}")
    scenario = Scenario(run)
    results: list[bool | None] = []
    failed = False
    try:
        for name, step in scenario.steps():
            if failed:
                results.append(None)
                report(f"SKIP {name}")
                continue
            started = time.monotonic()
            try:
                step()
            except Exception as error:  # noqa: BLE001 - every failure is reported with its step
                failed = True
                results.append(False)
                detail = str(error) if isinstance(error, AssertionError) else traceback.format_exc()
                report(f"FAIL {name} ({time.monotonic() - started:.1f} s): {detail}")
                continue
            results.append(True)
            report(f"PASS {name} ({time.monotonic() - started:.1f} s)")
        if failed and run.stack is not None:
            cleanup_destroy(run)
    finally:
        run.close()

    passed = results.count(True)
    print(f"e2e: {passed} passed, {results.count(False)} failed, {results.count(None)} skipped", flush=True)
    return 0 if not failed else 1


def cleanup_destroy(run: Run) -> None:
    """Destroy what a failed run left, so the hosts do not hold K3s; failures are only reported."""
    try:
        run.pulumi("destroy", "cleanup-destroy")
        report("Destroyed the stack after the failure")
    except Exception as error:  # noqa: BLE001 - cleanup must not hide the first failure
        report(f"Cleanup destroy failed too; see logs/cleanup-destroy.log: {str(error)[:300]}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    if controller.inside_controller() is None:
        return controller.run_in_controller("tests.e2e", argv)
    return run_scenario()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
