"""Training commands never replace another run's checkpoints, validate sizes up front, and resume; the
teaching scripts in examples/ run."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import tinygrad_nlp as tg
from tinygrad_nlp.runs import RunExists, open_run

ROOT = Path(__file__).resolve().parents[1]


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, f"examples/{script}", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def cli(command: str, *args: str) -> subprocess.CompletedProcess:
    """`tinygrad-nlp COMMAND ARGS` in a fresh process."""
    return subprocess.run([sys.executable, "-m", "tinygrad_nlp.cli", command, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_open_run_refuses_resumes_or_starts_fresh(tmp_path, capsys):
    assert open_run(tmp_path / "new") is None
    tg.save({"epoch": 3}, tmp_path / "new" / "last.npz")
    with pytest.raises(RunExists, match="pass --resume to continue it, --overwrite to replace it"):
        open_run(tmp_path / "new")
    assert open_run(tmp_path / "new", resume=True)["epoch"] == 3
    assert open_run(tmp_path / "new", overwrite=True) is None
    assert open_run(tmp_path / "empty", resume=True) is None
    assert "starts fresh" in capsys.readouterr().out


def test_lm_script_refuses_to_replace_a_run_and_resumes_it(tiny_ptb, tmp_path):
    out = tmp_path / "run"
    common = ["--data", str(tiny_ptb), "--no-verify", "--out", str(out), "--hidden", "8", "--wordvec", "8",
              "--batch", "4", "--time", "5", "--max-steps", "3", "--no-test"]
    first = cli("train-lm", *common, "--epochs", "1")
    assert first.returncode == 0, first.stderr
    best = (out / "best.npz").read_bytes()
    again = cli("train-lm", *common, "--epochs", "1")
    assert again.returncode == 2 and "already holds a run" in again.stderr and "--resume" in again.stderr
    assert (out / "best.npz").read_bytes() == best  # untouched
    resumed = cli("train-lm", *common, "--epochs", "2", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from" in resumed.stdout and "epoch 2:" in resumed.stdout and "epoch 1:" not in resumed.stdout
    unverified = cli("train-lm", *common[:1], str(tiny_ptb), "--out", str(tmp_path / "other"), "--max-steps", "1")
    assert unverified.returncode != 0 and "is not the known ptb/ptb.train.txt" in unverified.stderr


def test_seq2seq_script_validates_checkpoints_each_epoch_and_resumes(tmp_path, tiny_addition):
    data = tiny_addition(200)
    out = tmp_path / "s2s"
    common = ["--data", str(data), "--no-verify", "--out", str(out), "--hidden", "8", "--wordvec", "4", "--batch", "32"]
    for bad, message in ((["--epochs", "0"], "--epochs: expected an integer >= 1"), (["--epochs", "-1"], "--epochs: expected an integer >= 1"),
                         (["--batch", "100000"], "larger than the 180 training examples")):
        result = cli("train-seq2seq", *common[:-2], *bad) if "--batch" in bad else cli("train-seq2seq", *common, *bad)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert not (out / "model.npz").exists()
    first = cli("train-seq2seq", *common, "--epochs", "1")
    assert first.returncode == 0, first.stderr
    assert tg.load(out / "last.npz")["epoch"] == 1
    again = cli("train-seq2seq", *common, "--epochs", "1")
    assert again.returncode == 2 and "already holds a run" in again.stderr
    resumed = cli("train-seq2seq", *common, "--epochs", "2", "--resume")
    assert resumed.returncode == 0 and "resumed from" in resumed.stdout, resumed.stderr
    assert [h["epoch"] for h in tg.load(out / "model.npz")["history"]] == [1, 2]


def test_word2vec_script_validates_sizes_at_once():
    for args, message in ((["--negatives", "100000"], "--negatives: expected an integer >= 1 and <= 100"),
                          (["--count-based", "--hidden", "100000"], "--hidden: expected an integer >= 1 and <= 2,000"),
                          (["--window", "0"], "--window: expected an integer >= 1")):
        result = cli("train-word2vec", *args)
        assert result.returncode == 2 and message in result.stderr, result.stderr


@pytest.mark.corpus("timemachine.txt")
def test_char_model_runs_without_naming_its_corpus_and_counts_chars(tmp_path):
    result = cli("train-lm", "--model", "char", "--max-steps", "2", "--epochs", "1", "--no-test", "--out", str(tmp_path / "c"))
    assert result.returncode == 0, result.stderr
    assert "chars/s" in result.stdout and "words/s" not in result.stdout
    clash = cli("train-lm", "--model", "char", "--corpus", "ptb")
    assert clash.returncode == 2 and "--model char is a character-level LM" in clash.stderr


@pytest.mark.corpus("timemachine.txt")
def test_one_hot_char_rnn_trains_and_its_checkpoint_generates(tmp_path):
    result = cli("train-lm", "--model", "onehot", "--max-steps", "2", "--epochs", "1", "--no-test", "--out", str(tmp_path / "o"))
    assert result.returncode == 0, result.stderr
    assert "chars/s" in result.stdout
    text = cli("generate", str(tmp_path / "o" / "best.npz"), "--prefix", "the time", "--length", "20")
    assert text.returncode == 0 and text.stdout.startswith("the time"), text.stderr


def test_a_checkpoint_describes_its_model_and_generates_alone(tiny_ptb, tmp_path):
    out = tmp_path / "lm"
    trained = cli("train-lm", "--data", str(tiny_ptb), "--no-verify", "--out", str(out), "--hidden", "8",
                  "--wordvec", "8", "--batch", "4", "--time", "5", "--max-steps", "3", "--no-test", "--epochs", "2")
    assert trained.returncode == 0, trained.stderr
    assert (out / "samples.txt").read_text(encoding="utf-8").count("--- epoch") == 2
    from models import Rnnlm, load_model

    model, ckpt = load_model(out / "best.npz")
    assert isinstance(model, Rnnlm) and ckpt["config"]["args"]["hidden_size"] == 8 and ckpt["level"] == "word"
    generated = cli("generate", str(out / "best.npz"), "--prefix", "w3 w4", "--length", "5")  # a fresh process
    assert generated.returncode == 0, generated.stderr
    assert generated.stdout.startswith("w3 w4 ") and len(generated.stdout.split()) >= 7
    unknown = cli("generate", str(out / "best.npz"), "--prefix", "zebra")
    assert unknown.returncode == 2 and "not in the vocabulary" in unknown.stderr
    with pytest.raises(ValueError, match="does not describe its model"):
        tg.save({"model": {}}, tmp_path / "bare.npz")
        load_model(tmp_path / "bare.npz")


@pytest.mark.corpus("timemachine.txt", "ptb/ptb.train.txt")
def test_sentence_classifier_smoke_run():
    result = run("classify_sentences.py", "--model", "bigru", "--per-class", "120", "--epochs", "1")
    assert result.returncode == 0, result.stderr
    assert re.search(r"epoch 1: test accuracy \d+\.\d+%", result.stdout)


@pytest.mark.corpus("timemachine.txt")
def test_punctuation_tagger_smoke_run():
    result = run("punctuation_tagger.py", "--epochs", "1", "--max-words", "3000", "--balanced")
    assert result.returncode == 0, result.stderr
    assert re.search(r"'\.': precision \d\.\d\d recall \d\.\d\d F1 \d\.\d\d", result.stdout)


def test_the_teaching_scripts_run_on_tiny_settings(tiny_ptb, tiny_addition):
    lm = run("train_rnnlm.py", "--data", str(tiny_ptb), "--epochs", "1", "--max-steps", "3")
    assert lm.returncode != 0 and "is not the known ptb/ptb.train.txt" in lm.stderr  # the tiny corpus is not PTB
    env_run = subprocess.run([sys.executable, "examples/train_rnnlm.py", "--data", str(tiny_ptb), "--epochs", "1", "--max-steps", "3"],
                             cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "TINYGRAD_NLP_VERIFY": "0"})
    assert env_run.returncode == 0, env_run.stderr
    assert "| epoch 1 | iter 3 / 3 |" in env_run.stdout and re.search(r"test perplexity: \d+\.\d\d", env_run.stdout)
    w2v = subprocess.run([sys.executable, "examples/train_word2vec.py", "--data", str(tiny_ptb), "--epochs", "1"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, env={**os.environ, "TINYGRAD_NLP_VERIFY": "0"})
    assert w2v.returncode == 0 and "epoch 1 | step" in w2v.stdout, w2v.stderr
    s2s = subprocess.run([sys.executable, "examples/train_seq2seq.py", "--data", str(tiny_addition(300)), "--epochs", "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "TINYGRAD_NLP_VERIFY": "0"})
    assert s2s.returncode == 0, s2s.stderr
    assert re.search(r"epoch 1: val acc \d+\.\d{3}%", s2s.stdout) and s2s.stdout.count("Q ") == 3
