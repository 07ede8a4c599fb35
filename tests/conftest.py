"""Shared fixtures: running the CLI in-process with stdout and stderr kept apart."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lrplot.cli import app

VAL_ACC = [0.42, 0.55, 0.61, 0.64, 0.66, 0.665, 0.664, 0.667, 0.666, 0.70, 0.71, 0.709, 0.71, 0.708]


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


def run_cli(args: list[str] | str) -> Result:
    argv = shlex.split(args) if isinstance(args, str) else list(args)
    result = CliRunner().invoke(app, argv, catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr, result.stdout_bytes)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    """Run in an empty directory holding the metrics files the examples refer to."""
    monkeypatch.chdir(tmp_path)
    write_metrics(tmp_path)
    return tmp_path


def write_metrics(folder: Path) -> None:
    lines = ["epoch,train_loss,val_acc"]
    lines += [f"{i},{1.0 / (i + 1):.4f},{v}" for i, v in enumerate(VAL_ACC)]
    (folder / "val.csv").write_text("\n".join(lines) + "\n")
    (folder / "val_acc.csv").write_text("\n".join(lines) + "\n")
    (folder / "val.txt").write_text("\n".join(str(v) for v in VAL_ACC) + "\n")


LOG_FIXTURES = Path(__file__).parent / "fixtures" / "logs"


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    """Run in an empty directory holding copies of the training-log fixtures."""
    for path in LOG_FIXTURES.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    monkeypatch.chdir(tmp_path)
    return tmp_path
