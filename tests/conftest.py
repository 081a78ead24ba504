import os

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def torch():
    """PyTorch for cross-checks (the `compare` extra); skipped where it is not installed."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def pytest_configure(config):
    config.addinivalue_line("markers", "corpus(name, ...): needs real corpora from ../shared/data or TINYGRAD_NLP_DATA")


def pytest_runtest_setup(item):
    """Tests marked corpus(...) need the real data files. Without them (and no network) they skip
    with the reason, except in CI (CI=true), where the data must be there and they fail loudly."""
    import os

    from tinygrad_nlp.data.datasets import data_file

    for marker in item.iter_markers("corpus"):
        for name in marker.args:
            try:
                data_file(name, download_missing=False)
            except FileNotFoundError as e:
                if os.environ.get("CI"):
                    pytest.fail(f"CI needs the corpus {name}: {e}")
                pytest.skip(f"corpus {name} not found (set TINYGRAD_NLP_DATA): {e}")
