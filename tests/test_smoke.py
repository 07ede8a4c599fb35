"""The README's main job works end to end."""

from typer.testing import CliRunner

from lrplot.cli import app


def test_cosine_table():
    result = CliRunner().invoke(app, ["cosine", "--t-max", "20"])
    assert result.exit_code == 0
    assert "cosine: 21 steps · start 0.001" in result.stdout
