import sys
from pathlib import Path

# The host preparation tests share the dev stack data and the script sandbox
# with the K3s tests.
_K3S_TESTS = str(Path(__file__).resolve().parent.parent / "k3s")
if _K3S_TESTS not in sys.path:
    sys.path.insert(0, _K3S_TESTS)
