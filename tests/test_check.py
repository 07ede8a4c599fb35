"""lrplot check: a log against its plan. Exit 0 when they agree, 1 when they differ (the first
difference, the largest deviation and the likely cause), 2 when they cannot be compared; on the
committed logs, on runs made here by transformers' Trainer and by Lightning, and on logs made to
differ in each way check recognises."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import lrplot
from lrplot import check, logs
from tests.fixtures import logruns
from tests.libraries import reference

from .conftest import LOG_FIXTURES

HF_PLAN = logruns.PLANS["trainer_state.json"]




def run_check(cli, log: str, plan: str, *more: str):
    return cli(["check", log, plan, *more])


def write_log(folder: Path, name: str, rates, first_step: int = 0) -> str:
    """A plain CSV log of ``rates`` at steps first_step, first_step + 1, ..."""
    lines = ["step,lr"] + [f"{first_step + i},{float(r)!r}" for i, r in enumerate(rates)]
    (folder / name).write_text("\n".join(lines) + "\n")
    return name


class TestCommittedLogs:
    @pytest.mark.parametrize("name", sorted(logruns.PLANS))
    def test_each_run_agrees_with_its_plan(self, cli, here, name):
        result = run_check(cli, name, logruns.PLANS[name].format(file=name))
        assert result.code == 0, result.stdout + result.stderr
        assert result.stdout.startswith("OK: ") and result.stdout.count("\n") == 1

    def test_the_shifted_run_differs_by_one_step(self, cli, here):
        result = run_check(cli, "trainer_state_shifted.json", HF_PLAN)
        assert result.code == 1
        lines = result.stdout.splitlines()
        assert lines[0].startswith("DIFFER: 24 of 24 logged rates in trainer_state_shifted.json differ")
        assert lines[1] == ("first difference: step 0 (the log's step 1): logged 0.0003333333333333333, "
                            "planned 0.0")
        assert lines[2].startswith("largest deviation: step 0 (the log's step 1)")
        assert lines[3].startswith("likely cause: the log is the plan shifted by one step: each logged rate "
                                   "is the plan's for the next update (older transformers")
        assert len(lines) == 4 and result.stderr == ""

    def test_the_readme_sample_ran_twice_as_fast(self, cli):
        sample = str(Path(__file__).parents[1] / "sample_configs" / "trainer_state.json")
        planned = "hf linear --lr 5e-4 --num-warmup-steps 12 --num-training-steps 120"
        result = run_check(cli, sample, planned)
        assert result.code == 1 and "likely cause: the schedule ran 2x faster than planned" in result.stdout
        assert "gradient accumulation 2" in result.stdout
        right = ("hf linear --lr 5e-4 --num-train-epochs 15 --batches-per-epoch 8 "
                 "--gradient-accumulation-steps 2 --warmup-steps 0.1")
        assert run_check(cli, sample, right).code == 0


class TestCauses:
    """Logs made from a plan in each way check names, through the CLI: the cause must be the
    one they were made with."""

    PLAN = "cosine --lr 0.1 --t-max 99"

    def plan(self, steps: int = 100) -> np.ndarray:
        return lrplot.curve("cosine", lr=0.1, t_max=99, steps=steps).lr

    def test_agree(self, cli, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        name = write_log(tmp_path, "same.csv", self.plan())
        result = run_check(cli, name, self.PLAN)
        assert result.code == 0 and "OK: 100 logged rates in same.csv agree" in result.stdout

    @pytest.mark.parametrize("rtol, code", [(1e-6, 0), (1e-8, 1)])
    def test_tolerance(self, cli, tmp_path, monkeypatch, rtol, code):
        monkeypatch.chdir(tmp_path)
        name = write_log(tmp_path, "float32.csv", self.plan().astype(np.float32))  # TensorBoard's precision
        assert run_check(cli, name, self.PLAN, "--rtol", str(rtol)).code == code

    def test_shifted_the_other_way(self, cli, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        name = write_log(tmp_path, "late.csv", self.plan()[:99], first_step=1)
        result = run_check(cli, name, self.PLAN)
        assert result.code == 1 and "the plan's for the update before" in result.stdout

    @pytest.mark.parametrize("factor, shown", [(4.0, "4 x"), (0.5, "1/2 x"), (1.3, "1.3 x")])
    def test_rate_factor(self, cli, tmp_path, monkeypatch, factor, shown):
        monkeypatch.chdir(tmp_path)
        name = write_log(tmp_path, "scaled.csv", self.plan() * factor)
        result = run_check(cli, name, self.PLAN)
        assert result.code == 1 and f"likely cause: every logged rate is {shown} the plan's" in result.stdout

    def test_time_factor_faster(self, cli, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        fast = lrplot.curve("cosine", lr=0.1, t_max=33, steps=34).lr  # the same run in a third of the steps
        name = write_log(tmp_path, "fast.csv", fast)
        result = run_check(cli, name, self.PLAN)
        assert result.code == 1 and "ran 3x faster than planned" in result.stdout

    def test_per_epoch_schedule_stepped_every_batch(self, cli, tmp_path, monkeypatch):
        """StepLR(step_size=10, gamma=0.5) meant per epoch of 10 batches, stepped every batch."""
        monkeypatch.chdir(tmp_path)
        name = write_log(tmp_path, "batch.csv", lrplot.curve("exponential", lr=0.1, gamma=0.5, steps=10).lr)
        result = run_check(cli, name, "step --lr 0.1 --step-size 10 --gamma 0.5 --steps 100")
        assert result.code == 1 and "ran 10x faster than planned" in result.stdout
        assert "a per-epoch schedule stepped every batch" in result.stdout

    def test_time_factor_slower(self, cli, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        plan = self.plan()
        name = write_log(tmp_path, "slow.csv", plan[np.arange(400) // 4])  # stepped once every 4 steps
        result = run_check(cli, name, "cosine --lr 0.1 --t-max 99 --steps 400")
        assert result.code == 1 and "ran 4x slower than planned" in result.stdout
        assert "r // 4" in result.stdout

    def test_stopped_early(self, cli, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        name = write_log(tmp_path, "short.csv", self.plan()[:60])
        result = run_check(cli, name, self.PLAN)
        assert result.code == 1
        assert "the run stopped early: its last logged rate is at step 59, and the plan runs to step 99" \
            in result.stdout and "(the 60 logged rates agree)" in result.stdout

    def test_sparse_logs_that_cover_the_plan(self, cli, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        plan = self.plan()
        (tmp_path / "every10.csv").write_text(
            "step,lr\n" + "".join(f"{s},{float(plan[s])!r}\n" for s in range(0, 100, 10)))
        assert run_check(cli, "every10.csv", self.PLAN).code == 0  # the last log, 90, is one interval from 99

    def test_ran_past_the_plan(self, cli, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        name = write_log(tmp_path, "long.csv", self.plan(120))
        result = run_check(cli, name, self.PLAN)
        assert result.code == 1 and "the log runs past the plan: step 100 is logged" in result.stdout
        assert run_check(cli, name, self.PLAN + " --steps 120").code == 0

    def test_unrecognised_difference_prints_no_cause(self, cli, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        rates = self.plan()
        rates[50:] = 0.01
        name = write_log(tmp_path, "odd.csv", rates)
        result = run_check(cli, name, self.PLAN)
        assert result.code == 1 and result.stdout.count("\n") == 3
        assert "first difference: step 50" in result.stdout


class TestCannotCompare:
    @pytest.mark.parametrize("args, fragment", [
        (["missing.json", HF_PLAN], "training log missing.json does not exist"),
        (["trainer_state.json", "cosine"], "--t-max is required"),
        (["trainer_state.json", "warmup-cosine"], "unknown schedule"),
        (["trainer_state.json", "log metrics.csv"], "a schedule, not a log"),
        (["trainer_state.json", HF_PLAN, "--rtol", "2"], "--rtol must be a number in (0, 1)"),
        (["trainer_state.json", HF_PLAN, "--tag", "nope"], "no entry of log_history has 'nope'"),
        (["trainer_state.json", HF_PLAN, "--steps-per-epoch", "8"], "applies only to a plan stepped per"),
        (["metrics.csv", "plateau --metrics metrics.csv --column val_loss"], None),
    ])
    def test_exit_2_with_one_line(self, cli, here, args, fragment):
        if fragment is None:  # a plan in epochs and a log in steps: the log says how many make an epoch
            assert cli(["check", *args]).code in (0, 1)
            return
        result = cli(["check", *args])
        assert result.code == 2, (result.stdout, result.stderr)
        assert result.stdout == "" and result.stderr.count("\n") == 1 and fragment in result.stderr

    def test_epochs_unknown(self, cli, here):
        (here / "plain.csv").write_text("step,lr\n" + "".join(f"{s},0.1\n" for s in range(24)))
        plan = "plateau --lr 0.1 --metrics metrics.csv --column val_loss"
        result = cli(["check", "plain.csv", plan])
        assert result.code == 2 and "give --steps-per-epoch" in result.stderr
        assert cli(["check", "plain.csv", plan, "--steps-per-epoch", "8"]).code == 0


def test_report_of_a_bare_comparison():
    log = logs.read(LOG_FIXTURES / "trainer_state.json")
    plan = lrplot.curve("hf.cosine", lr=1e-3, num_warmup_steps=3, num_training_steps=24).lr
    assert check.compare(log, plan, "plan").code == 0
    assert check.compare(log, plan * 2, "plan").code == 1
    off = check.deviation(np.array([0.0, 1.0, np.nan]), np.array([0.0, 2.0, 1.0]))
    assert off.tolist() == [0.0, 0.5, np.inf]


# --- live: the libraries write the logs here ---------------------------------------------------


class TestLiveTransformers:
    @pytest.fixture(scope="class")
    def state(self, tmp_path_factory):
        reference("transformers")
        return logruns.hf_run(tmp_path_factory.mktemp("hf"))

    def test_trainer_state_agrees_with_its_plan(self, cli, state):
        result = run_check(cli, str(state), HF_PLAN)
        assert result.code == 0, result.stdout
        log = logs.read(state, metrics=["eval_loss"])
        entries = [e for e in json.loads(state.read_text())["log_history"] if "learning_rate" in e]
        assert log.rates.rows.tolist() == [e["step"] - 1 for e in entries]
        assert log.metrics["eval_loss"].rows.tolist() == [7, 15, 23] and log.steps_per_epoch == 8

    def test_shifted_by_one_step_is_named(self, cli, state, tmp_path):
        shifted = logruns.shifted(state, tmp_path / "old.json")
        result = run_check(cli, str(shifted), HF_PLAN)
        assert result.code == 1 and "likely cause: the log is the plan shifted by one step" in result.stdout

    def test_quoted_source_lines(self):
        """The lines logs.read_hf quotes from transformers 5.24's trainer.py are where it says."""
        transformers = reference("transformers")
        if transformers.__version__ != "5.24.0":
            pytest.skip(f"the quotes are from transformers 5.24.0, not {transformers.__version__}")
        source = (Path(transformers.__file__).parent / "trainer.py").read_text().splitlines()
        assert "# get leaning rate before update" in source[1946 - 1]
        assert "learning_rate = self._get_learning_rate()" in source[1947 - 1]
        assert "self.lr_scheduler.step()" in source[1952 - 1]
        assert "self.state.global_step += 1" in source[1955 - 1]
        assert 'output = {**logs, "step": self.state.global_step}' in source[4209 - 1]
        assert "self.lr_scheduler.step(metrics[metric_to_check])" in source[3331 - 1]


