"""transformers' side of the hf comparisons: its schedulers stepped by lrplot's index convention,
built through ``get_scheduler`` (the function's arguments) or through Trainer itself (the run's
TrainingArguments and dataloader, no model download: a tiny torch module and a list dataset).

Importing this module imports neither torch nor transformers; the functions do, when called.
Parameters are lrplot's (YAML names); row t is ``scheduler.get_last_lr()[0]`` after t calls of
``scheduler.step()``, each after an ``optimizer.step()`` as Trainer makes them (ReduceLROnPlateau:
``step(metrics[i])`` for i < t).
"""

from __future__ import annotations

import inspect
import tempfile
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

# TrainingArguments' learning_rate, and lrplot's default --lr in the hf namespace.
DEFAULT_LR = 5e-5
# lrplot's parameters that are TrainingArguments (or dataloader) settings, not function arguments.
TRAINER_ARGS = frozenset({
    "num_train_epochs", "batches_per_epoch", "num_examples", "per_device_train_batch_size", "world_size",
    "dataloader_drop_last", "gradient_accumulation_steps", "max_steps", "warmup_steps", "lr_scheduler_kwargs",
})
CONVENTION = ("row t = scheduler.get_last_lr()[0] after t calls of scheduler.step(), each after "
              "optimizer.step() (ReduceLROnPlateau: step(metrics[i]) for i < t); the scheduler built by "
              "transformers.get_scheduler on torch.optim.AdamW, or by Trainer.create_scheduler")


def kind_of(schedule: str) -> str:
    """``hf.cosine-with-min-lr`` (or ``cosine-with-min-lr``) -> the SchedulerType value."""
    return schedule.split(".", 1)[-1].replace("-", "_")


