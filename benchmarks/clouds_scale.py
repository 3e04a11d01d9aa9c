"""Evaluate the whole program under Pulumi mocks for 6, 60 and 300 nodes.

Each size runs in a fresh Python process, so imports, memory and caches do not
carry over. The nodes are spread evenly over Alibaba Cloud, Tencent Cloud,
Huawei Cloud and existing hosts. The three servers are Alibaba Cloud VMs in
one location, because validation keeps all servers in one location, so the
Alibaba Cloud security group also gets the API and etcd rules.

    .venv/bin/python benchmarks/clouds_scale.py            # the table
    .venv/bin/python benchmarks/clouds_scale.py --repeat 3 # min of 3 runs per size
    .venv/bin/python benchmarks/clouds_scale.py --sizes 6 60 --json

Wall time counts the whole child process work after interpreter start:
imports, config validation, the registration of every resource with the
mock monitor and the stack outputs. CPU time is the child's user plus system
time; other processes on the machine slow the wall time more than it. Peak
memory is the child's maximum resident set size. With --repeat N each size
runs N times and the run with the lowest wall time is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLOUDS = ("alicloud", "tencentcloud", "huaweicloud", "existing")
CLOUD_SDKS = ("pulumi_alicloud", "tencentcloud_iac_pulumi", "pulumi_huaweicloud")
LOCATIONS = {"alicloud": "aliyun", "tencentcloud": "tencentcloud", "huaweicloud": "huaweicloud",
             "existing": "onprem"}
REGIONS = {"alicloud": "cn-hangzhou", "tencentcloud": "ap-guangzhou", "huaweicloud": "cn-north-4"}
RULE_TYPES = ("alicloud:ecs/securityGroupRule:SecurityGroupRule",
              "tencentcloud:Security/groupRule:GroupRule",
              "huaweicloud:Vpc/secgroupRule:SecgroupRule")
TARGET_SECONDS_300 = 10.0
TARGET_RATIO = 5.5


def synthetic_nodes(count: int, clouds: tuple[str, ...] = CLOUDS) -> list[dict]:
    """``count`` nodes round-robin over ``clouds``, with the servers in the first cloud.

    Validation keeps all servers in one location, so the servers are the
    first three VMs of the first cloud, or its first VM when it has fewer
    than three, because embedded etcd needs an odd number of servers.
    """
    nodes = []
    for index in range(count):
        cloud = clouds[index % len(clouds)]
        node: dict = {"name": f"node{index}", "role": "agent", "location": LOCATIONS[cloud],
                      "persistentKeepalive": 20}
        if cloud == "existing":
            node.update(cloud="onprem", publicIp=f"198.18.{index // 250}.{index % 250 + 1}",
                        privateIp=f"192.168.{64 + index // 250}.{index % 250 + 4}/20")
        else:
            node.update(cloud=cloud, vm={"region": REGIONS[cloud]})
        nodes.append(node)

    first_location = [node for node in nodes if node["location"] == nodes[0]["location"]]
    servers = first_location[:3] if len(first_location) >= 3 else first_location[:1]
    for node in servers:
        node["role"] = "server"
    return nodes


def run_child(count: int) -> dict:
    """Build the program for ``count`` nodes and return the measurements."""
    started = time.perf_counter()
    sys.path[:0] = [str(REPO), str(REPO / "tests")]
    import warnings

    warnings.simplefilter("ignore")
    import pulumi
    from program_mocks import (  # tests/program_mocks.py, shared with the program tests
        SECURE_TEST_VALUES,
        ProgramMocks,
        RecordingMonitor,
        run_program,
        set_program_mocks,
    )

    config = {
        "k3s-multicloud:nodes": json.dumps(synthetic_nodes(count)),
        "k3s-multicloud:adminCidrs": json.dumps(["192.0.2.0/24"]),
        # 300 nodes need more than the 256 /24 pod ranges of the default /16.
        "k3s-multicloud:k3s": json.dumps({"clusterCidr": "10.44.0.0/15"}),
        "k3s-multicloud:sshPrivateKey": SECURE_TEST_VALUES["sshPrivateKey"],
        "k3s-multicloud:sshPublicKey": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCbench bench",
    }
    monitor = RecordingMonitor(ProgramMocks())
    set_program_mocks(monitor, "bench")
    pulumi.runtime.set_all_config(config, ["k3s-multicloud:sshPrivateKey"])
    imported = time.perf_counter()

    # main() is what __main__.py runs under the Pulumi language host: it
    # tunes the garbage collector, builds the program and exports the outputs.
    from components.program import main

    run_program(main)
    finished = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "nodes": count,
        "resources": len(monitor.registrations),
        "rules": sum(1 for r in monitor.registrations if r.type in RULE_TYPES),
        "seconds": round(finished - started, 3),
        "build_seconds": round(finished - imported, 3),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_mib": round(usage.ru_maxrss / 1024, 1),
        "cloud_sdks": sorted(name for name in CLOUD_SDKS if name in sys.modules),
    }


def measure(count: int, repeat: int = 1) -> dict:
    """Run ``count`` nodes ``repeat`` times, each in a fresh process; return the fastest run."""
    runs = [_measure_once(count) for _ in range(repeat)]
    return min(runs, key=lambda run: run["seconds"])


def _measure_once(count: int) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", str(count)], cwd=REPO, capture_output=True,
        text=True, check=False, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if completed.returncode != 0:
        raise SystemExit(f"{count} nodes failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[6, 60, 300],
                        help="node counts to evaluate, each in its own process")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per size; the run with the lowest wall time is reported")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child is not None:
        print(json.dumps(run_child(args.child)))
        return

    if args.repeat < 1:
        parser.error(f"--repeat must be 1 or more, not {args.repeat}")
    results = [measure(count, args.repeat) for count in args.sizes]
    by_size = {result["nodes"]: result for result in results}
    ratio = None
    if 60 in by_size and 300 in by_size:
        ratio = by_size[300]["seconds"] / by_size[60]["seconds"]
    if args.json:
        print(json.dumps({"results": results, "ratio_300_60": ratio}, indent=2))
        return

    print(f"{'nodes':>6} {'resources':>10} {'rules':>6} {'wall s':>8} {'build s':>8} {'cpu s':>7} "
          f"{'peak MiB':>9}  cloud SDKs")
    for result in results:
        print(f"{result['nodes']:>6} {result['resources']:>10} {result['rules']:>6} "
              f"{result['seconds']:>8.2f} "
              f"{result['build_seconds']:>8.2f} {result['cpu_seconds']:>7.2f} "
              f"{result['peak_mib']:>9.1f}  "
              f"{','.join(result['cloud_sdks']) or '-'}")
    if ratio is not None:
        verdict_time = "met" if by_size[300]["seconds"] < TARGET_SECONDS_300 else "missed"
        verdict_ratio = "met" if ratio < TARGET_RATIO else "missed"
        print(f"time(300) = {by_size[300]['seconds']:.2f} s (target < {TARGET_SECONDS_300:.0f} s: "
              f"{verdict_time}); time(300)/time(60) = {ratio:.2f} (target < {TARGET_RATIO}: "
              f"{verdict_ratio})")


if __name__ == "__main__":
    main()
