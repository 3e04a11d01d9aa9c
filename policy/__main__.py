"""Entry point that the Pulumi CLI runs for ``--policy-pack policy``.

Every policy is mandatory: a violation fails ``pulumi preview`` and stops
``pulumi up`` before the resource is created. A team can lower one policy to
advisory with ``--policy-pack-config`` (see "The policy pack" in README.md).
"""

import sys
from pathlib import Path

# The messages come in English and Chinese through the program's own
# components.i18n, so the repository root must be importable. The CLI puts
# only this directory on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from k3smc_policy import PACK_NAME, all_policies  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=all_policies(),
)