def function_kwargs(schedule: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The dispatched function's own keyword arguments among ``params`` (not None), plus
    lr_scheduler_kwargs: what Trainer passes as scheduler_specific_kwargs."""
    import torch
    from transformers.optimization import TYPE_TO_SCHEDULER_FUNCTION
    from transformers.trainer_utils import SchedulerType

    kind = SchedulerType(kind_of(schedule))
    target = (torch.optim.lr_scheduler.ReduceLROnPlateau if kind == SchedulerType.REDUCE_ON_PLATEAU
              else TYPE_TO_SCHEDULER_FUNCTION[kind])
    names = set(inspect.signature(target).parameters) - {
        "optimizer", "last_epoch", "num_warmup_steps", "num_training_steps", "kwargs"}
    found = {k: v for k, v in params.items() if k in names and v is not None}
    return {**found, **dict(params.get("lr_scheduler_kwargs") or {})}


def _optimizer(lr: float):
    import torch

    return torch.optim.AdamW(torch.nn.Linear(1, 1).parameters(), lr=lr)


def _step(scheduler, optimizer, rows: int, metrics=None) -> np.ndarray:
    lrs = [scheduler.get_last_lr()[0]]
    for t in range(1, rows):
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(float(metrics[t - 1]))
        lrs.append(scheduler.get_last_lr()[0])
    return np.array(lrs, dtype=np.float64)


def hf_rows(schedule: str, params: Mapping[str, Any], rows: int) -> tuple[np.ndarray, list[str]]:
    """The rows of get_scheduler(kind, optimizer, num_warmup_steps, num_training_steps,
    scheduler_specific_kwargs), with the warnings transformers raised while building it."""
    import transformers

    optimizer = _optimizer(params.get("lr", DEFAULT_LR))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scheduler = transformers.get_scheduler(
            kind_of(schedule), optimizer,
            num_warmup_steps=params.get("num_warmup_steps"),
            num_training_steps=params.get("num_training_steps"),
            scheduler_specific_kwargs=function_kwargs(schedule, params),
        )
        lrs = _step(scheduler, optimizer, rows, params.get("metrics"))
    return lrs, [str(w.message) for w in caught]


class _Tiny:
    """A model Trainer accepts without a download: one linear layer and a loss."""

    @staticmethod
    def build():
        import torch

        class Tiny(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.layer = torch.nn.Linear(1, 1)

            def forward(self, x=None, labels=None):
                return {"loss": self.layer(x).pow(2).mean()}

        return Tiny()


def trainer_run(schedule: str, params: Mapping[str, Any], rows: int | None = None):
    """Trainer's own route: TrainingArguments from ``params``, a dataset of num_examples (or a
    dataloader of batches_per_epoch batches), ``set_initial_training_values`` for the steps and
    ``create_optimizer_and_scheduler`` for the scheduler, stepped ``rows`` times (default: the
    run's updates). Returns (rows, figures) with Trainer's num_training_steps, num_warmup_steps,
    updates_per_epoch and batches_per_epoch."""
    import torch
    from transformers import Trainer, TrainingArguments

    kwargs = function_kwargs(schedule, params)
    args = {
        "learning_rate": params.get("lr", DEFAULT_LR),
        "lr_scheduler_type": kind_of(schedule),
        "warmup_steps": params.get("warmup_steps", 0),
        "num_train_epochs": params.get("num_train_epochs", 3.0),
        "max_steps": params.get("max_steps", -1),
        "per_device_train_batch_size": params.get("per_device_train_batch_size", 8),
        "gradient_accumulation_steps": params.get("gradient_accumulation_steps", 1),
        "dataloader_drop_last": params.get("dataloader_drop_last", False),
    }
    if kwargs:
        args["lr_scheduler_kwargs"] = kwargs
    world = params.get("world_size", 1)
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        training = TrainingArguments(output_dir=folder, report_to=[], use_cpu=True, **args)
        examples = params.get("num_examples")
        dataset = [{"x": torch.ones(1)}] * (examples if examples is not None else 1)
        trainer = Trainer(model=_Tiny.build(), args=training, train_dataset=dataset)
        if params.get("batches_per_epoch") is not None:
            batches = [{"x": torch.ones(1)}] * params["batches_per_epoch"]
            loader = torch.utils.data.DataLoader(batches, batch_size=1)
        elif world == 1:
            loader = trainer.get_train_dataloader()
        else:
            loader = _sharded(examples, training.per_device_train_batch_size, world,
                              training.dataloader_drop_last)
        values = trainer.set_initial_training_values(training, loader)
        upe, max_steps = values[1], values[-1]
        trainer.create_optimizer_and_scheduler(num_training_steps=max_steps)
        figures = {"num_training_steps": max_steps, "num_warmup_steps": training.get_warmup_steps(max_steps),
                   "updates_per_epoch": upe, "batches_per_epoch": len(loader)}
        lrs = _step(trainer.lr_scheduler, trainer.optimizer, max_steps if rows is None else rows)
    return lrs, figures


def _sharded(examples: int, batch_size: int, world: int, drop_last: bool):
    """Process 0's dataloader of a DDP run, as accelerate shards Trainer's (even_batches, no
    split_batches): a BatchSamplerShard over the batches of the whole set."""
    import torch
    from accelerate.data_loader import BatchSamplerShard

    batches = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(examples)), batch_size,
                                            drop_last)
    shard = BatchSamplerShard(batches, num_processes=world, process_index=0, split_batches=False,
                              even_batches=True)
    return torch.utils.data.DataLoader(list(range(examples)), batch_sampler=shard)


def worst_error(lrplot: np.ndarray, library: np.ndarray) -> float:
    """max |lrplot − library| relative to the curve's scale (max |library|)."""
    scale = float(np.max(np.abs(library))) if library.size else 0.0
    return float(np.max(np.abs(lrplot - library)) / scale) if scale > 0 else float(np.max(np.abs(lrplot)))


# lrplot against transformers: at most this far apart, relative to the curve's scale.
TOLERANCE = 1e-12
