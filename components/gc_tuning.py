"""Garbage collector settings for the Pulumi program process.

The Pulumi Python SDK keeps about 160 objects that the garbage collector
tracks alive for each registered resource (measured under the benchmark's
mocks): the resource's Outputs, the asyncio futures behind them and its
property dicts. With the default thresholds of CPython 3.11 (700, 10, 10) the
collector runs a young collection every 700 new objects. It runs a full
collection once the objects promoted since the last one reach a quarter of
the old generation, and each full collection scans every tracked object, the
imported SDK modules included. The number of full collections and the cost of
each both grow with the stack. In benchmarks/clouds_scale.py at 300 nodes (2,679 resources) the
collector took 7.4 of 15 s before this tuning and 0.7 of 7.2 s after it,
with the same peak memory (about 380 MiB).
"""

from __future__ import annotations

import gc

# New tracked objects between two young collections. The default of 700
# collects after every few resources. At 100,000 a young collection took
# about 2 ms in that benchmark, and cyclic garbage is freed a little later.
YOUNG_GENERATION_THRESHOLD = 100_000


def tune_garbage_collector() -> None:
    """Freeze the objects alive now and collect the young generation less often.

    Call it once, at the start of the program. What exists then (imported
    modules, classes and functions) lives until the process ends, and the
    collector never scans a frozen object again. Reference cycles created
    later are still collected.
    """
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
