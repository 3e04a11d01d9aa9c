#!/usr/bin/env bash
# Start the policy pack as a standalone analyzer plugin.
#
# `pulumi preview --policy-pack policy` starts a Python policy pack through
# the Python language host that ships with the Pulumi CLI. A CLI without that
# host (such as one built from Go modules for offline tests) can run the pack
# through this file instead: `--policy-pack policy/run-pack.sh`. The engine
# then starts this script directly, passes its own address as the argument
# and reads the pack's gRPC port from stdout.
#
# K3SMC_POLICY_PYTHON names the Python that has pulumi-policy installed
# (default: python3 on PATH).
set -euo pipefail

pack_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "${K3SMC_POLICY_PYTHON:-python3}" "$pack_dir/__main__.py" "$@"
