"""Nothing lost: atomic writes everywhere, stale temporaries cleaned after real kills, checked
corpora, refused mismatches, untrusted checkpoints, loops that end."""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinygrad_nlp as tg
from tinygrad_nlp.data.contexts import UnigramSampler
from tinygrad_nlp.data.text import Vocab
from tinygrad_nlp.evaluation.vectors import save_word2vec_format
from tinygrad_nlp.files import atomic_write

ROOT = Path(__file__).resolve().parents[1]


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "vocab.json"
    Vocab(["a", "b"]).save(target)
    before = target.read_bytes()
    with pytest.raises(UnicodeEncodeError):
        Vocab(["a", "bad \\ud800 token".encode().decode("unicode_escape")]).save(target)  # a lone surrogate
    assert target.read_bytes() == before
    with pytest.raises(ZeroDivisionError):
        save_word2vec_format(target, Vocab(["a"]), np.array([[1 / 0]]))
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["vocab.json"]  # no temporary left behind


def test_new_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        tg.save({"w": np.zeros(2)}, tmp_path / "ckpt.npz")
        atomic_write(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "ckpt.npz").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644


_WRITER = """
import sys, numpy as np
sys.path.insert(0, {root!r})
import tinygrad_nlp as tg
big = np.ones((50, 1024, 1024), dtype=np.float32)  # 200 MB: the kill lands mid-write
print("ready", flush=True)
while True:
    tg.save({{"w": big}}, {target!r})
"""


def test_sigkill_mid_save_loses_nothing_and_leaves_no_temporaries_behind(tmp_path):
    target = tmp_path / "model.npz"
    tg.save({"w": np.arange(3.0)}, target)
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", _WRITER.format(root=str(ROOT), target=str(target))],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.4)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        loaded = tg.load(target, max_bytes=None)["w"]  # the old file or a whole new one, never half of one
        assert loaded.shape in ((3,), (50, 1024, 1024))
    left = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert left, "the kills should have landed mid-write"
    tg.save({"w": np.arange(3.0)}, target)  # the next save removes what the killed writers left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def test_untrusted_checkpoints_are_refused_cleanly(tmp_path):
    good = tmp_path / "good.npz"
    tg.save({"w": np.zeros((4, 4), dtype=np.float32)}, good)
    header = json.loads(np.load(good)["__header__"].tobytes())

    def forge(name: str, arrays: dict, head: dict) -> Path:
        buf = io.BytesIO()
        np.savez_compressed(buf, __header__=np.frombuffer(json.dumps(head).encode(), dtype=np.uint8), **arrays)
        path = tmp_path / name
        path.write_bytes(buf.getvalue())
        return path

    bomb = forge("bomb.npz", {"a0": np.zeros((64, 1024, 1024), dtype=np.uint8)}, header)  # 64 MB behind a 4x4 header
    assert bomb.stat().st_size < 1_000_000
    with pytest.raises(ValueError, match="not a valid tinygrad_nlp checkpoint.*unpacks to"):
        tg.load(bomb)
    honest_but_huge = dict(header, arrays={"w": [[1 << 20, 1 << 11], "<f4"]})
    with pytest.raises(ValueError, match="more than max_bytes"):
        tg.load(forge("huge.npz", {"a0": np.zeros(1, dtype=np.float32)}, honest_but_huge))
    for bad in ({"format": "tinygrad_nlp-checkpoint"}, dict(header, keys={"w": "missing"}), dict(header, tree=None, arrays=5),
                json.loads("[" * 50 + "]" * 50), dict(header, tree={"__array__": "nope"})):
        with pytest.raises(ValueError, match="not a valid tinygrad_nlp checkpoint"):
            tg.load(forge("bad.npz", {"a0": np.zeros((4, 4), dtype=np.float32)}, bad))
    deep = tmp_path / "deep.npz"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("__header__.npy", b"garbage")
    deep.write_bytes(buf.getvalue())
    with pytest.raises(ValueError, match="not a valid tinygrad_nlp checkpoint"):
        tg.load(deep)


def test_the_wrong_task_file_is_refused(tmp_path):
    from tinygrad_nlp.data.datasets import load_addition, load_date

    date = tmp_path / "date.txt"
    date.write_text("september 27, 1994           _1994-09-27\n" * 3)
    with pytest.raises(ValueError, match="is not the known addition.txt"):
        load_addition(date)
    with pytest.raises(ValueError, match="is not a addition.txt example"):
        load_addition(date, verify=False)
    assert load_date(date, verify=False, seed=None).x_train.shape[0] == 3


def test_unigram_sampler_with_one_distinct_word_says_so_instead_of_hanging():
    sampler = UnigramSampler(np.array([3, 3, 3]), sample_size=2, generator=0)
    with pytest.raises(ValueError, match="single distinct word"):
        sampler.get_negative_sample(np.array([3]))
    two = UnigramSampler(np.array([0, 1, 1, 1]), sample_size=50, generator=0)
    assert np.all(two.get_negative_sample(np.array([1, 0])) == [[0], [1]])


def test_backprop_page_escapes_its_title(tmp_path):
    viz = pytest.importorskip("viz")
    if not viz.has_dot():
        pytest.skip("Graphviz dot not installed")
    loss = (tg.ones(2, requires_grad=True) * 2).sum()
    page = viz.backprop_html(loss, tmp_path / "p.html", title="<script>alert(1)</script>").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
