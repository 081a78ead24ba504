"""The `tinygrad-nlp` command end to end, as a user drives it: each step a fresh process, the later
ones from another folder with nothing but the checkpoint the earlier one wrote."""
from __future__ import annotations

import argparse
import io
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_nlp.cli import COMMANDS, parser
from tinygrad_nlp.trainer import Progress

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).with_name("tinygrad-nlp")  # the console script pyproject declares
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "tinygrad_nlp.cli"]


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_console_script_is_installed():
    assert SCRIPT.exists(), "pip install -e . declares tinygrad-nlp ([project.scripts] in pyproject.toml)"
    result = cli("--help")
    assert result.returncode == 0 and all(name in result.stdout for name in COMMANDS)
    assert re.fullmatch(r"tinygrad-nlp \d+\.\d+\.\d+\n", cli("--version").stdout)
    bare = cli()
    assert bare.returncode == 2 and "required: COMMAND" in bare.stderr


def subparsers() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_flag_has_help_and_shows_its_default(name):
    sub = subparsers()[name]
    for action in sub._actions:
        assert action.help, f"{name} {action.option_strings or action.dest} has no help text"
        if action.option_strings and action.default not in (None, False, argparse.SUPPRESS) and action.dest != "help":
            assert "default" in sub.formatter_class(name)._get_help_string(action), (name, action.dest)
    text = sub.format_help()
    assert "usage: tinygrad-nlp " + name in text


