"""Benchmark: wall time of `pulumi up` on 1 host and on 6 hosts, in one run.

    python -m benchmarks.e2e_up            (as root, after scripts/build-tools.sh)

Each size gets fresh test hosts in its own controller network namespace
(tests/e2e), the real Pulumi engine and the stand-in K3s installer. The
6-host stack is one server and five agents. The agents join in parallel,
so the ratio of the two `up` times should stay under 1.5. The stand-in
installer starts in seconds where a real K3s download takes minutes, so the
numbers measure the program's ordering and parallelism, not K3s itself.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from tests.e2e import controller, environment, stack
from tests.e2e.harness import Run

SIZES = (1, 6)
TARGET_RATIO = 1.5
RESULT_PREFIX = "E2E_UP_RESULT "


def layout(size: int) -> list[stack.NodeSpec]:
    return stack.benchmark_layout(size - 1)


def measure(size: int) -> dict:
    """Create ``size`` hosts, time one `pulumi up`, then destroy; runs in a controller namespace."""
    bin_dir = environment.tools_bin_dir()
    problems = environment.missing_prerequisites(bin_dir)
    if problems:
        raise SystemExit("; ".join(problems))
    run = Run(controller.new_run_dir(f"bench-{size}"), controller.inside_controller() or "", bin_dir)
    try:
        run.start(layout(size))
        started = time.monotonic()
        result = run.pulumi("up", "up")
        seconds = time.monotonic() - started
        resources = sum((result.summary.resource_changes or {}).values())
        run.pulumi("destroy", "destroy")
    finally:
        run.close()
    return {"hosts": size, "up_seconds": round(seconds, 2), "resources": resources,
            "run_dir": str(run.run_dir)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.e2e_up", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.size is not None:
        print(RESULT_PREFIX + json.dumps(measure(args.size)), flush=True)
        return 0

    results = []
    for size in SIZES:
        print(f"[bench] pulumi up on {size} host(s) ...", flush=True)
        output = []
        code = controller.run_in_controller_capture("benchmarks.e2e_up", ["--size", str(size)], output)
        lines = [line for line in output if line.startswith(RESULT_PREFIX)]
        if code != 0 or not lines:
            print(f"[bench] FAILED: the {size}-host run exited with {code}", flush=True)
            return 1
        results.append(json.loads(lines[-1][len(RESULT_PREFIX):]))

    print()
    print(f"{'hosts':>5}  {'resources':>9}  {'pulumi up (s)':>13}")
    for result in results:
        print(f"{result['hosts']:>5}  {result['resources']:>9}  {result['up_seconds']:>13.1f}")
    ratio = results[1]["up_seconds"] / results[0]["up_seconds"]
    verdict = "within" if ratio < TARGET_RATIO else "OVER"
    print(f"ratio 6 hosts / 1 host: {ratio:.2f} ({verdict} the target {TARGET_RATIO})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