class TestLiveLightning:
    @pytest.fixture(scope="class")
    def metrics(self, tmp_path_factory):
        reference("lightning")
        return logruns.lightning_run(tmp_path_factory.mktemp("pl"))

    def test_metrics_csv_agrees_with_its_plan(self, cli, metrics):
        result = run_check(cli, str(metrics), logruns.PLANS["metrics.csv"])
        assert result.code == 0, result.stdout
        assert logs.read(metrics).kind == "lightning"

    def test_plateau_validated_every_second_epoch(self, cli, tmp_path_factory):
        reference("lightning")
        metrics = logruns.lightning_run(tmp_path_factory.mktemp("plp"), plateau=True)
        plan = logruns.PLANS["plateau_metrics.csv"].format(file=metrics)
        result = run_check(cli, str(metrics), plan)
        assert result.code == 0, result.stdout
        renumbered = plan.replace("--patience 0", "--patience 1")
        assert run_check(cli, str(metrics), renumbered).code == 1

    def test_quoted_source_line(self):
        lightning = reference("lightning")
        if lightning.__version__ != "2.6.6":
            pytest.skip(f"the quote is from lightning 2.6.6, not {lightning.__version__}")
        path = Path(lightning.__file__).parent / "pytorch" / "callbacks" / "lr_monitor.py"
        line = path.read_text().splitlines()[177 - 1]
        assert "log_metrics(latest_stat, step=trainer.fit_loop.epoch_loop._batches_that_stepped)" in line
