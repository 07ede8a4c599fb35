"""The command line's own behaviour: shell completion, --quiet, the progress bar, emitted headers."""

from __future__ import annotations

import os
import pty
import shlex
import subprocess
import sys
from pathlib import Path

from lrplot.cli import PROGRESS_FROM
from lrplot.frameworks import FRAMEWORKS

from .conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent


def complete(words: str, shell: str = "bash") -> list[str]:
    """What the shell would offer after ``words`` (the last word is the one being completed)."""
    parts = words.split(" ")
    env = {**os.environ, "_LRPLOT_COMPLETE": f"complete_{shell}", "COMP_WORDS": words,
           "COMP_CWORD": str(len(parts) - 1), "_TYPER_COMPLETE_ARGS": words}
    done = subprocess.run([sys.executable, "-m", "lrplot"], env=env, capture_output=True, text=True,
                          cwd=ROOT, check=True)
    return done.stdout.split()


class TestCompletion:
    def test_commands_and_namespaces(self):
        offered = complete("lrplot co")
        assert {"cosine", "cosine-restarts", "constant", "compare"} <= set(offered)
        assert set(FRAMEWORKS) <= set(complete("lrplot "))

    def test_a_namespace_offers_its_schedules(self):
        offered = set(complete("lrplot hf cosine-w"))
        assert offered == {"cosine-with-restarts", "cosine-with-min-lr", "cosine-warmup-with-min-lr"}

    def test_options_and_choice_values(self):
        assert "--t-max" in complete("lrplot cosine --t")
        assert complete("lrplot onecycle --anneal-strategy ") == ["cos", "linear"]

    def test_show_completion_prints_the_script_of_the_shell_it_runs_in(self):
        """--show-completion finds the shell it was typed in (typer asks shellingham), so bash runs
        it itself: the command is not bash's last, so bash stays its parent."""
        command = f"{shlex.quote(sys.executable)} -m lrplot --show-completion; exit $?"
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        assert "_LRPLOT_COMPLETE" in done.stdout and "complete -o default -F" in done.stdout


class TestQuiet:
    def test_quiet_silences_warnings_and_wrote_lines(self, tmp_path):
        loud = run_cli(["cosine", "--t-max", "5", "--steps", "20", "-o", str(tmp_path / "a.csv")])
        assert loud.code == 0 and "Warning: cosine:" in loud.stderr and "Wrote" in loud.stderr
        quiet = run_cli(["cosine", "--t-max", "5", "--steps", "20", "--quiet", "-o", str(tmp_path / "b.csv")])
        assert quiet.code == 0
        assert quiet.stderr == ""
        assert (tmp_path / "b.csv").read_text() == (tmp_path / "a.csv").read_text()

    def test_quiet_keeps_errors(self):
        result = run_cli(["cosine", "--t-max", "0", "--quiet"])
        assert result.code == 2
        assert result.stderr.startswith("Error: --t-max must be")

    def test_quiet_in_compare_and_run(self, tmp_path):
        result = run_cli(["compare", "cosine --t-max 5 --steps 20", "exponential --gamma 0.5", "--quiet"])
        assert result.code == 0 and result.stderr == "" and result.stdout


def on_a_terminal(args: list[str], cwd: Path) -> str:
    """Run lrplot with stderr on a pseudo-terminal; what it wrote there."""
    leader, follower = pty.openpty()
    done = subprocess.run([sys.executable, "-m", "lrplot", *args], stdout=subprocess.DEVNULL,
                          stderr=follower, cwd=cwd, env={**os.environ, "COLUMNS": "100"})
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert done.returncode == 0
    return b"".join(chunks).decode("utf-8", "replace")


class TestProgress:
    def test_a_long_export_shows_a_bar_on_a_terminal(self, tmp_path):
        rows = PROGRESS_FROM // 2 + 1  # two floats a row: step and lr
        args = ["cosine", "--t-max", str(rows), "--steps", str(rows), "-o", "out.csv"]
        shown = on_a_terminal(args, tmp_path)
        assert "writing out.csv" in shown
        assert "Wrote out.csv" in shown
        assert (tmp_path / "out.csv").exists()

    def test_no_bar_when_quiet_short_or_not_a_terminal(self, tmp_path):
        rows = PROGRESS_FROM // 2 + 1
        quiet = on_a_terminal(["cosine", "--t-max", str(rows), "--steps", str(rows), "-o", "q.csv",
                               "--quiet"], tmp_path)
        assert quiet == ""
        short = on_a_terminal(["cosine", "--t-max", "20", "-o", "s.csv"], tmp_path)
        assert "writing" not in short
        piped = run_cli(["cosine", "--t-max", str(rows), "--steps", str(rows), "-o", str(tmp_path / "p.csv")])
        assert "writing" not in piped.stderr


class TestEmittedHeader:
    def test_the_title_names_the_script(self):
        result = run_cli(["cosine", "--t-max", "5", "--emit", "torch", "--title", "my run"])
        assert result.code == 0
        assert result.stdout.startswith("# my run (CosineAnnealingLR), as lrplot draws it")

    def test_a_long_default_label_gives_way_to_the_schedule(self, tmp_path):
        config = tmp_path / "c.yaml"
        config.write_text(
            "schedules:\n  - type: sequential\n    milestones: [5]\n    schedules:\n"
            "      - {type: linear, start_factor: 0.1, total_iters: 5, end_factor: 0.9}\n"
            "      - {type: cosine, t_max: 95, eta_min: 0.0001}\n"
        )
        result = run_cli(["run", str(config), "--emit", "torch"])
        assert result.code == 0, result.stderr
        first = result.stdout.splitlines()[0]
        assert first.startswith("# sequential (SequentialLR)")
        assert len(first) <= 96
