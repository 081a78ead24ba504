"""tinygrad_nlp.heap: the training commands keep freed memory for the next step (glibc), and leave
thresholds set in the environment alone."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

STEP = """
import resource, sys
import numpy as np
from tinygrad_nlp.heap import keep_freed_memory
print(keep_freed_memory())
small = []
def step():  # four 28 MB arrays, as an LSTM LM's output layer and loss, freed at the end
    a = np.ones((700, 10000), np.float32); b = a + 1; c = np.exp(b); d = c * a
    small.append(np.ones(8))  # a small array that outlives the step
    return float(d[0, 0])
for _ in range(3):
    step()
f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    step()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) // 5)
"""


def run_step(env_extra: dict) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    env.update(PYTHONPATH=str(ROOT), **env_extra)
    out = subprocess.run([sys.executable, "-c", STEP], capture_output=True, text=True, check=True, env=env)
    return out.stdout.split()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_keep_freed_memory_stops_the_page_faults_of_repeated_large_arrays():
    kept, faults = run_step({})
    if kept == "False":
        pytest.skip("not glibc")
    assert int(faults) < 100  # without it: thousands per step once glibc trims its heap


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_thresholds_set_in_the_environment_win():
    kept, _ = run_step({"MALLOC_TRIM_THRESHOLD_": "131072"})
    assert kept == "False"
