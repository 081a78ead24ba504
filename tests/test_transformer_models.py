"""The Transformer models: step-by-step decoding equals the teacher-forced pass, the LM's carried
context equals one long window, the models learn, and the commands train them (smoke runs)."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_nlp as tg
from models import TransformerLM, TransformerSeq2seq, load_model
from tinygrad_nlp.evaluation.decoding import beam_search, greedy

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).with_name("tinygrad-nlp")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "tinygrad_nlp.cli"]


def _seq2seq(**kw):
    with tg.default_dtype(np.float64):
        return TransformerSeq2seq(12, d_model=16, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=24,
                                  dropout=0.0, max_len=16, generator=0, **kw).eval()


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoding_one_step_at_a_time_equals_the_teacher_forced_pass(rng, norm_first):
    model = _seq2seq(norm_first=norm_first)
    xs, ys = rng.integers(0, 12, (3, 7)), rng.integers(0, 12, (3, 5))
    with tg.no_grad():
        state, enc = model.encode(xs, lengths=[7, 5, 6])
        full = model.decode(ys, enc).data
        steps = []
        for t in range(ys.shape[1]):
            logits, state = model.decode_step(ys[:, t:t + 1], state, enc)
            steps.append(logits.data)
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, atol=1e-12)
    assert state.shape == (1, 3, 5)


def test_padding_the_source_changes_nothing(rng):
    model = _seq2seq()
    xs, ys = rng.integers(0, 12, (1, 5)), rng.integers(0, 12, (1, 4))
    padded = np.concatenate([xs, rng.integers(0, 12, (1, 3))], axis=1)
    with tg.no_grad():
        a = model.decode(ys, model.encode(xs)[1]).data
        b = model.decode(ys, model.encode(padded, lengths=[5])[1]).data
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_the_lm_carries_its_context_between_windows(rng):
    with tg.default_dtype(np.float64):
        lm = TransformerLM(20, d_model=8, nhead=2, num_layers=2, dim_feedforward=16, dropout=0.0, max_len=12, generator=0).eval()
    ids = rng.integers(0, 20, (2, 10))
    with tg.no_grad():
        whole = lm(ids).data
        lm.reset_state()
        parts = np.concatenate([lm(ids[:, :4]).data, lm(ids[:, 4:7]).data, lm(ids[:, 7:]).data], axis=1)
        lm.reset_state()
        long = np.concatenate([lm(ids[:, :6]).data, lm(ids[:, 6:]).data], axis=1)  # as a 20-token window is read
        lm.reset_state()
        longer = lm(np.concatenate([ids, ids], axis=1)).data[:, :10]
    np.testing.assert_allclose(parts, whole, atol=1e-12)
    np.testing.assert_allclose(longer, long, atol=1e-12)


def test_a_tiny_transformer_learns_to_copy():
    rng = np.random.default_rng(0)
    model = TransformerSeq2seq(8, d_model=32, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=64,
                               dropout=0.0, max_len=8, generator=0)
    optimizer = tg.optim.Adam(model.parameters(), lr=0.005)
    for _ in range(120):
        xs = rng.integers(1, 8, (32, 4))
        loss = model(xs, np.concatenate([np.zeros((32, 1), dtype=np.int64), xs], axis=1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    xs = rng.integers(1, 8, (50, 4))
    assert (greedy(model, xs, 0, 4) == xs).mean() > 0.9
    assert (beam_search(model, xs, 0, 4, beam_size=3) == xs).mean() > 0.9


def cli(*args, cwd=ROOT):
    return subprocess.run([*COMMAND, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_train_seq2seq_transformer_smoke(tmp_path, tiny_addition):
    run = tmp_path / "s2s"
    trained = cli("train-seq2seq", "--data", str(tiny_addition(300, high=99)), "--no-verify", "--out", str(run), "--hidden", "16",
                  "--heads", "2", "--layers", "1", "--batch", "32", "--epochs", "1", "--model", "transformer", "--beam", "2")
    assert trained.returncode == 0, trained.stderr
    assert "test accuracy" in trained.stdout and (run / "attention_0.png").exists()
    model, described = load_model(run / "model.npz")
    assert type(model).__name__ == "TransformerSeq2seq" and described["settings"]["epochs"] == 1
    decoded = cli("decode", str(run / "model.npz"), "16+75", cwd=tmp_path)
    assert decoded.returncode == 0, decoded.stderr
    drawn = cli("draw", str(run / "model.npz"), "--out", "s2s.svg", cwd=tmp_path)
    assert drawn.returncode == 0 and "time steps" not in drawn.stderr, drawn.stderr
    svg = (tmp_path / "s2s.svg").read_text(encoding="utf-8")
    assert "Head Attention" in svg and "Feed Forward" in svg and "causal mask" in svg  # (SVG writes - as &#45;)


def test_train_lm_transformer_smoke(tiny_ptb, tmp_path):
    run = tmp_path / "lm"
    trained = cli("train-lm", "--model", "transformer", "--data", str(tiny_ptb), "--no-verify", "--out", str(run), "--wordvec", "8",
                  "--hidden", "16", "--batch", "4", "--time", "5", "--max-steps", "3", "--epochs", "1")
    assert trained.returncode == 0, trained.stderr
    assert "test perplexity (best checkpoint)" in trained.stdout and "generated after" in trained.stdout
    model, _ = load_model(run / "best.npz")
    assert model.max_len == 10
