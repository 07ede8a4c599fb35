"""The README stays true: its schedule table is the registry's, its commands run, its pictures exist."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from lrplot import catalog
from lrplot.frameworks import FRAMEWORKS

from .conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.startswith("lrplot ")]


def test_framework_table_is_generated_from_the_registry():
    block = re.search(r"<!-- frameworks:start -->\n(.*?)<!-- frameworks:end -->", README, re.S)
    assert block, "README lost its framework table markers"
    assert block.group(1) == catalog.frameworks_markdown(), "run: python scripts/make_docs.py"


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_schedule_tables_are_generated_from_the_registry(framework):
    marks = f"<!-- schedules:{framework}:start -->\n(.*?)<!-- schedules:{framework}:end -->"
    block = re.search(marks, README, re.S)
    assert block, f"README lost the {framework} schedule table markers"
    assert block.group(1) == catalog.markdown(framework), "run: python scripts/make_docs.py"


def test_pictures_exist_and_are_small():
    for picture in re.findall(r"!\[[^\]]*\]\((docs/[^)]+)\)", README):
        path = ROOT / picture
        assert path.exists(), picture
        assert path.stat().st_size < 150_000, picture


@pytest.mark.parametrize("command", readme_commands())
def test_readme_commands_run(command, tmp_path, monkeypatch):
    shutil.copytree(ROOT / "sample_configs", tmp_path / "sample_configs")
    (tmp_path / "docs").mkdir()
    monkeypatch.chdir(tmp_path)
    result = run_cli(shlex.split(command)[1:])
    assert result.code == 0, result.stderr


def test_readme_documents_the_test_command_ci_runs():
    assert "<!-- test-command -->\n```bash\npip install '.[test]' && python -m pytest -q\n```" in README
    assert "pip install . && lrplot cosine --t-max 20" in README


@pytest.mark.parametrize("block", re.findall(r"```yaml\n(.*?)```", README, re.S))
def test_readme_yaml_examples_run(block, tmp_path, monkeypatch):
    folder = tmp_path / "sample_configs"
    shutil.copytree(ROOT / "sample_configs", folder)
    (folder / "readme.yaml").write_text(block)
    monkeypatch.chdir(tmp_path)
    result = run_cli(["run", "sample_configs/readme.yaml"])
    assert result.code == 0, result.stderr
