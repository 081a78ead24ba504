"""PyTorch checkpoints and training: `tinygrad-nlp export` / `import` round trips, and
examples/train_better_rnnlm_torch.py under `torchrun --nproc_per_node=2` (gloo, CPU) giving the losses
of one process with the same global batch, its checkpoint imported back and drawn.

Tolerance of the distributed run: relative 1e-5 per step (measured 1.3e-7 here): the two processes
average the same gradients in float32 in another order than one process sums them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import models
from tinygrad_nlp.cli import main
from tinygrad_nlp.data.text import Vocab

torch = pytest.importorskip("torch", reason="PyTorch is not installed (the `compare` or `torch` extra)")
from tinygrad_nlp.interop.checkpoint import load_torch_checkpoint  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "train_better_rnnlm_torch.py"
SMALL = ["--model", "rnnlm", "--wordvec", "12", "--hidden", "12", "--batch", "4", "--time", "5", "--max-steps", "5", "--lr", "1",
         "--log-every", "5", "--no-verify", "--seed", "3"]


def train(*args: str, torchrun: int = 0, cwd: Path) -> subprocess.CompletedProcess:
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={torchrun}"] if torchrun else [sys.executable]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    result = subprocess.run([*launcher, str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_export_and_import_round_trip(tmp_path, capsys):
    vocab = Vocab("the meaning of life is a question <eos>".split())
    model, config = models.build_model("BetterRnnlm", vocab_size=len(vocab), wordvec_size=8, hidden_size=8, dropout=0.5, generator=0)
    models.save_model(tmp_path / "ours.npz", model, config, vocab=vocab.to_dict(), level="word", history=[{"epoch": 1}])
    assert main(["export", str(tmp_path / "ours.npz"), str(tmp_path / "theirs.pt")]) == 0
    raw = torch.load(tmp_path / "theirs.pt", weights_only=True)  # no pickled objects
    assert raw["class"] == "BetterRnnlm" and raw["config"] == config and raw["vocab"] == vocab.to_dict()
    assert raw["args"] == {"vocab_size": len(vocab), "wordvec_size": 8, "hidden_size": 8, "dropout": 0.5}
    assert "rnn.weight_ih_l1" in raw["state_dict"] and raw["history"] == [{"epoch": 1}]
    assert main(["import", str(tmp_path / "theirs.pt"), str(tmp_path / "back.npz")]) == 0
    back, ckpt = models.load_model(tmp_path / "back.npz")
    assert type(back) is models.BetterRnnlm and ckpt["level"] == "word" and ckpt["vocab"] == vocab.to_dict()
    for (name, a), b in zip(model.state_dict().items(), back.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert "wrote" in capsys.readouterr().out


def test_export_and_import_refuse_the_wrong_file(tmp_path, capsys):
    models.save_model(tmp_path / "ours.npz", *models.build_model("Tagger", vocab_size=9, generator=0))
    torch.save({"a": torch.zeros(2)}, tmp_path / "foreign.pt")
    for argv, message in ((["import", str(tmp_path / "ours.npz"), str(tmp_path / "x.npz")], "one of our checkpoints (.npz), not a PyTorch one"),
                          (["import", str(tmp_path / "foreign.pt"), str(tmp_path / "x.npz")], "not a tinygrad_nlp PyTorch checkpoint"),
                          (["export", str(tmp_path / "foreign.pt"), str(tmp_path / "x.pt")], "not a valid tinygrad_nlp checkpoint")):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists() and not (tmp_path / "x.pt").exists()


@pytest.mark.slow
def test_torchrun_on_two_processes_gives_the_losses_of_one(tiny_ptb, tmp_path):  # tiny_ptb: conftest's folder of made-up words
    one = train(*SMALL, "--epochs", "1", "--data", str(tiny_ptb), "--out", "one", "--losses", "one.json", cwd=tmp_path)
    two = train(*SMALL, "--epochs", "1", "--data", str(tiny_ptb), "--out", "two", "--losses", "two.json", torchrun=2, cwd=tmp_path)
    assert "Rnnlm on 2 x cpu" in two.stdout and "Rnnlm on 1 x cpu" in one.stdout
    losses_one, losses_two = (json.loads((tmp_path / f).read_text()) for f in ("one.json", "two.json"))
    assert len(losses_one) == 5
    np.testing.assert_allclose(losses_two, losses_one, rtol=1e-5)
    # the run's checkpoint back in our engine: imported, then drawn
    assert main(["import", str(tmp_path / "two" / "best.pt"), str(tmp_path / "back.npz")]) == 0
    back, ckpt = models.load_model(tmp_path / "back.npz")
    written, _ = models.load_model(tmp_path / "two" / "best.npz")  # the script writes our checkpoint too
    for a, b in zip(back.state_dict().values(), written.state_dict().values()):
        np.testing.assert_array_equal(a, b)
    assert ckpt["history"][0]["epoch"] == 1 and ckpt["settings"]["batch"] == 4
    assert main(["draw", str(tmp_path / "back.npz"), "--prefix", "w1 w2 w3 w4", "--out", str(tmp_path / "back.svg")]) == 0
    assert "LSTM" in (tmp_path / "back.svg").read_text()
    # resumed for a second epoch: the stream goes on where epoch 1 stopped
    resumed = train(*SMALL, "--epochs", "2", "--data", str(tiny_ptb), "--out", "one", "--resume", "--losses", "one.json", cwd=tmp_path)
    assert "resumed from one/last.pt after epoch 1" in resumed.stdout
    assert len(json.loads((tmp_path / "one.json").read_text())) == 10
    assert [h["epoch"] for h in load_torch_checkpoint(tmp_path / "one" / "last.pt")[1]["history"]] == [1, 2]
