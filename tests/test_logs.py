"""Training logs (lrplot.logs): each format's step convention, against files the libraries wrote
(committed under tests/fixtures/logs/, made by tests/fixtures/logruns.py) and, when the libraries
are installed, against runs made here; `lrplot log`, logs in compare and as plateau's metrics; bad
input, one line each."""

from __future__ import annotations

import csv
import io
import json
import math
import struct
import sys

import numpy as np
import pytest

import lrplot
from lrplot import logs, series
from lrplot.errors import InputError
from tests.libraries import available

from .conftest import LOG_FIXTURES

PLAN_HF = dict(lr=1e-3, num_warmup_steps=3, num_training_steps=24)


def history(name: str = "trainer_state.json") -> list[dict]:
    return json.loads((LOG_FIXTURES / name).read_text())["log_history"]


def read_csv(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def assert_one_line_error(result, code: int, *fragments: str) -> None:
    assert result.code == code, (result.code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


# --- Hugging Face trainer_state.json ---------------------------------------------------------------


class TestHuggingFace:
    def test_entry_at_step_s_is_row_s_minus_1(self):
        log = logs.read(LOG_FIXTURES / "trainer_state.json")
        entries = [e for e in history() if "learning_rate" in e]
        assert log.kind == "hf" and log.rate == "learning_rate" and log.offset == -1
        assert log.rates.rows.tolist() == [e["step"] - 1 for e in entries] == list(range(24))
        assert log.rates.values.tolist() == [e["learning_rate"] for e in entries]

    def test_the_logged_rates_are_the_plan_row_for_row(self):
        log = logs.read(LOG_FIXTURES / "trainer_state.json")
        plan = lrplot.curve("hf.cosine", **PLAN_HF).lr
        # Exactly, not to a tolerance: Trainer logs the float the scheduler returned.
        assert np.array_equal(log.rates.values, plan[log.rates.rows])
        assert log.rates.values[0] == 0.0  # warm-up from 0: the rate of update 0

    def test_evaluations_and_epochs(self):
        log = logs.read(LOG_FIXTURES / "trainer_state.json", metrics=["eval_loss"])
        evals = [e for e in history() if "eval_loss" in e]
        assert log.metrics["eval_loss"].rows.tolist() == [e["step"] - 1 for e in evals] == [7, 15, 23]
        assert log.steps_per_epoch == 8  # epoch 1.0 at step 8

    def test_another_key_as_the_rate_and_unknown_names(self):
        log = logs.read(LOG_FIXTURES / "trainer_state.json", rate="grad_norm")
        assert log.rate == "grad_norm" and len(log.rates) == 24
        with pytest.raises(InputError, match=r"no entry of log_history has 'learning_rat'.*did you mean"):
            logs.read(LOG_FIXTURES / "trainer_state.json", rate="learning_rat")
        with pytest.raises(InputError, match=r"no metric 'eval_los' \(did you mean eval_loss\?\)"):
            logs.read(LOG_FIXTURES / "trainer_state.json", metrics=["eval_los"])

    def test_a_folder_holding_trainer_state(self, tmp_path):
        (tmp_path / "trainer_state.json").write_text((LOG_FIXTURES / "trainer_state.json").read_text())
        log = logs.read(tmp_path)
        assert log.kind == "hf" and log.shown.endswith("trainer_state.json")

    def test_a_step_logged_twice_keeps_the_last_value(self, tmp_path):
        state = {"log_history": [{"step": 1, "learning_rate": 0.1}, {"step": 2, "learning_rate": 0.2},
                                 {"step": 2, "learning_rate": 0.3}, {"step": 3, "learning_rate": 0.4}]}
        path = tmp_path / "resumed.json"
        path.write_text(json.dumps(state))
        log = logs.read(path)
        assert log.rates.rows.tolist() == [0, 1, 2] and log.rates.values.tolist() == [0.1, 0.3, 0.4]
        assert "resumed run" in log.warnings[0]


# --- Lightning metrics.csv and plain CSV ------------------------------------------------------------


class TestLightning:
    def test_rate_at_step_s_is_row_s(self):
        log = logs.read(LOG_FIXTURES / "metrics.csv", metrics=["val_loss"])
        assert log.kind == "lightning" and log.rate == "lr-SGD" and log.offset == 0
        assert log.rates.rows.tolist() == list(range(24))
        plan = lrplot.curve("cosine", lr=0.1, t_max=20, steps=24).lr
        np.testing.assert_allclose(log.rates.values, plan, rtol=1e-15, atol=1e-17)
        assert log.metrics["val_loss"].rows.tolist() == [7, 15, 23]  # after each epoch's last update
        assert log.steps_per_epoch == 8

    def test_rate_logged_per_epoch(self):
        log = logs.read(LOG_FIXTURES / "plateau_metrics.csv")
        assert log.rates.rows.tolist() == [0, 8, 16, 24, 32, 40, 48, 56]
        assert log.rates.values.tolist() == [0.1] * 4 + [0.05] * 2 + [0.025] * 2
        assert log.steps_per_epoch == 8


class TestPlainCsv:
    def test_lrplots_own_csv_reads_back_as_written(self, cli, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        assert cli("cosine --lr 0.1 --t-max 20 -o plan.csv").code == 0
        log = logs.read("plan.csv")
        assert log.kind == "csv" and log.rate == "lr"
        assert np.array_equal(log.rates.values, lrplot.curve("cosine", lr=0.1, t_max=20).lr)
        assert cli("log plan.csv -o again.csv").code == 0
        assert (tmp_path / "again.csv").read_text() == (tmp_path / "plan.csv").read_text()

    def test_a_wandb_export_of_a_transformers_run_counts_from_1(self, tmp_path):
        path = tmp_path / "wandb.csv"
        path.write_text("train/global_step,train/learning_rate,train/loss\n1,0.0,2.0\n2,0.5,1.5\n3,1.0,\n")
        log = logs.read(path)
        assert log.offset == -1 and log.rates.rows.tolist() == [0, 1, 2]

    def test_rate_columns_are_recognised_by_name(self):
        names = ["lr", "learning_rate", "train/learning_rate", "lr-AdamW", "lr-SGD/pg2", "run-1 - train/lr"]
        assert all(logs.is_rate_name(n) for n in names)
        others = ["loss", "lrs_seen", "train/learning_rate__MIN", "epoch"]
        assert not any(logs.is_rate_name(n) for n in others)

    def test_several_rate_columns_want_a_tag(self, tmp_path):
        path = tmp_path / "two.csv"
        path.write_text("step,lr-AdamW,lr-AdamW/pg2\n0,0.1,0.01\n1,0.2,0.02\n")
        with pytest.raises(InputError, match=r"several rate columns \(lr-AdamW, lr-AdamW/pg2\); pick one"):
            logs.read(path)
        assert logs.read(path, rate="lr-AdamW/pg2").rates.values.tolist() == [0.01, 0.02]


# --- TensorBoard ---------------------------------------------------------------------------------


def version_record() -> bytes:
    """The first record every TensorBoard writer puts in a file, framed by hand (no tensorboard
    needed): Event{wall_time = 1.0, file_version = "brain.Event:2"}."""
    data = b"\x09" + struct.pack("<d", 1.0) + b"\x1a\x0dbrain.Event:2"
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", logs.masked_crc32c(length)) + data
            + struct.pack("<I", logs.masked_crc32c(data)))


def test_crc_is_tfrecords():
    if not available("tensorboard"):
        pytest.skip("tensorboard is not installed")
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    for data in (b"", b"abc", bytes(range(256)), b"brain.Event:2" * 7):
        assert logs.masked_crc32c(data) == masked_crc32c(data)


def test_an_event_file_without_tensorboard_names_the_extra(tmp_path, monkeypatch, cli):
    path = tmp_path / "events.out.tfevents.1.host"
    path.write_bytes(version_record())
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # import tensorboard now fails
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(cli(f"log {path.name}"), 1, path.name, "pip install 'lrplot[tensorboard]'")


class TestTensorBoard:
    @pytest.fixture
    def run(self, tmp_path):
        if not available("tensorboard"):
            pytest.skip("tensorboard is not installed")
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        writer = EventFileWriter(str(tmp_path / "run"))
        for step in range(100):
            values = [summary_pb2.Summary.Value(tag="lr", simple_value=0.1 * 0.9**step)]
            if step % 10 == 9:
                values.append(summary_pb2.Summary.Value(tag="val/loss", simple_value=1.0 / (step + 1)))
            writer.add_event(event_pb2.Event(step=step, wall_time=1.0 + step,
                                             summary=summary_pb2.Summary(value=values)))
        writer.close()
        return tmp_path / "run"

    def test_scalars_by_tag_step_s_is_row_s(self, run):
        log = logs.read(run, metrics=["val/loss"])
        assert log.kind == "tensorboard" and log.rate == "lr" and log.offset == 0
        assert log.rates.rows.tolist() == list(range(100))
        plan = lrplot.curve("exponential", lr=0.1, gamma=0.9, steps=100).lr
        np.testing.assert_allclose(log.rates.values, plan, rtol=1e-7)  # TensorBoard keeps float32
        assert log.metrics["val/loss"].rows.tolist() == list(range(9, 100, 10))
        (file,) = run.iterdir()
        assert logs.read(file).rates.values.tolist() == log.rates.values.tolist()

    def test_torch_summary_writer(self, tmp_path):
        if not available("torch"):
            pytest.skip("torch is not installed")
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(tmp_path))
        for step in range(5):
            writer.add_scalar("train/learning_rate", 0.5 * (step + 1), step + 1)  # as Trainer logs
        writer.close()
        log = logs.read(tmp_path)
        assert log.offset == -1 and log.rates.rows.tolist() == [0, 1, 2, 3, 4]
        assert log.rates.values.tolist() == [0.5, 1.0, 1.5, 2.0, 2.5]

    def test_cut_in_half_is_one_line(self, run, cli, monkeypatch):
        (file,) = run.iterdir()
        data = file.read_bytes()
        cut = run.parent / f"{file.name}.cut"
        cut.write_bytes(data[: len(data) // 2])
        monkeypatch.chdir(run.parent)
        assert_one_line_error(cli(f"log {cut.name} -o out.csv"), 1, cut.name, "is cut off inside record")
        assert not (run.parent / "out.csv").exists()

    def test_corrupted_is_one_line(self, run, cli, monkeypatch):
        (file,) = run.iterdir()
        data = bytearray(file.read_bytes())
        data[len(data) // 2] ^= 0xFF
        bad = run.parent / "events.out.tfevents.bad"
        bad.write_bytes(bytes(data))
        monkeypatch.chdir(run.parent)
        result = cli(f"log {bad.name}")
        assert_one_line_error(result, 1, bad.name, "corrupted")

    def test_a_folder_of_several_runs(self, run, tmp_path):
        other = tmp_path / "other"
        other.mkdir()
        (next(run.iterdir())).rename(other / "events.out.tfevents.2")
        (run / "events.out.tfevents.3").write_bytes((other / "events.out.tfevents.2").read_bytes())
        with pytest.raises(InputError, match="holds 2 TensorBoard runs"):
            logs.read(tmp_path)

    def test_as_plateau_metrics(self, run, cli, monkeypatch):
        monkeypatch.chdir(run.parent)
        result = cli("plateau --metrics run --column val/loss -o -")
        assert result.code == 0
        _, rows = read_csv(result.stdout)
        assert len(rows) == 10  # no epoch tag beside it: one row per value
        assert "no epoch tag" in result.stderr


# --- lrplot log ---------------------------------------------------------------------------------




class TestLogCommand:
    def test_csv_has_the_columns_of_a_computed_curve(self, cli, here):
        result = cli("log trainer_state.json --metric eval_loss -o -")
        assert result.code == 0, result.stderr
        header, rows = read_csv(result.stdout)
        assert header == ["step", "lr", "metric", "epoch"]  # epochs: Trainer's 8 updates each
        assert [int(r[0]) for r in rows] == list(range(24))
        plan = lrplot.curve("hf.cosine", **PLAN_HF).lr
        assert [float(r[1]) for r in rows] == plan.tolist()
        metric = [float(r[2]) for r in rows]
        assert [i for i, m in enumerate(metric) if not math.isnan(m)] == [7, 15, 23]
        assert rows[8][3] == "1.0"

    def test_rows_not_logged_are_nan(self, cli, here):
        path = here / "every3.json"
        state = {"log_history": [{"step": s, "learning_rate": s / 10} for s in (3, 6, 9)]}
        path.write_text(json.dumps(state))
        header, rows = read_csv(cli("log every3.json -o -").stdout)
        assert [r[1] for r in rows] == ["nan", "nan", "0.3", "nan", "nan", "0.6", "nan", "nan", "0.9"]

    def test_json_and_table(self, cli, here):
        result = cli("log metrics.csv -o out.json")
        assert result.code == 0 and result.stderr == "Wrote out.json\n"
        (entry,) = json.loads((here / "out.json").read_text())["schedules"]
        assert entry["schedule"] == "log" and entry["framework"] == "log"
        assert entry["params"] == {"file": "metrics.csv", "format": "lightning", "rate": "lr-SGD"}
        assert entry["derived"]["logged_rates"] == 24 and entry["steps_per_epoch"] == 8
        table = cli("log metrics.csv")
        assert table.code == 0 and "log metrics.csv: 24 steps" in table.stdout

    def test_chart(self, cli, here):
        result = cli("log metrics.csv --chart")
        assert result.code == 0 and "⠀" not in result.stderr and result.stdout.count("\n") > 5

    @pytest.mark.parametrize("suffix", [".png", ".svg"])
    def test_plot(self, cli, here, suffix):
        result = cli(f"log trainer_state.json --metric eval_loss -o run{suffix}")
        assert result.code == 0, result.stderr
        assert (here / f"run{suffix}").stat().st_size > 1000

    def test_options(self, cli, here):
        _, rows = read_csv(cli("log metrics.csv --steps 30 --steps-per-epoch 4 -o -").stdout)
        assert len(rows) == 30 and rows[29][1] == "nan" and rows[4][2] == "1.0"
        assert_one_line_error(cli("log metrics.csv --steps 0"), 2, "--steps must be an integer >= 1")
        assert cli("log metrics.csv --emit torch").code == 2  # no code to emit for a log
        assert_one_line_error(cli("log metrics.csv -o metrics.csv"), 2, "is the training log this run reads")

    def test_compare_a_log_with_its_plan(self, cli, here):
        result = cli(["compare", "log trainer_state.json", "hf cosine --lr 1e-3 --num-warmup-steps 3 "
                      "--num-training-steps 24", "-o", "-"])
        assert result.code == 0, result.stderr
        header, rows = read_csv(result.stdout)
        assert header[:2] == ["step", "log trainer_state.json"] and len(rows) == 24
        assert all(r[1] == r[2] for r in rows)
        picture = cli(["compare", "log trainer_state.json --label run", "cosine --t-max 23", "-o", "c.png"])
        assert picture.code == 0, picture.stderr

    @pytest.mark.parametrize("spec, fragment", [
        ("log trainer_state.json -o x.csv", "-o applies to the whole comparison"),
        ("log", "Missing argument 'FILE'"),
        ("log trainer_state.json --nope 1", "No such option"),
        ("log missing.json", "training log missing.json does not exist"),
    ])
    def test_compare_spec_errors(self, cli, here, spec, fragment):
        result = cli(["compare", spec, "cosine --t-max 5"])
        assert result.code in (1, 2) and fragment in result.stderr, result.stderr
        assert_one_line_error(result, result.code)

    def test_compare_refuses_emit_with_a_log(self, cli, here):
        result = cli(["compare", "log trainer_state.json", "cosine --t-max 5", "--emit", "torch"])
        assert_one_line_error(result, 2, "a log has none")


# --- bad input -----------------------------------------------------------------------------------


BAD = [
    ("empty.json", "", "is empty"),
    ("blank.csv", "\n\n", "is empty"),
    ("cut.json", (LOG_FIXTURES / "trainer_state.json").read_text()[:300], "the file ends early"),
    ("nohistory.json", '{"global_step": 3}', "has no log_history: not a Hugging Face trainer_state.json"),
    ("list.json", "[0.1, 0.2]", "is a JSON list, not a trainer_state.json"),
    ("notlist.json", '{"log_history": {"a": 1}}', "log_history is a dict, not a list"),
    ("nothing.json", '{"log_history": []}', "log_history is empty"),
    ("nostep.json", '{"log_history": [{"learning_rate": 0.1}]}', "log_history[0] has learning_rate but no"),
    ("text.json", '{"log_history": [{"step": 1, "learning_rate": "0.1"}]}', "learning_rate is str"),
    ("zero.json", '{"log_history": [{"step": 0, "learning_rate": 0.1}]}', "before the first update"),
    ("norate.json", '{"log_history": [{"step": 1, "loss": 0.1}]}', "no entry of log_history has 'learning_r"),
    ("nostep.csv", "lr,loss\n0.1,1\n", "has no step column"),
    ("norate.csv", "step,loss\n0,1\n", "no learning-rate column"),
    ("noheader.csv", "0,0.1\n1,0.2\n", "has no header of named columns"),
    ("cell.csv", "step,lr\n0,0.1\n1,fast\n", "column 'lr': 'fast' is not a number"),
    ("halfstep.csv", "step,lr\n0.5,0.1\n", "step 0.5 is not a whole number"),
    ("cut.csv", (LOG_FIXTURES / "metrics.csv").read_text()[:190], "the last line is cut off"),
    ("binary.bin", "\x00\x01\x02", "is binary, not text"),
    ("events.out.tfevents.x", "not an event file", "not a TensorBoard event file"),
]


@pytest.mark.parametrize("name, content, fragment", BAD, ids=[b[0] for b in BAD])
def test_bad_logs_are_one_line_and_write_nothing(cli, tmp_path, monkeypatch, name, content, fragment):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes(content.encode())
    if name.startswith("events") and not available("tensorboard"):
        pytest.skip("tensorboard is not installed")
    result = cli(f"log {name} -o out.csv -o out.png")
    assert_one_line_error(result, 1, name, fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_missing_and_folder_without_logs(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(cli("log nope.json"), 1, "training log nope.json does not exist")
    (tmp_path / "empty").mkdir()
    assert_one_line_error(cli("log empty"), 1, "is a folder without TensorBoard event files")


# --- a log (or any metrics file) as plateau's metrics -------------------------------------------


class TestMetricsFiles:
    def test_trainer_state_evaluations(self, cli, here):
        result = cli("plateau --metrics plateau_state.json --lr 0.01 -o -")  # eval_loss by default
        assert result.code == 0, result.stderr
        _, rows = read_csv(result.stdout)
        evals = [e["eval_loss"] for e in history("plateau_state.json") if "eval_loss" in e]
        assert [float(r[2]) for r in rows] == evals  # Trainer's epochs 1..6 are epochs 0..5
        named = cli("plateau --metrics plateau_state.json --column eval_loss -o -")
        assert named.stdout == result.stdout.replace("0.01,", "0.001,")

    @pytest.mark.parametrize("command", ["hf reduce-lr-on-plateau", "timm plateau",
                                         "timm create-scheduler-v2 --sched plateau"])
    def test_every_plateau_reads_metrics_as_torch_s_does(self, cli, here, command):
        """One reader for every plateau schedule: a column of a trainer_state.json gives each the
        metric torch's plateau reads, and each refuses a --column without columns alike."""
        torch = read_csv(cli("plateau --metrics plateau_state.json --column eval_loss -o -").stdout)[1]
        result = cli(f"{command} --metrics plateau_state.json --column eval_loss -o -")
        assert result.code == 0, result.stderr
        header, rows = read_csv(result.stdout)
        assert [r[header.index("metric")] for r in rows] == [r[2] for r in torch]
        (here / "list.json").write_text("[1, 2, 3]")
        for args in ("--metrics list.json --column x", "--metrics val.txt --column x",
                     "--metrics plateau_state.json --column nope"):
            expected, got = cli(f"plateau {args}"), cli(f"{command} {args}")
            assert got.code == expected.code != 0 and got.stdout == ""
            assert got.stderr.splitlines()[-1] == expected.stderr.splitlines()[-1]

    @pytest.mark.parametrize("command", ["timm plateau", "timm create-scheduler-v2 --sched plateau"])
    def test_timm_refuses_metrics_at_epochs_of_their_own(self, cli, here, command):
        """timm's train.py steps the plateau with a metric after every epoch: a run validated every
        second epoch (Lightning's epochs 1, 3, 5, 7) has no timm curve, and is refused in one line
        rather than read as epochs 0..3; torch's plateau holds its rate through the gaps."""
        result = cli(f"{command} --metrics plateau_metrics.csv --column val_loss -o -")
        assert_one_line_error(result, 2, "--metrics in plateau_metrics.csv (column val_loss) are at epochs "
                              "1, 3, 5, 7", "one metric per epoch, from epoch 0")
        assert cli("plateau --metrics plateau_metrics.csv --column val_loss -o -").code == 0

    def test_trainer_state_evaluations_between_epochs_are_one_row_each(self, cli, here):
        state = {"log_history": [{"step": s, "epoch": s / 8, "eval_loss": 1 / s} for s in (4, 8, 12)]}
        (here / "steps.json").write_text(json.dumps(state))
        result = cli("plateau --metrics steps.json -o -")
        assert result.code == 0 and len(read_csv(result.stdout)[1]) == 3
        assert "not at whole epochs: one row per evaluation" in result.stderr

    def test_lightning_epochs_1_3_5_7_are_honoured(self, cli, here):
        """Validated every second epoch: the metric is drawn at epochs 1, 3, 5, 7, and the rates
        are exactly what Lightning logged at each epoch's start."""
        plan = "plateau --lr 0.1 --metrics plateau_metrics.csv --column val_loss --mode max --patience 0 " \
               "--factor 0.5"
        header, rows = read_csv(cli(f"{plan} -o -").stdout)
        assert [int(r[0]) for r in rows] == list(range(8))
        assert [not math.isnan(float(r[2])) for r in rows] == [False, True] * 4
        logged = logs.read("plateau_metrics.csv").rates.values
        assert [float(r[1]) for r in rows] == logged.tolist()

    def test_csv_epoch_column(self, cli, in_tmp):
        (in_tmp / "odd.csv").write_text("epoch,val_loss\n1,1.0\n3,0.9\n5,0.95\n7,0.96\n9,0.97\n")
        result = cli("plateau --metrics odd.csv --lr 0.1 --patience 1 -o -")
        _, rows = read_csv(result.stdout)
        assert len(rows) == 10 and [r[2] for r in rows[:4]] == ["nan", "1.0", "nan", "0.9"]
        # torch: step(1.0) after epoch 1, step(0.9) after 3, two bad ones after 5 and 7: the cut
        # holds from epoch 8, and the table says when and why in epochs.
        assert [float(r[1]) for r in rows] == [0.1] * 8 + [0.1 * 0.1] * 2
        table = cli("plateau --metrics odd.csv --lr 0.1 --patience 1").stdout
        assert "no improvement on 0.9 (epoch 3) for 4 epochs" in " ".join(table.split())

    def test_metrics_in_order_keep_today_s_rows(self, cli, in_tmp):
        series_ = series.load(in_tmp / "val.csv", "val_acc")
        assert series_.epochs is None and series_.rows == len(series_)

    def test_step_column_is_one_row_per_value_with_a_word(self, cli, in_tmp):
        (in_tmp / "log.csv").write_text("step,loss,val_loss\n0,1.0,\n1,0.9,0.8\n2,0.8,\n3,0.7,0.75\n")
        result = cli("plateau --metrics log.csv --column val_loss -o -")
        assert result.code == 0 and [float(r[2]) for r in read_csv(result.stdout)[1]] == [0.8, 0.75]
        assert "logged at steps 1, 3 and the file has no epoch column" in result.stderr

    def test_a_second_value_in_one_epoch(self, cli, in_tmp):
        (in_tmp / "twice.csv").write_text("epoch,loss\n0,1.0\n0,0.9\n1,0.8\n")
        result = cli("plateau --metrics twice.csv -o -")
        assert result.code == 0 and len(read_csv(result.stdout)[1]) == 3
        assert "line 3: loss has a second value in epoch 0" in result.stderr

    def test_steps_past_the_last_epoch(self, cli, in_tmp):
        (in_tmp / "odd.csv").write_text("epoch,val_loss\n1,1.0\n3,0.9\n")
        assert cli("plateau --metrics odd.csv --steps 4 -o -").code == 0
        assert_one_line_error(cli("plateau --metrics odd.csv --steps 5"), 2, "end at epoch 3")

    def test_steps_per_epoch_on_plateau_is_refused_as_doing_nothing(self, cli, in_tmp):
        result = cli("plateau --metrics val.txt --steps-per-epoch 50 -o -")
        assert result.code == 2 and result.stdout == ""
        assert result.stderr == ("Error: --steps-per-epoch does nothing for plateau: its rows are epochs, "
                                 "one step(metric) each (give it to the comparison, for the other curves)\n")

    def test_a_comparisons_steps_per_epoch_is_for_the_other_curves(self, cli, in_tmp):
        result = cli('compare "plateau --metrics val.txt" "cosine --t-max 700" --steps-per-epoch 50 -o -')
        assert result.code == 0, result.stderr
        assert result.stderr == ""

    def test_txt_with_a_header(self, cli, in_tmp):
        (in_tmp / "named.txt").write_text("val_loss\n1.0\n0.9\n")
        result = cli("plateau --metrics named.txt -o -")
        assert result.code == 0 and [r[2] for r in read_csv(result.stdout)[1]] == ["1.0", "0.9"]
        (in_tmp / "wide.txt").write_text("epoch,val_loss\n0,1.0\n")
        assert_one_line_error(cli("plateau --metrics wide.txt"), 1, "wide.txt:1", "use .csv for a header")
        (in_tmp / "late.txt").write_text("1.0\nval_loss\n")
        assert_one_line_error(cli("plateau --metrics late.txt"), 1, "late.txt:2", "is not a number")

    def test_column_applies_to_files_with_columns(self, cli, in_tmp):
        (in_tmp / "list.json").write_text("[1, 2, 3]")
        only = "--column applies only to CSV"
        assert_one_line_error(cli("plateau --metrics list.json --column x"), 2, only)
        assert_one_line_error(cli("plateau --metrics val.txt --column x"), 2, only)
        (in_tmp / "obj.json").write_text('{"a": 1}')
        assert_one_line_error(cli("plateau --metrics obj.json"), 1, "expected a JSON list")
