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


@pytest.fixture
def tiny_ptb(tmp_path):
    """A folder ptb/ with train, valid and test files of 30 made-up words (not PTB: pass --no-verify)."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(30)]
    folder = tmp_path / "data" / "ptb"
    folder.mkdir(parents=True)
    for split, n in (("train", 3000), ("valid", 400), ("test", 400)):
        lines = [" " + " ".join(rng.choice(words, 10)) + " " for _ in range(n // 10)]
        (folder / f"ptb.{split}.txt").write_text("\n".join(lines) + "\n")
    return tmp_path / "data"


@pytest.fixture
def tiny_addition(tmp_path):
    """tiny_addition(pairs, high) writes an addition.txt of `pairs` sums of numbers below `high` in the
    textbook's layout ("16+75  _91  ") and returns its path."""
    def write(pairs: int, high: int = 999):
        rng = np.random.default_rng(0)
        lines = [f"{a}+{b}".ljust(7) + "_" + str(a + b).ljust(4) for a, b in rng.integers(0, high, (pairs, 2))]
        path = tmp_path / "addition.txt"
        path.write_text("\n".join(lines) + "\n")
        return path
    return write


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
