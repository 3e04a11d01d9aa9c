"""Make the policy pack importable the way the Pulumi CLI runs it.

The CLI puts policy/ on sys.path and the pack's __main__ adds the repository
root, so tests do the same before any test module imports k3smc_policy.
"""

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
POLICY_DIR = REPO_ROOT / "policy"

for path in (POLICY_DIR, REPO_ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