@pytest.mark.parametrize("args, message", [
    (["train-lm", "--hidden", "0"], "--hidden: expected an integer >= 1, got '0'"),
    (["train-lm", "--model", "char", "--corpus", "ptb"], "is a character-level LM"),
    (["train-seq2seq", "--lr", "-1"], "--lr: expected a number > 0.0"),
    (["train-word2vec", "--window", "x"], "--window: expected an integer >= 1 and <= 50, got 'x'"),
    (["generate", "no/such/file.npz"], "checkpoint: no such file"),
    (["decode", "no/such/file.npz"], "checkpoint: no such file"),
    (["similar", "no/such/vectors.txt", "car"], "vectors: no such file"),
    (["draw", "--figure", "nope"], "--figure 'nope': expected one of: node_add"),
    (["nonsense"], "invalid choice: 'nonsense'"),
])
def test_bad_values_are_one_line_errors_with_exit_code_2(args, message):
    result = cli(*args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("tinygrad-nlp")


def test_only_the_chosen_command_is_imported_and_a_bad_flag_loads_no_models_nor_drawings():
    """A bad flag is refused at once: the parser imports the chosen subcommand's module only, and the
    trainers and checkpoint commands import models/ and viz/ (about 0.1 s of CPU) only where they run."""
    code = """if True:
        import sys
        from tinygrad_nlp.cli import main
        for argv in (["train-lm", "--seed", "-1"], ["train-seq2seq", "--hidden", "0"], ["train-word2vec", "--window", "0"],
                     ["generate", "x.npz"], ["decode", "x.npz"], ["similar", "x.txt", "a"], ["export", "x.npz", "y.pt"], ["--help"]):
            try:
                main(argv)
            except SystemExit:
                pass
        print(sorted(set(sys.modules) & {"viz", "models", "urllib.request", "torch"}),
              sorted(m for m in sys.modules if m.startswith("tinygrad_nlp.cli.")))
    """
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    loaded = ["tinygrad_nlp.cli." + m for m in ("checks", "decode", "export", "generate", "similar", "train_lm", "train_seq2seq", "train_word2vec")]
    assert result.stdout.splitlines()[-1] == f"[] {loaded}"  # (after --help's text)


def test_train_a_tiny_lm_then_generate_draw_and_explore_from_its_checkpoint_alone(tiny_ptb, tmp_path):
    run = tmp_path / "lm"
    trained = cli("train-lm", "--data", str(tiny_ptb), "--no-verify", "--out", str(run), "--hidden", "8", "--wordvec", "8",
                  "--batch", "4", "--time", "5", "--max-steps", "4", "--epochs", "1", "--log-every", "2")
    assert trained.returncode == 0, trained.stderr
    assert "step      2/4 | loss" in trained.stdout  # not a terminal: log lines, no bar
    assert "test perplexity (best checkpoint)" in trained.stdout
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    text = cli("generate", str(run / "best.npz"), "--prefix", "w1 w2", "--length", "6", "--greedy", cwd=elsewhere)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("w1 w2 ") and all(w.startswith("w") or w == "<eos>" for w in text.stdout.split())
    drawn = cli("draw", str(run / "best.npz"), "--prefix", "w1 w2 w3", "--out", "lm.svg", cwd=elsewhere)
    assert drawn.returncode == 0, drawn.stderr
    svg = (elsewhere / "lm.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "Softmax with Loss" in svg and "LSTM" in svg and "∂" in svg
    assert svg.count("t=0") and svg.count("t=1") and not svg.count("t=2")  # three words: two steps
    assert ">w1</text>" in svg and ">w2</text>" in svg and "t₁: w3" in svg  # the words under the columns, the targets
    page = cli("explore", str(run / "best.npz"), "--prefix", "w1 w2 w3", "--out", "lm.html", cwd=elsewhere)
    assert page.returncode == 0, page.stderr
    assert "<svg" in (elsewhere / "lm.html").read_text(encoding="utf-8")
    wrong = cli("decode", str(run / "best.npz"), "1+1", cwd=elsewhere)
    assert wrong.returncode == 2 and "not a seq2seq model" in wrong.stderr


def test_train_a_tiny_seq2seq_then_decode_greedy_and_beam(tmp_path, tiny_addition):
    data = tiny_addition(400, high=99)
    run = tmp_path / "s2s"
    trained = cli("train-seq2seq", "--data", str(data), "--no-verify", "--out", str(run), "--hidden", "16", "--wordvec", "8",
                  "--batch", "32", "--epochs", "2", "--reverse", "--model", "attention")
    assert trained.returncode == 0, trained.stderr
    import tinygrad_nlp as tg

    described = tg.load(run / "model.npz")
    assert described["config"]["class"] == "AttentionSeq2seq" and described["epoch"] == 2 and described["reverse"] is True
    assert [h["epoch"] for h in described["history"]] == [1, 2] and described["settings"]["hidden"] == 16
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for extra in ([], ["--beam", "3"]):
        decoded = cli("decode", str(run / "model.npz"), "16+75", "3+4", *extra, cwd=elsewhere)
        assert decoded.returncode == 0, decoded.stderr
        rows = decoded.stdout.splitlines()
        assert [r.split("->")[0].strip() for r in rows] == ["16+75", "3+4"]
        assert all(set(r.split("->")[1].strip()) <= set("0123456789") for r in rows)
    too_long = cli("decode", str(run / "model.npz"), "123+4567", cwd=elsewhere)
    assert too_long.returncode == 2 and "at most 7" in too_long.stderr
    page = cli("explore", str(run / "model.npz"), "--prefix", "16+75", "--out", "s2s.html", cwd=elsewhere)
    assert page.returncode == 0, page.stderr
    assert "attention" in (elsewhere / "s2s.html").read_text(encoding="utf-8").lower()
    drawn = cli("draw", str(run / "model.npz"), "--roll", "--out", "s2s.svg", cwd=elsewhere)  # default question: 16+75
    assert drawn.returncode == 0, drawn.stderr
    assert "LSTM × 7" in (elsewhere / "s2s.svg").read_text(encoding="utf-8") and "--roll" not in drawn.stderr
    unrolled = cli("draw", str(run / "model.npz"), "--out", "s2s_unrolled.svg", cwd=elsewhere)
    assert unrolled.returncode == 0 and "12 time steps drawn unrolled" in unrolled.stderr, unrolled.stderr


def test_train_tiny_word2vec_then_similar_and_analogy(tiny_ptb, tmp_path):
    run = tmp_path / "w2v"
    trained = cli("train-word2vec", "--data", str(tiny_ptb), "--no-verify", "--out", str(run), "--hidden", "8", "--epochs", "1",
                  "--window", "2", "--batch", "50")
    assert trained.returncode == 0, trained.stderr
    similar = cli("similar", str(run / "vectors.txt"), "w1", "w2", "--k", "3")
    assert similar.returncode == 0, similar.stderr
    assert [line.split(":")[0] for line in similar.stdout.splitlines()] == ["w1", "w2"]
    assert len(similar.stdout.splitlines()[0].split(",")) == 3
    analogy = cli("analogy", str(run / "vectors.txt"), "w1", "w2", "w3", "--k", "2")
    assert analogy.returncode == 0 and analogy.stdout.startswith("w1 : w2 = w3 : ? -> "), analogy.stderr
    unknown = cli("analogy", str(run / "vectors.txt"), "w1", "w2", "zebra")
    assert unknown.returncode == 2 and "not in the vocabulary" in unknown.stderr and "zebra" in unknown.stderr


def test_draw_a_built_in_figure_to_svg(tmp_path):
    result = cli("draw", "--figure", "lstm_cell", "--out", str(tmp_path / "lstm.svg"))
    assert result.returncode == 0, result.stderr
    svg = (tmp_path / "lstm.svg").read_text(encoding="utf-8")
    assert "σ" in svg and "tanh" in svg and "∂" in svg  # the opened cell: its gates, and gradients in red
    listed = cli("draw", "--list")
    assert listed.returncode == 0 and "lstm_cell" in listed.stdout.split()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_lines_elsewhere():
    pytest.importorskip("tqdm")
    log, tty = io.StringIO(), Terminal()
    for out in (log, tty):
        progress = Progress(4, 2, unit="words", out=out, perplexity=True)
        for step in range(1, 5):
            progress.update(step, 2.0, 100, prefix="epoch 1 | ")
    assert log.getvalue().count("\n") == 2 and "epoch 1 | step      4/4 | loss 2.0000 | ppl      7.39" in log.getvalue()
    bar = tty.getvalue()
    assert "100%" in bar and "4/4" in bar and "loss 2.0000" in bar and "ppl      7.39" in bar and "words/s" in bar
    assert "step      2/4" not in bar


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    spans = re.findall(r"`(tinygrad-nlp [^`]+)`", text) + re.findall(r"^(tinygrad-nlp .+)$", text, flags=re.M)
    return sorted({s.split("  #")[0].strip() for s in spans if "COMMAND" not in s})


@pytest.mark.parametrize("line", readme_commands())
def test_readme_commands_parse(line, tmp_path, monkeypatch):
    """Every `tinygrad-nlp ...` in README names a real subcommand with real flags and values (the
    checkpoints and vectors it reads stand in as files of their kind: the parser checks them)."""
    monkeypatch.chdir(tmp_path)
    for word in shlex.split(line):
        if word.endswith((".npz", ".pt", "vectors.txt")):
            Path(word).parent.mkdir(parents=True, exist_ok=True)
            Path(word).write_bytes(b"PK\x03\x04" if word.endswith((".npz", ".pt")) else b"1 1\nthe 0.5\n")
    args = parser().parse_args(shlex.split(line)[1:])
    assert args.command in COMMANDS


def test_readme_uses_the_command():
    commands = {line.split()[1] for line in readme_commands()}
    assert {"train-lm", "train-word2vec", "train-seq2seq", "generate", "similar", "analogy", "decode", "draw", "explore",
            "gallery", "export", "import"} <= commands
